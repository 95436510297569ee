"""What a search means: the site's syntax, matched in two tiers, ranked.

By relevance, the threads whose question holds the words rank first, then
those that hold them only in answers or comments; the text score is boosted
a little for solved and well-voted threads and lowered for duplicates.
``scanning`` collects the matches, ``snippets`` marks them in the page.
"""

import math
from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select
from whoosh import query as wq
from whoosh.searching import Searcher
from whoosh.support.levenshtein import damerau_levenshtein as distance

from forum.extensions import db
from forum.models import Question
from forum.search import hybrid, similarity, vectors
from forum.search import query as sq
from forum.search.expansion import expand
from forum.search.scanning import Found, first_matches
from forum.search.searchers import searcher
from forum.search.snippets import highlights
from forum.services.errors import BadRequest
from forum.services.pagination import Paged
from forum.services.synonyms import search_vocabulary

SORTS = ("relevance", "newest", "votes")
# The other orders: by a column, largest first.
SORT_COLUMNS = {"newest": "created_at", "votes": "score"}

# Relevance weights, chosen on bench/relevance.py; no operator tunes them.
SOLVED_BOOST = 0.15  # a solved thread is likelier to help
SCORE_BOOST = 0.05  # so is a well-voted one (log scale: votes never beat the text)
DUPLICATE_FACTOR = 0.6  # a closed duplicate's answers are on its original's page
# The partial matches the sentence vectors re-rank (with the questions
# closest in meaning); three pages' worth, so the first pages agree.
PARTIAL_POOL = 60
# Below this many hits a misspelling may be why: a correction is tried.
SUGGEST_BELOW = 5


@dataclass
class Hit:
    """One search result: the question, the matching answer, snippets."""

    question: Question
    answer_id: int | None = None
    highlights: list[Markup] = field(default_factory=list)
    match: str = "all"  # "some": found by the partial-match tier


@dataclass
class SearchResult(Paged):
    """A page of hits and what the page shows around them."""

    hits: list[Hit]
    total: int
    exact_total: bool
    page: int
    per_page: int
    suggestion: str | None = None
    # How many results hold every word, when partial matches follow them
    # (None: every result holds every word).
    all_count: int | None = None
    # Whether the partial matches were ranked with the sentence vectors (and
    # so may include questions close in meaning that hold none of the words).
    by_meaning: bool = False

    @property
    def all_hits(self) -> list[Hit]:
        """The hits of this page that hold every word."""
        return [h for h in self.hits if h.match == "all"]

    @property
    def some_hits(self) -> list[Hit]:
        """The hits of this page that hold only some of the words."""
        return [h for h in self.hits if h.match == "some"]


def search(
    raw: str, sort: str = "relevance", page: int = 1, per_page: int = 20
) -> SearchResult:
    """Run a search in the site's syntax. Never raises for odd input.

    Raises forum.services.errors.BadRequest for an unknown sort only.
    """
    if sort not in SORTS:
        raise BadRequest(
            f"sort must be one of {', '.join(SORTS)}.", {"sort": sort[:50]}
        )
    with searcher() as s:
        parsed = sq.unjoin(sq.parse(raw or "", user_key), _known(s))
    parsed = expand(parsed, search_vocabulary)
    if parsed.is_empty:
        return SearchResult([], 0, True, page, per_page)
    q = sq.build(parsed)
    if isinstance(q, wq.Every) and not parsed.filters:
        # Only stop words (or lone punctuation): nothing to look for.
        return SearchResult([], 0, True, page, per_page)
    with searcher() as s:
        ids, total, exact, all_count = _ranked(s, parsed, sort, page, per_page)
        matched_all = total if all_count is None else all_count
        suggestion = (
            _suggest(s, parsed, raw, matched_all) if total < SUGGEST_BELOW else None
        )
    terms = {
        text.decode() if isinstance(text, bytes) else text
        for fieldname, text in q.all_terms()
        if fieldname in sq.ALL_TEXT_FIELDS
    }
    int_ids = [int(i) for i in ids]
    questions = _questions(int_ids)
    found = highlights(questions, int_ids, terms, parsed.text_fields == ("answers",))
    start = (page - 1) * per_page
    hits = [
        Hit(
            questions[i],
            *found[i],
            match="some" if all_count is not None and start + n >= all_count else "all",
        )
        for n, i in enumerate(int_ids)
        if i in found
    ]
    by_meaning = all_count is not None and vectors.current() is not None
    return SearchResult(
        hits, total, exact, page, per_page, suggestion, all_count, by_meaning
    )


def _known(s: Searcher) -> Callable[[str], bool]:
    """Whether a word leaves terms some indexed text holds."""

    def known(word: str) -> bool:
        terms = sq.analyzed(word)
        return bool(terms) and all(
            any(s.doc_frequency(f, t) for f in sq.ALL_TEXT_FIELDS) for t in terms
        )

    return known


def user_key(value: str) -> str | None:
    """The index key of ``user:`` (a user id, or a username any case)."""
    value = value.strip()
    if value.isdigit():
        return value
    return value.lower() or None


def boost(score: float, fields: Mapping[str, Any]) -> float:
    """A hit's relevance: its text score times the boosts of its thread."""
    factor = 1.0 + (SOLVED_BOOST if fields.get("accepted") else 0)
    factor *= 1.0 + SCORE_BOOST * math.log1p(max(fields.get("score") or 0, 0))
    if fields.get("duplicate"):
        factor *= DUPLICATE_FACTOR
    return score * factor


def _top(
    s: Searcher,
    q: wq.Query,
    parsed: sq.ParsedQuery,
    sort: str,
    limit: int,
    exclude: Set[int] = frozenset(),
) -> Found:
    """The first ``limit`` matches of ``q`` in this order, and their number."""
    return first_matches(
        s,
        q,
        sq.checks(parsed),
        limit,
        column=SORT_COLUMNS.get(sort),
        boost=boost,
        exclude=exclude,
        scan=current_app.config["SEARCH_SCAN_MATCHES"],
    )


def _ranked(
    s: Searcher, parsed: sq.ParsedQuery, sort: str, page: int, per_page: int
) -> tuple[list[str], int, bool, int | None]:
    """(ids of this page, total, exact?, all-words count) for a parsed search.

    The all-words count is None unless partial matches follow the threads
    that hold every word (see ``_partial``).

    Ranked by relevance, a search of the default fields runs in two tiers:
    first the questions whose title or body holds the words, then those that
    hold them only in answers or comments (ranked after all of the first).
    When the first tier fills the page the second is not searched (the total
    is then "about" an upper bound). Relevance searches stop after
    SEARCH_SCAN_MATCHES matches, newest segments first (see ``scanning``).
    """
    wanted = page * per_page
    start = (page - 1) * per_page
    common = sq.common_groups(parsed, s.doc_frequency, _common_limit(s))
    q = sq.build(parsed, common=common)
    tiered = (
        sort == "relevance"
        and parsed.text_fields == sq.ALL_TEXT_FIELDS
        and bool(parsed.text)
    )
    if not tiered:
        found = _top(s, q, parsed, sort, wanted)
        return found.ids[start:], found.count, found.exact, None
    first_q = sq.build(parsed, fields=sq.QUESTION_FIELDS, common=common)
    first = _top(s, first_q, parsed, sort, wanted)
    if first.count >= wanted:
        # The threads matching only with answers are not counted. When the
        # first tier was searched to the end, Whoosh's upper bound of the
        # whole query (at most every question) lets the pages after it be
        # reached (a cut-off first tier's extrapolation reaches far enough).
        if not first.exact:
            return first.ids[start:], first.count, False, None
        estimate = min(q.estimate_size(s.reader()), s.doc_count())
        estimate = max(estimate, _partial_estimate(s, parsed, first.count, common))
        return first.ids[start:], max(first.count, estimate), False, None
    # The first tier is complete here (a cut-off search has at least
    # ``wanted`` matches): the rest of the page comes from the threads that
    # match only with their answers.
    more = _top(s, q, parsed, sort, wanted - first.count, first.docnums)
    ids = first.ids + more.ids
    count = first.count + more.count
    if count < wanted and more.exact:
        partial = _partial(
            s, parsed, common, wanted - count, first.docnums | more.docnums, set(ids)
        )
        if partial is not None and partial.ids:
            total = count + partial.count
            return (ids + partial.ids)[start:], total, partial.exact, count
    if more.exact and count >= wanted:
        # Partial matches may follow on later pages: the total says so.
        estimate = _partial_estimate(s, parsed, count, common)
        if estimate > count:
            return ids[start:], estimate, False, None
    return ids[start:], count, more.exact, None


def _common_limit(s: Searcher) -> float:
    """How many questions hold a word that only ranks (``common_groups``)."""
    config = current_app.config
    return max(
        config["SEARCH_COMMON_SHARE"] * s.doc_count_all(), config["SEARCH_COMMON_MIN"]
    )


def _partial_query(parsed: sq.ParsedQuery, numbers: Set[int]) -> wq.Query | None:
    """The partial tier's query for a plain search, else None; ``numbers``:
    the common text groups (``common_groups``)."""
    groups = sq.meaningful_groups(parsed)
    if not groups:
        return None
    common = {parsed.text[n][0] for n in numbers}
    return sq.partial_query(
        groups, {i for i, group in enumerate(groups) if group[0] in common}
    )


def _partial_estimate(
    s: Searcher, parsed: sq.ParsedQuery, count: int, common: Set[int]
) -> int:
    """An upper bound of ``count`` all-words matches plus the partial matches
    that may follow them (``count`` when the query is never loosened)."""
    pq = _partial_query(parsed, common)
    if pq is None:
        return count
    return min(count + pq.estimate_size(s.reader()), s.doc_count())


def _partial(
    s: Searcher,
    parsed: sq.ParsedQuery,
    common: Set[int],
    limit: int,
    exclude: Set[int],
    listed: Set[str],
) -> Found | None:
    """The partial-match tier: when every thread holding all the words is on
    the pages before, the threads holding most of them (``partial_query``),
    by relevance, minus those already listed (``exclude``: their document
    numbers, ``listed``: their ids). A query with operators, or of fewer than
    two meaningful words, has none.

    With the sentence vectors, the tier's first PARTIAL_POOL matches and the
    questions closest in meaning are ranked by the hybrid mix (``hybrid``),
    with the similar box's candidates that hold two of the words or more
    (``_similar_shares``), the later matches after them as BM25 ranks them:
    every page cuts the same order.
    """
    pq = _partial_query(parsed, common)
    if pq is None:
        return None
    space = vectors.current()
    query = vectors.query_vector(_plain_text(parsed)) if space is not None else None
    found = first_matches(
        s,
        pq,
        [],
        limit if query is None else max(limit, PARTIAL_POOL),
        column=None,
        boost=boost,
        exclude=exclude,
        scan=current_app.config["SEARCH_SCAN_MATCHES"],
    )
    if space is None or query is None:
        return found
    pool = dict(zip(map(int, found.ids[:PARTIAL_POOL]), found.scores, strict=False))
    skip = {int(i) for i in listed}
    more = _similar_shares(_plain_text(parsed))
    mixed = hybrid.mix(space, query, pool, PARTIAL_POOL, skip, more=more)
    ids = [qid for qid, _ in mixed]
    later = [i for i in found.ids[PARTIAL_POOL:] if int(i) not in set(ids)]
    ordered = [str(qid) for qid in ids] + later
    extra = sum(1 for qid in ids if qid not in pool)
    return Found(ordered[:limit], found.docnums, found.count + extra, found.exact)


def _similar_shares(text: str) -> dict[int, float]:
    """The questions the similar box finds for the words (any of them,
    rarest first) that hold at least two of them, each score a share of the
    best: close in meaning, such a thread ranks though it holds too few of
    the words to be a partial match."""
    near = similarity.keyword_scores(text, min_words=2)
    best = max(near.values(), default=0.0)
    return {qid: score / best for qid, score in near.items()} if best > 0 else {}


def _plain_text(parsed: sq.ParsedQuery) -> str:
    """A plain query's words, as the sentence model reads them."""
    return " ".join(parsed.words)[: sq.MAX_QUERY_LENGTH]


def _suggest(s: Searcher, parsed: sq.ParsedQuery, raw: str, found: int) -> str | None:
    """A corrected query when some word is unknown and the correction finds
    more threads holding every word than the query does (``found``); never
    when every word already finds something."""
    if not parsed.words:
        return None
    corrected = raw
    changed = False
    for word in parsed.words:
        terms = sq.analyzed(word)
        if not terms or any(
            s.doc_frequency(f, t) for f in sq.ALL_TEXT_FIELDS for t in terms
        ):
            continue
        option = _correction(s, word.lower())
        if option:
            corrected = corrected.replace(word, option, 1)
            changed = True
    if not changed:
        return None
    fixed = expand(
        sq.unjoin(sq.parse(corrected, user_key), _known(s)), search_vocabulary
    )
    better = _top(s, sq.build(fixed), fixed, "relevance", 1)
    return corrected if better.count > found else None


def _correction(s: Searcher, word: str) -> str | None:
    """The real word of the titles closest to ``word``, the most common
    among the closest; never a fragment (a word much shorter than the one
    typed, such as "wi" for "wifi")."""
    best: tuple[int, int, str] | None = None
    # Each segment's reader: a multi-segment reader would give stemmed terms.
    options = {
        option
        for leaf, _ in s.leaf_searchers()
        for option in leaf.reader().terms_within("title", word, 2)
    }
    for option in options:
        if option == word or len(option) < max(3, len(word) - 1):
            continue
        frequency = sum(
            s.doc_frequency(f, t)
            for f in sq.ALL_TEXT_FIELDS
            for t in sq.analyzed(option)
        )
        key = (distance(word, option), -frequency, option)
        if frequency and (best is None or key < best):
            best = key
    return best[2] if best else None


def _questions(ids: list[int]) -> dict[int, Question]:
    """The questions of a page of hits, by id (a deleted one may be missing)."""
    rows = db.session.scalars(select(Question).where(Question.id.in_(ids)))
    return {q.id: q for q in rows}
