"""The search syntax (Stack Exchange style) turned into Whoosh queries.

Never raises on user input: unknown operators, stray quotes or brackets are
read as plain words, and an over-long query is truncated.
"""

import itertools
import math
import re
from collections.abc import Callable, Set
from dataclasses import dataclass, field
from datetime import datetime
from typing import cast

from whoosh import query as wq

from forum.search.schema import HYPHEN_RE, TEXT_ANALYZER, day_number, micros

MAX_QUERY_LENGTH = 300
MAX_TERMS = 32
# A partial match is looked for among a query's first words only (see
# ``partial_query``): 8 words make at most 70 combinations.
PARTIAL_MAX_WORDS = 8
# Words a person types around the problem ("my printer says offline", "laptop
# won't charge") that the analyzer keeps or cuts to a fragment ("won"): plain
# words among them are never required, so they cannot make a search fail.
FILLER_WORDS = frozenset(
    """
    i i'm im i've ive me my mine we our you your it it's its
    says say said saying tells told
    won't wont can't cant cannot don't dont doesn't doesnt didn't didnt
    isn't isnt aren't arent wasn't wasnt weren't werent hasn't hasnt
    haven't havent hadn't hadnt shouldn't wouldn't couldn't
    """.split()
)
QUESTION_FIELDS = ("title", "body")
ALL_TEXT_FIELDS = ("title", "body", "answers")

_TOKEN_RE = re.compile(
    r"""
    (?P<neg>-)?
    (?:
        "(?P<phrase>[^"]*)"              # "exact phrase"
      | \[(?P<tag>[^\[\]\s]+)\]          # [tag]
      | (?P<op>[a-z]+):(?P<val>\S+)      # key:value
      | (?P<word>\S+)                    # anything else
    )
    """,
    re.VERBOSE | re.IGNORECASE,
)
_RANGE_RE = re.compile(r"^(-?\d+)?(\.\.)?(-?\d+)?$")

# Resolves the value of ``user:`` to the index's user key (None: nobody).
UserKey = Callable[[str], str | None]


@dataclass(frozen=True)
class Word:
    """A plain word: its index terms, in any of the text fields."""

    text: str


@dataclass(frozen=True)
class Phrase:
    """A quoted phrase: its words side by side in one text field."""

    text: str


# How much a tag named by a query word weighs beside the word's text score.
TAG_WORD_BOOST = 2.0


@dataclass(frozen=True)
class TagWord:
    """A query word (or what it also means) that is a tag name: an option of
    its text group matching the questions with that tag, ranked up."""

    tag: str

    @property
    def query(self) -> wq.Query:
        """The documents this option matches."""
        return wq.Term("tags", self.tag, boost=TAG_WORD_BOOST)


@dataclass(frozen=True)
class AnyTag:
    """``[a] OR [b]``: questions with any of these tags."""

    tags: tuple[str, ...]

    @property
    def query(self) -> wq.Query:
        """The documents this filter selects."""
        return wq.Or([wq.Term("tags", tag) for tag in self.tags])


@dataclass(frozen=True)
class TagFilter:
    """``[tag]`` or ``tag:name``: questions with that tag."""

    tag: str

    @property
    def query(self) -> wq.Query:
        """The documents this filter selects."""
        return wq.Term("tags", self.tag)


@dataclass(frozen=True)
class UserFilter:
    """``user:name`` or ``user:id``: threads that user asked or answered in."""

    key: str | None  # None matches nothing

    @property
    def query(self) -> wq.Query:
        """The documents this filter selects."""
        return wq.Term("users", self.key) if self.key else wq.NullQuery


@dataclass(frozen=True)
class FlagFilter:
    """``is:solved``, ``closed:yes``, ``duplicate:no``...: a yes/no field."""

    name: str
    value: bool

    @property
    def query(self) -> wq.Query:
        """The documents this filter selects."""
        return wq.Term(self.name, self.value)


@dataclass(frozen=True)
class Fields:
    """``is:question`` or ``is:answer``: the text fields words are looked up in."""

    names: tuple[str, ...]


@dataclass(frozen=True)
class Range:
    """A numeric condition (``score:3..``, ``answers:0``, ``created:2025``).

    ``query`` finds the documents through the index; ``column``, ``low`` and
    ``high`` test one document's column value (None: unbounded). Beside other
    clauses a range is a test of the documents they match, which is cheaper
    than enumerating every document a wide range holds.
    """

    query: wq.Query
    column: str
    low: int | None
    high: int | None

    def accepts(self, value: int) -> bool:
        """Whether a document's column value is in the range."""
        return (self.low is None or value >= self.low) and (
            self.high is None or value <= self.high
        )


Text = Word | Phrase | TagWord
Filter = TagFilter | AnyTag | UserFilter | FlagFilter
Clause = Text | Filter | Range


@dataclass
class ParsedQuery:
    """The parts of a search: text clauses, filters and what the page echoes."""

    text: list[list[Text]] = field(default_factory=list)  # groups of OR'ed options
    excluded: list[Clause] = field(default_factory=list)
    filters: list[Filter] = field(default_factory=list)
    text_fields: tuple[str, ...] = ALL_TEXT_FIELDS
    words: list[str] = field(default_factory=list)  # plain words, for did-you-mean
    ranges: list[Range] = field(default_factory=list)
    operators: bool = False  # an OR was used (never loosened into partial matches)

    @property
    def is_empty(self) -> bool:
        """Whether nothing at all was asked for."""
        return not (self.text or self.filters or self.excluded or self.ranges)


def analyzed(word: str) -> list[str]:
    """The index terms a word becomes (stemmed, folded; stop words vanish;
    a hyphenated word becomes its parts, without the joined form)."""
    return [token.text for token in TEXT_ANALYZER(word, mode="query")]


def joined_terms(word: str) -> list[str]:
    """The index terms of a hyphenated word written as one ("wi-fi" ->
    ``wifi``; the index holds it for every "wi-fi"); [] for other words."""
    if not HYPHEN_RE.search(word.strip("-")):
        return []
    return [token.text for token in TEXT_ANALYZER(HYPHEN_RE.sub("", word))]


def is_filler(word: str) -> bool:
    """Whether a plain word is filler (``FILLER_WORDS``), any case or apostrophe."""
    return word.lower().replace("\u2019", "'").strip(".,;:!?") in FILLER_WORDS


def meaningful_groups(parsed: "ParsedQuery") -> list[list[Text]] | None:
    """The text groups of a plain query whose typed word leaves index terms
    (in order, one per word), each with what expansion ORed into it (tags,
    synonyms); None when the query uses any operator, phrase, ``OR`` or
    exclusion (such a query means exactly what it says and is never loosened)."""
    if (
        parsed.excluded
        or parsed.filters
        or parsed.ranges
        or parsed.text_fields != ALL_TEXT_FIELDS
        or parsed.operators
    ):
        return None
    groups: list[list[Text]] = []
    seen: set[str] = set()
    for group in parsed.text:
        typed = _typed_word(group)
        if typed is None:
            return None  # a phrase
        key = typed.text.lower()
        if analyzed(typed.text) and key not in seen:
            seen.add(key)
            groups.append(group)
    return groups


def _typed_word(group: list[Text]) -> Word | None:
    """The word a text group stands for: its first clause, or for two words
    written apart ("wi fi", see ``split_word``) their joined form; None for a
    phrase the person typed."""
    first = group[0]
    if isinstance(first, Word):
        return first
    second = group[1] if len(group) > 1 else None
    if (
        isinstance(first, Phrase)
        and isinstance(second, Word)
        and second.text == first.text.replace(" ", "")
    ):
        return second
    return None


def partial_minimum(count: int) -> int:
    """How many of ``count`` meaningful words a partial match needs: about
    two thirds, always fewer than all (2 words: 1; 3: 2; 4: 3; 6: 4)."""
    return max(1, min(count - 1, math.ceil(2 * count / 3)))


def partial_query(
    groups: list[list[Text]], common: Set[int] = frozenset()
) -> wq.Query | None:
    """Threads holding at least ``partial_minimum`` of the words (any text
    field, or what expansion added to a word: its tag, its synonyms), scored
    by BM25F on what they hold; None below two words that are not common.

    Whoosh's ``Or`` ignores ``minmatch``, so the minimum is an ``Or`` of the
    word combinations (only the first PARTIAL_MAX_WORDS words: their count
    stays small), and the score comes from the words alone. The groups
    numbered in ``common`` (words most threads hold, see ``common_groups``)
    only add to the score, as in the all-words tier, which already requires
    none of them: counting them would match a large share of the index.
    """
    counted: list[wq.Query] = []
    ranking: list[wq.Query] = []
    for number, group in enumerate(groups):
        options = [q for q in (_query(c, ALL_TEXT_FIELDS) for c in group) if q]
        if options:
            clause = options[0] if len(options) == 1 else wq.Or(options)
            (ranking if number in common else counted).append(clause)
    counted = counted[:PARTIAL_MAX_WORDS]
    if len(counted) < 2:
        return None
    need = partial_minimum(len(counted))
    # A thread here holds fewer than all the words: up to five words, exactly
    # one combination matches it and scores it by the words it holds, as an
    # Or of the words would, without a second pass over every posting.
    matched: wq.Query = wq.Or(
        [
            c[0] if len(c) == 1 else wq.And(list(c))
            for c in itertools.combinations(counted, need)
        ]
    )
    if ranking:
        matched = wq.AndMaybe(matched, wq.Or(ranking))
    return matched.normalize()


def text_clause(word: str, fields: tuple[str, ...]) -> wq.Query | None:
    """Match one word in any of the text fields (None for a stop word).

    A hyphenated word ("wi-fi", "e-mail") matches its joined form, which
    texts writing it either way hold, or its parts side by side ("wi fi").
    """
    terms = analyzed(word)
    joined = joined_terms(word)
    if joined:
        forms = [wq.Term(f, t) for f in fields for t in joined]
        if len(terms) > 1:
            forms += [wq.Phrase(f, terms) for f in fields]
        return wq.Or(forms)
    if not terms:
        return None
    per_term = [wq.Or([wq.Term(f, t) for f in fields]) for t in terms]
    return per_term[0] if len(per_term) == 1 else wq.And(per_term)


# Two adjacent words this short may be one word written apart ("wi fi").
_JOIN_SHORTER = 3
_JOIN_LONGEST = 10
_JOINABLE_RE = re.compile(r"^[^\W_]+$")


def unjoin(parsed: "ParsedQuery", known: Callable[[str], bool]) -> "ParsedQuery":
    """Words written apart stay two words unless their joined form is a word
    of the index ("wi fi": "wifi" is; "loud pc": "loudpc" is not), so a pair
    that is not one word written apart still needs each word anywhere."""
    groups: list[list[Text]] = []
    for group in parsed.text:
        typed = _typed_word(group)
        if typed is not None and typed is not group[0] and not known(typed.text):
            first, second = cast(Phrase, group[0]).text.split(" ", 1)
            groups.extend([[Word(first)], [Word(second)]])
        else:
            groups.append(group)
    parsed.text = groups
    return parsed


def split_word(first: str, second: str) -> list[Text] | None:
    """The options for two adjacent plain words that may be one word written
    apart ("wi fi", "e mail", "log in"): the two side by side, or joined.
    None when they do not look like the halves of one word."""
    if not (_JOINABLE_RE.match(first) and _JOINABLE_RE.match(second)):
        return None
    if min(len(first), len(second)) > _JOIN_SHORTER:
        return None
    if len(first) + len(second) > _JOIN_LONGEST:
        return None
    if not analyzed(f"{first} {second}"):
        return None  # stop words ("how do"): joined, they would have to match
    return [Phrase(f"{first} {second}"), Word(first + second)]


def phrase_clause(text: str, fields: tuple[str, ...]) -> wq.Query | None:
    """Match an exact phrase in any of the text fields."""
    terms = analyzed(text)
    if not terms:
        return None
    if len(terms) == 1:
        return wq.Or([wq.Term(f, terms[0]) for f in fields])
    return wq.Or([wq.Phrase(f, terms) for f in fields])


def _int32(text: str) -> int:
    """An integer clamped to the index's 32-bit numeric fields (else it raises)."""
    return max(-(2**31), min(2**31 - 1, int(text)))


def _int_range(value: str, fieldname: str) -> Range | None:
    """``3`` (at least 3, as on Stack Exchange), ``3..``, ``..5``, ``1..5``."""
    match = _RANGE_RE.match(value)
    if not match or not (match.group(1) or match.group(3)):
        return None
    low = _int32(match.group(1)) if match.group(1) else None
    high = _int32(match.group(3)) if match.group(3) else None
    if not match.group(2) and fieldname == "answer_count":
        high = low  # answers:0 means exactly none
    if low is not None and high is not None and low > high:
        low, high = high, low
    try:
        return Range(wq.NumericRange(fieldname, low, high), fieldname, low, high)
    except (ValueError, OverflowError):
        return None


def _date(value: str, end: bool) -> datetime | None:
    """Parse ``2025``, ``2025-06`` or ``2025-06-30`` as the start or end of it."""
    parts = value.split("-")
    if not 1 <= len(parts) <= 3 or not all(p.isdigit() for p in parts):
        return None
    try:
        year = int(parts[0])
        month = int(parts[1]) if len(parts) > 1 else (12 if end else 1)
        if len(parts) > 2:
            day = int(parts[2])
        elif end:
            next_month = datetime(year + month // 12, month % 12 + 1, 1)
            day = (next_month - datetime(year, month, 1)).days
        else:
            day = 1
        moment = datetime(year, month, day)
    except (ValueError, OverflowError):
        return None
    return moment.replace(hour=23, minute=59, second=59) if end else moment


def _date_range(value: str) -> Range | None:
    """``created:2025``, ``2025-06..``, ``..2025-06-30``, ``2024..2025-03``."""
    start_text, sep, end_text = value.partition("..")
    start = _date(start_text, end=False) if start_text else None
    end_source = end_text if sep else start_text
    end = _date(end_source, end=True) if end_source else None
    if (start_text and start is None) or (end_source and end is None):
        return None
    if start is None and end is None:
        return None
    query = wq.NumericRange(
        "created",
        day_number(start) if start else None,
        day_number(end) if end else None,
    )
    # _date's end is 23:59:59 of the last day: the whole last second counts.
    last = micros(end) + 999_999 if end else None
    return Range(query, "created_at", micros(start) if start else None, last)


_BOOLEAN_WORDS = {
    "yes": True,
    "true": True,
    "1": True,
    "no": False,
    "false": False,
    "0": False,
}


def _operator(op: str, value: str, users: UserKey) -> Filter | Range | Fields | None:
    """What ``op:value`` asks for, or None when it is no operator we know."""
    op = op.lower()
    low = value.lower()
    if op == "tag":
        return TagFilter(low)
    if op == "user":
        return UserFilter(users(value))
    if op == "is":
        if low == "question":
            return Fields(QUESTION_FIELDS)
        if low == "answer":
            return Fields(("answers",))
        if low in ("solved", "accepted"):
            return FlagFilter("accepted", True)
        if low in ("unsolved", "unaccepted"):
            return FlagFilter("accepted", False)
        return None
    if op in ("answers", "score"):
        return _int_range(value, "answer_count" if op == "answers" else "score")
    if op == "created":
        return _date_range(value)
    if op in ("closed", "duplicate") and low in _BOOLEAN_WORDS:
        return FlagFilter(op, _BOOLEAN_WORDS[low])
    return None


def _read(token: re.Match[str], users: UserKey) -> Clause | Fields | None:
    """The clause one token stands for (None: punctuation only)."""
    if token.group("phrase") is not None:
        return Phrase(token.group("phrase"))
    if token.group("tag") is not None:
        return TagFilter(token.group("tag").lower())
    plain = token.group("word")
    if token.group("op") is not None:
        found = _operator(token.group("op"), token.group("val"), users)
        if found is not None:
            return found
        plain = token.group(0).lstrip("-")
    # Unbalanced quotes and brackets are just punctuation.
    plain = plain.strip('"[]')
    return Word(plain) if plain else None


def parse(raw: str, users: UserKey) -> ParsedQuery:
    """Parse the search box's text; never raises.

    ``users`` resolves the value of ``user:`` to the index's user key.
    """
    text = (raw or "")[:MAX_QUERY_LENGTH]
    parsed = ParsedQuery()
    pending_or = False
    after_tag = False  # the last token was a tag filter: ``[a] OR [b]``
    tag_or = False
    lone_word: str | None = None  # the previous token, when a group on its own
    for count, token in enumerate(_TOKEN_RE.finditer(text), 1):
        if count > MAX_TERMS:
            break
        neg = bool(token.group("neg"))
        word = token.group("word")
        previous, lone_word = lone_word, None
        if word is not None and word.upper() == "OR" and not neg:
            pending_or = bool(parsed.text)
            parsed.operators = True
            tag_or = after_tag
            continue
        if word is not None and not neg and not pending_or and is_filler(word):
            continue
        after_tag = False
        clause = _read(token, users)
        match clause:
            case None:
                continue
            case Fields(names):
                parsed.text_fields = names
                continue
            case Range():
                (parsed.excluded if neg else parsed.ranges).append(clause)
            case TagFilter() if tag_or and not neg:
                last = parsed.filters.pop()
                tags = last.tags if isinstance(last, AnyTag) else ()
                tags += (last.tag,) if isinstance(last, TagFilter) else ()
                parsed.filters.append(AnyTag((*tags, clause.tag)))
                after_tag = True
            case TagFilter() | AnyTag() | UserFilter() | FlagFilter():
                (parsed.excluded if neg else parsed.filters).append(clause)
                after_tag = isinstance(clause, TagFilter) and not neg
            case _ if neg:
                parsed.excluded.append(clause)
            case _:
                if isinstance(clause, Word):
                    parsed.words.append(clause.text)
                joined = None
                if isinstance(clause, Word) and previous and not pending_or:
                    joined = split_word(previous, clause.text)
                if joined:
                    parsed.text[-1] = joined
                elif pending_or:
                    parsed.text[-1].append(clause)
                else:
                    parsed.text.append([clause])
                    if isinstance(clause, Word):
                        lone_word = clause.text
        pending_or = tag_or = False
    return parsed


def _query(clause: Clause, fields: tuple[str, ...]) -> wq.Query | None:
    """The Whoosh query of one clause (None: a word with no index terms)."""
    match clause:
        case Word(text):
            return text_clause(text, fields)
        case Phrase(text):
            return phrase_clause(text, fields)
    return clause.query


def build(
    parsed: ParsedQuery,
    fields: tuple[str, ...] | None = None,
    common: Set[int] = frozenset(),
) -> wq.Query:
    """The Whoosh query for a parsed search (all text groups must match).

    Ranges are left to ``checks()`` when other clauses select documents;
    ``fields`` overrides the text fields of the words and phrases. The text
    groups numbered in ``common`` (words most questions hold, see
    ``common_groups``) only add to the score of what the others match.
    """
    fields = fields or parsed.text_fields
    musts: list[wq.Query] = []
    optional: list[wq.Query] = []
    for number, group in enumerate(parsed.text):
        options = [c for c in (_query(clause, fields) for clause in group) if c]
        if options:
            clause = options[0] if len(options) == 1 else wq.Or(options)
            (optional if number in common else musts).append(clause)
    if optional and not musts:
        musts, optional = optional, []  # only common words: all must match
    musts.extend(f.query for f in parsed.filters)
    if not _selects(parsed):
        musts.extend(r.query for r in parsed.ranges)
    if not musts:
        musts.append(wq.Every())
    positive = musts[0] if len(musts) == 1 else wq.And(musts)
    if optional:
        positive = wq.AndMaybe(positive, wq.Or(optional))
    negatives = [
        c for c in (_query(clause, ALL_TEXT_FIELDS) for clause in parsed.excluded) if c
    ]
    if negatives:
        return wq.AndNot(positive, wq.Or(negatives)).normalize()
    return positive.normalize()


def common_groups(
    parsed: ParsedQuery, doc_frequency: Callable[[str, str], int], limit: float
) -> set[int]:
    """The text groups that are one plain word held by more than ``limit``
    questions (summed over the text fields: an upper bound) -- "how", "use",
    or a site's own name --, when another text group is rarer. Such words
    rank what the rarer ones match, as Elasticsearch's common terms query
    does, rather than making a search score a large share of the index.
    """
    common = set()
    for number, group in enumerate(parsed.text):
        word = group[0]
        tags = [t for t in group[1:] if isinstance(t, TagWord)]
        if not isinstance(word, Word) or len(tags) != len(group) - 1:
            continue  # only a word and the tags it names can be common
        terms = analyzed(word.text)
        frequencies = [
            sum(doc_frequency(f, t) for f in parsed.text_fields) for t in terms
        ]
        if frequencies:
            frequencies += [doc_frequency("tags", t.tag) for t in tags]
        if frequencies and min(frequencies) > limit:
            common.add(number)
    if len(common) == len(parsed.text):
        return set()
    return common


def _selects(parsed: ParsedQuery) -> bool:
    """Whether words, phrases or filters select documents (the analyzer can
    leave a word nothing to match, whatever its fields)."""
    return bool(parsed.filters) or any(
        isinstance(clause, TagWord)
        or analyzed(clause.text)
        or joined_terms(clause.text)
        for group in parsed.text
        for clause in group
    )


def checks(parsed: ParsedQuery) -> list[Range]:
    """The ranges ``build()`` left out of the query: each matched document's
    column values are tested against them instead."""
    return list(parsed.ranges) if _selects(parsed) else []
