"""Running searches: one cached searcher per process, re-opened when stale."""

import functools
import math
import re
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup
from sqlalchemy import bindparam, func, select
from sqlalchemy.orm import lazyload
from whoosh import collectors, highlight
from whoosh import query as wq
from whoosh.index import EmptyIndexError

from forum.caching import app_cache
from forum.extensions import db
from forum.markup import plain_text
from forum.models import Question
from forum.search import query as sq
from forum.search.documents import answer_texts
from forum.search.indexer import ensure_index, store
from forum.search.schema import TEXT_ANALYZER

SORTS = ("relevance", "newest", "votes")
RERANK_DEPTH = 200
# Snippets come from this much of a body or answer (analysing whole long
# posts for 20 hits was a tenth of a search's time).
HIGHLIGHT_CHARS = 4000
# A snippet is highlighted in a window from this many characters before the
# first match to this many after the third, at most SNIPPET_WINDOW long.
SNIPPET_LEAD = 80
SNIPPET_TAIL = 200
SNIPPET_WINDOW = 600
_FRAGMENTER = highlight.ContextFragmenter(maxchars=200, surround=40)

_lock = threading.Lock()


class _Lease:
    """The searcher shared by a process's threads, and how many use it now."""

    def __init__(self, name: str, shared):
        self.name = name
        self.searcher = shared
        self.users = 0
        self.retired = False

    def retire(self) -> None:
        """No new users; close it once the current ones are done (under _lock)."""
        self.retired = True
        if self.users == 0:
            self.searcher.close()


_leases: dict[str, _Lease] = {}


def _open(idx_store) -> tuple[str, object]:
    name = idx_store.current_name()
    if name is None:
        ensure_index()
        name = idx_store.current_name()
    try:
        return name, idx_store.open(name).searcher()
    except Exception:  # damaged on disk since start: rebuild it, logged
        if not ensure_index():
            raise
        name = idx_store.current_name()
        return name, idx_store.open(name).searcher()


@contextmanager
def searcher():
    """Use the searcher on the live generation (a new one when the index changed).

    Threads share one; a replaced searcher is closed when its last user is
    done (a segment's files stay open as long as a searcher is). Never
    ``Searcher.refresh()``: it keeps stale segments in every Whoosh fork.
    """
    idx_store = store()
    key = str(idx_store.root)
    with _lock:
        lease = _leases.get(key)
        if (
            lease is None
            or lease.name != idx_store.current_name()
            or not lease.searcher.up_to_date()
        ):
            name, fresh = _open(idx_store)
            if lease is not None:
                lease.retire()
            lease = _leases[key] = _Lease(name, fresh)
        lease.users += 1
    try:
        yield lease.searcher
    finally:
        with _lock:
            lease.users -= 1
            if lease.retired and lease.users == 0:
                lease.searcher.close()


def close_searchers() -> None:
    """Close every shared searcher once unused (tests, shutdown)."""
    with _lock:
        for lease in _leases.values():
            lease.retire()
        _leases.clear()


class MarkFormatter(highlight.HtmlFormatter):
    """Escaped text with <mark> around matches, and nothing else."""

    def __init__(self):
        super().__init__(tagname="mark", between=" … ")

    def format_token(self, text, token, replace=False):
        """Wrap one matched token in <mark>, escaped."""
        ttext = highlight.htmlescape(highlight.get_text(text, token, replace))
        return f"<mark>{ttext}</mark>"


@dataclass
class Hit:
    """One search result: the question, the matching answer, snippets."""

    question: Question
    answer_id: int | None = None
    highlights: list[Markup] = field(default_factory=list)


@dataclass
class SearchResult:
    """A page of hits and what the page shows around them."""

    hits: list[Hit]
    total: int
    exact_total: bool
    page: int
    per_page: int
    suggestion: str | None = None

    @property
    def has_more(self) -> bool:
        """Whether a later page exists."""
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


def user_key(value: str) -> str | None:
    """The index key of ``user:`` (a user id, or a username any case)."""
    value = value.strip()
    if value.isdigit():
        return value
    return value.lower() or None


def _boost(score: float, fields: dict) -> float:
    config = current_app.config
    factor = 1.0 + (config["SEARCH_BOOST_SOLVED"] if fields.get("accepted") else 0)
    factor *= 1.0 + config["SEARCH_BOOST_SCORE"] * math.log1p(
        max(fields.get("score") or 0, 0)
    )
    if fields.get("duplicate"):
        factor *= config["SEARCH_DUPLICATE_FACTOR"]
    return score * factor


class _Gate(collectors.WrappingCollector):
    """Passes on the matches whose column values pass the ranges and that are
    not excluded (global document numbers), and counts them."""

    def __init__(self, child, ranges: list[sq.Range], exclude=frozenset()):
        super().__init__(child)
        self.ranges = ranges
        self.exclude = exclude
        self.columns: list = []
        self.matched = 0

    def set_subsearcher(self, subsearcher, offset):
        """Open the columns of this segment."""
        super().set_subsearcher(subsearcher, offset)
        reader = subsearcher.reader()
        self.columns = [(reader.column_reader(r.column), r) for r in self.ranges]

    def collect_matches(self):
        """Pass on (and count) the matches in every range, not excluded."""
        child, columns, exclude, base = (
            self.child,
            self.columns,
            self.exclude,
            self.offset,
        )
        matched = 0
        for sub_docnum in child.matches():
            if exclude and base + sub_docnum in exclude:
                continue
            if all(r.accepts(column[sub_docnum]) for column, r in columns):
                child.collect(sub_docnum)
                matched += 1
        self.matched += matched


@dataclass
class _Found:
    """The first matches of a query in some order, and how many match."""

    ids: list[str]
    docnums: set[int]
    count: int
    exact: bool


def _top(s, q, ranges, sort: str, limit: int, exclude=frozenset(), scan=0) -> _Found:
    """The first ``limit`` matches in this order, and their number.

    With ``scan`` (relevance order only), segments are searched newest first
    in bands: a band ends with the segment where it reached ``scan`` matches,
    and is ranked after the bands before it (so every page of a search ranks
    the same bands). The search stops once the bands fill ``limit``, and the
    count is then extrapolated from the share of the index searched. Whoosh
    matches and scores in Python (10-60 µs a match), so scoring every thread
    that holds a few common words took up to a second at 100,000 questions.
    """
    if sort != "relevance":
        scan = 0
    ids: list[str] = []
    docnums: set[int] = set()
    matched = searched = 0
    gate = None

    def close_band() -> None:
        nonlocal matched
        gate.finish()
        hits = list(gate.child.results())
        if sort == "relevance":
            hits.sort(key=lambda hit: -_boost(hit.score or 0.0, hit.fields()))
        for hit in hits[: limit - len(ids)]:
            ids.append(hit["id"])
            docnums.add(hit.docnum)
        matched += gate.matched

    for subsearcher, offset in reversed(s.leaf_searchers()):
        if gate is None:
            if sort == "relevance":
                wanted = max(limit - len(ids), RERANK_DEPTH)
                child = s.collector(limit=wanted, optimize=False)
            else:
                child = s.collector(
                    limit=limit,
                    sortedby="created_at" if sort == "newest" else "score",
                    reverse=True,
                )
            gate = _Gate(child, ranges, exclude)
            gate.prepare(s, q, s.context())
        gate.set_subsearcher(subsearcher, offset)
        gate.collect_matches()
        searched += subsearcher.doc_count_all()
        if scan and gate.matched >= scan:
            close_band()
            gate = None
            if len(ids) >= limit:
                break
    if gate is not None:
        close_band()
    total_docs = s.doc_count_all()
    if searched >= total_docs:
        return _Found(ids, docnums, matched, True)
    estimate = round(matched * total_docs / max(searched, 1))
    return _Found(ids, docnums, estimate, False)


def _ranked(s, parsed: sq.ParsedQuery, sort: str, page: int, per_page: int):
    """(ids of this page, total, exact?) for a parsed search and sort order.

    Ranked by relevance, a search of the default fields runs in two tiers:
    first the questions whose title or body holds the words, then those that
    hold them only in answers or comments (ranked after all of the first).
    When the first tier fills the page the second is not searched (the total
    is then "about" an upper bound). Relevance searches stop after
    SEARCH_SCAN_MATCHES matches, newest segments first (see ``_top``).
    """
    wanted = page * per_page
    start = (page - 1) * per_page
    ranges = sq.checks(parsed)
    config = current_app.config
    scan = config["SEARCH_SCAN_MATCHES"]
    common_limit = max(
        config["SEARCH_COMMON_SHARE"] * s.doc_count_all(), config["SEARCH_COMMON_MIN"]
    )
    common = sq.common_groups(parsed, s.doc_frequency, common_limit)
    q = sq.build(parsed, common=common)
    tiered = (
        sort == "relevance"
        and parsed.text_fields == sq.ALL_TEXT_FIELDS
        and bool(parsed.text)
    )
    if not tiered:
        found = _top(s, q, ranges, sort, wanted, scan=scan)
        return found.ids[start:], found.count, found.exact
    first_q = sq.build(parsed, fields=sq.QUESTION_FIELDS, common=common)
    first = _top(s, first_q, ranges, sort, wanted, scan=scan)
    if first.count >= wanted:
        # The threads matching only with answers are not counted. When the
        # first tier was searched to the end, Whoosh's upper bound of the
        # whole query (at most every question) lets the pages after it be
        # reached (a cut-off first tier's extrapolation reaches far enough).
        if not first.exact:
            return first.ids[start:], first.count, False
        estimate = min(q.estimate_size(s.reader()), s.doc_count())
        return first.ids[start:], max(first.count, estimate), False
    # The first tier is complete here (a cut-off search has at least
    # ``wanted`` matches): the rest of the page comes from the threads that
    # match only with their answers.
    more = _top(s, q, ranges, sort, wanted - first.count, first.docnums, scan)
    return (first.ids + more.ids)[start:], first.count + more.count, more.exact


# Whoosh's default tokenizer: how the analyzer splits text into words.
_WORD_RE = re.compile(r"\w+(?:\.?\w+)*")


@functools.lru_cache(maxsize=65536)
def _term_of(word: str) -> str | None:
    """The index term of one lower-case word (None for a stop word)."""
    terms = sq.analyzed(word)
    return terms[0] if terms else None


def _term_finder(terms: set[str]) -> re.Pattern | None:
    """A regex finding the words that may stem to ``terms``: a stem is the
    start of its words, but for a final "i" ("happi" from "happy")."""
    stems = sorted(
        {t[:-1] if t.endswith("i") and len(t) > 2 else t for t in terms if t},
        key=len,
        reverse=True,
    )
    if not stems:
        return None
    alternatives = "|".join(re.escape(stem) for stem in stems)
    return re.compile(rf"\b(?:{alternatives})\w*(?:\.?\w+)*", re.IGNORECASE)


def _matches(text: str, finder, terms: set[str], limit: int = 0) -> list[int]:
    """Offsets of the words of ``text`` that analyse to one of ``terms``."""
    found = []
    if finder is None:
        return found
    for match in finder.finditer(text):
        if _term_of(match.group().lower()) in terms:
            found.append(match.start())
            if limit and len(found) >= limit:
                break
    return found


def _snippet(text: str, offsets: list[int], terms: set[str]) -> Markup | None:
    """Whoosh's highlight of the part of ``text`` around its first matches
    (analysing whole posts for 20 hits was a third of a search's time)."""
    first = offsets[0]
    begin = max(0, first - SNIPPET_LEAD)
    end = min(len(text), max(offsets[:3]) + SNIPPET_TAIL, begin + SNIPPET_WINDOW)
    if begin:  # start and end at word boundaries
        space = text.find(" ", begin, first)
        begin = space + 1 if space >= 0 else begin
    if end < len(text):
        space = text.rfind(" ", max(offsets[:3]), end)
        end = space if space > 0 else end
    window = text[begin:end]
    snippet = highlight.highlight(
        window, terms, TEXT_ANALYZER, _FRAGMENTER, MarkFormatter(), top=2
    )
    return Markup(snippet) if snippet else None


def _highlights(ids: list[int], terms: set[str], want_answers: bool) -> dict:
    """Snippets per question id: from the body, else the best matching answer."""
    questions = {
        q.id: q
        for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))
    }
    finder = _term_finder(terms)
    snippets: dict[int, list[Markup]] = {}
    for qid, question in questions.items():
        found = None
        if not want_answers:
            text = plain_text(question.body_html)[:HIGHLIGHT_CHARS]
            offsets = _matches(text, finder, terms, limit=3)
            found = _snippet(text, offsets, terms) if offsets else None
        snippets[qid] = [found] if found else []
    answer_ids: dict[int, int] = {}
    for qid, texts in answer_texts([q for q in ids if not snippets.get(q)]).items():
        best = (0, None, "", [])
        for aid, text in texts:
            text = text[:HIGHLIGHT_CHARS]
            offsets = _matches(text, finder, terms)
            if len(offsets) > best[0]:
                best = (len(offsets), aid, text, offsets)
        if best[1] is not None:
            answer_ids[qid] = best[1]
            found = _snippet(best[2], best[3], terms)
            if found:
                snippets[qid] = [found]
    result = {}
    for qid in ids:
        question = questions.get(qid)
        if question is None:
            continue
        if not snippets.get(qid):
            snippets[qid] = [Markup.escape(plain_text(question.body_html)[:200])]
        result[qid] = (question, answer_ids.get(qid), snippets[qid])
    return result


def _suggest(s, parsed: sq.ParsedQuery, raw: str, found: int) -> str | None:
    """A corrected query when some word is unknown and the correction finds more."""
    if not parsed.words:
        return None
    corrector = s.corrector("title")
    corrected = raw
    changed = False
    for word in parsed.words:
        terms = sq.analyzed(word)
        if not terms or any(
            s.doc_frequency(f, t) for f in ("title", "body") for t in terms
        ):
            continue
        options = corrector.suggest(word.lower(), limit=1, maxdist=2)
        if options and options[0] != word.lower():
            corrected = corrected.replace(word, options[0], 1)
            changed = True
    if not changed:
        return None
    fixed = sq.parse(corrected, user_key)
    scan = current_app.config["SEARCH_SCAN_MATCHES"]
    better = _top(s, sq.build(fixed), sq.checks(fixed), "relevance", 1, scan=scan)
    return corrected if better.count > found else None


def search(raw: str, sort: str = "relevance", page: int = 1, per_page: int = 20):
    """Run a search in the site's syntax. Never raises for odd input.

    Raises forum.services.errors.BadRequest for an unknown sort only.
    """
    from forum.services.errors import BadRequest

    if sort not in SORTS:
        raise BadRequest(
            f"sort must be one of {', '.join(SORTS)}.", {"sort": sort[:50]}
        )
    parsed = sq.parse(raw or "", user_key)
    if parsed.is_empty:
        return SearchResult([], 0, True, page, per_page)
    q = sq.build(parsed)
    if isinstance(q, wq.Every) and not parsed.filters:
        # Only stop words (or lone punctuation): nothing to look for.
        return SearchResult([], 0, True, page, per_page)
    with searcher() as s:
        ids, total, exact = _ranked(s, parsed, sort, page, per_page)
        suggestion = _suggest(s, parsed, raw, total) if total < 5 else None
    terms = {
        text.decode() if isinstance(text, bytes) else text
        for fieldname, text in q.all_terms()
        if fieldname in sq.ALL_TEXT_FIELDS
    }
    int_ids = [int(i) for i in ids]
    found = _highlights(int_ids, terms, parsed.text_fields == ("answers",))
    hits = [Hit(*found[i]) for i in int_ids if i in found]
    return SearchResult(hits, total, exact, page, per_page, suggestion)


# Below this many questions holding a word, the word is never "common" (on a
# small index every word is in a large share of the questions).
SIMILAR_COMMON_FLOOR = 50


def _similar_clauses(s, words: list[str], extra: list[str]) -> list[wq.Query]:
    """Term clauses for similar(): each (field, word) of the draft, rarest first,
    while their postings fit the budget (read cost grows with posting lists).

    A word held by more than the common share of questions counts in titles
    only; the draft's body words count in bodies, at the body weight.
    """
    config = current_app.config
    share = config["SEARCH_SIMILAR_COMMON_SHARE"]
    common = max(share * s.doc_count_all(), SIMILAR_COMMON_FLOOR)
    from_title = [
        (f, t, w)
        for f, w in config["SEARCH_SIMILAR_FIELDS"].items()
        if w > 0
        for t in words
    ]
    from_body = [("body", t, config["SEARCH_SIMILAR_BODY_WEIGHT"]) for t in extra]
    budget = config["SEARCH_SIMILAR_POSTINGS"]
    clauses = []
    for wanted in (from_title, from_body):
        for df, fieldname, term, weight in sorted(
            (s.doc_frequency(f, t), f, t, w) for f, t, w in wanted
        ):
            if df == 0 or (fieldname != "title" and df > common):
                continue
            if clauses and df > budget:
                break
            budget -= df
            clauses.append(wq.Term(fieldname, term, boost=weight))
    return clauses


def similar(title: str, body: str = "", limit: int = 10, exclude: int | None = None):
    """Questions like a draft's title (and body): for asking and related boxes."""
    return _live_questions(_similar_ids(title, body, limit, exclude))


def related(question: Question, limit: int = 5) -> list[Question]:
    """The related questions box of a question page: ``similar()`` to its
    title, the ids kept for RELATED_CACHE_SECONDS per process (the box was
    two fifths of a question page's time at 100,000 questions)."""
    cache = app_cache("related", "RELATED_CACHE_SECONDS")
    key = (question.id, question.title, limit)
    ids = cache.get(key) if cache is not None else None
    if ids is None:
        ids = _similar_ids(question.title, "", limit, question.id)
        if cache is not None:
            cache.put(key, ids)
    return _live_questions(ids, eager=False)


_LIVE_QUESTIONS = select(Question).where(
    Question.id.in_(bindparam("ids", expanding=True)), Question.deleted_at.is_(None)
)
_LIVE_QUESTIONS_LAZY = _LIVE_QUESTIONS.options(lazyload("*"))


def _live_questions(ids: list[int], eager: bool = True) -> list[Question]:
    """The live questions among ids, in that order. Not ``eager``: without
    their owners and tags (the related box shows titles and scores)."""
    if not ids:
        return []
    statement = _LIVE_QUESTIONS if eager else _LIVE_QUESTIONS_LAZY
    rows = {q.id: q for q in db.session.scalars(statement, {"ids": ids})}
    return [rows[i] for i in ids if i in rows]


def _similar_ids(title: str, body: str, limit: int, exclude: int | None) -> list[int]:
    words = list(dict.fromkeys(sq.analyzed((title or "")[: sq.MAX_QUERY_LENGTH])))
    extra = [
        t for t in dict.fromkeys(sq.analyzed((body or "")[:500])) if t not in words
    ]
    if not words and not extra:
        return []
    by_score = current_app.config["SEARCH_SIMILAR_BOOST_SCORE"]
    with searcher() as s:
        clauses = _similar_clauses(s, words[: sq.MAX_TERMS], extra[:20])
        if not clauses:
            return []
        q = wq.Or(clauses)
        # Whoosh's preloading union (its choice on small indexes) under-reports
        # its best score, and the collector then drops top hits: use the plain
        # tree.
        q.matcher_type = wq.Or.DEFAULT_MATCHER
        # Excluding with a mask, not AndNot: AndNot can lose top hits with a
        # limit.
        mask = wq.Term("id", str(exclude)) if exclude is not None else None
        results = s.search(q, limit=limit * 3, mask=mask)
        scored = sorted(
            (
                (
                    (hit.score or 0.0)
                    * (1.0 + by_score * math.log1p(max(hit.get("score") or 0, 0))),
                    int(hit["id"]),
                )
                for hit in results
            ),
            key=lambda pair: -pair[0],
        )
    return [qid for _, qid in scored[:limit]]


def index_counts() -> tuple[int, int]:
    """(live questions in the database, documents in the index)."""
    live = db.session.scalar(
        select(func.count(Question.id)).where(Question.deleted_at.is_(None))
    )
    try:
        with searcher() as s:
            return live, s.doc_count()
    except EmptyIndexError:
        return live, 0
