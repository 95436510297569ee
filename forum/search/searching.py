"""Running searches: one cached searcher per process, re-opened when stale."""

import math
import threading
from contextlib import contextmanager
from dataclasses import dataclass, field

from flask import current_app
from markupsafe import Markup
from sqlalchemy import func, select
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


class _Checked(collectors.WrappingCollector):
    """Collects only the matches whose column values pass the ranges."""

    def __init__(self, child, ranges: list[sq.Range]):
        super().__init__(child)
        self.ranges = ranges
        self.columns: list = []

    def set_subsearcher(self, subsearcher, offset):
        """Open the columns of this segment."""
        super().set_subsearcher(subsearcher, offset)
        reader = subsearcher.reader()
        self.columns = [(reader.column_reader(r.column), r) for r in self.ranges]

    def collect_matches(self):
        """Pass on the matches in every range."""
        child, columns = self.child, self.columns
        for sub_docnum in child.matches():
            if all(r.accepts(column[sub_docnum]) for column, r in columns):
                child.collect(sub_docnum)


def _top(s, q, ranges, sort: str, limit: int) -> tuple[list[str], int]:
    """(ids of the first ``limit`` matches in this order, how many match).

    The count is exact: Whoosh's block-quality skipping (which makes counts
    estimates) skipped almost nothing on this index's long documents.
    """
    if sort == "relevance":
        collector = s.collector(limit=max(limit, RERANK_DEPTH), optimize=False)
    else:
        collector = s.collector(
            limit=limit, sortedby="created_at" if sort == "newest" else "score",
            reverse=True,
        )  # fmt: skip
    if ranges:
        collector = _Checked(collector, ranges)
    s.search_with_collector(q, collector)
    results = collector.results()
    if sort == "relevance":
        scored = [
            (_boost(hit.score or 0.0, hit.fields()), hit["id"]) for hit in results
        ]
        scored.sort(key=lambda pair: -pair[0])
        ids = [doc_id for _, doc_id in scored]
    else:
        ids = [hit["id"] for hit in results]
    return ids[:limit], len(results)


def _ranked(s, parsed: sq.ParsedQuery, sort: str, page: int, per_page: int):
    """(ids of this page, total, exact?) for a parsed search and sort order.

    Ranked by relevance, a search of the default fields runs in two tiers:
    first the questions whose title or body holds the words, then those that
    hold them only in answers or comments (ranked after all of the first).
    When the first tier fills the page the second is not searched (its size
    is estimated): common words are in tens of thousands of threads, and
    scoring every one took a second at 100,000 questions.
    """
    wanted = page * per_page
    ranges = sq.checks(parsed)
    config = current_app.config
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
        ids, total = _top(s, q, ranges, sort, wanted)
        return ids[(page - 1) * per_page :], total, True
    first_q = sq.build(parsed, fields=sq.QUESTION_FIELDS, common=common)
    ids, first = _top(s, first_q, ranges, sort, wanted)
    if first >= wanted:
        estimate = q.estimate_size(s.reader())
        return ids[(page - 1) * per_page :], max(first, estimate), False
    more, rest = _top(s, wq.AndNot(q, first_q), ranges, sort, wanted - first)
    return (ids + more)[(page - 1) * per_page :], first + rest, True


def _highlights(ids: list[int], terms: set[str], want_answers: bool) -> dict:
    """Snippets per question id: from the body, else the best matching answer."""
    questions = {
        q.id: q
        for q in db.session.scalars(select(Question).where(Question.id.in_(ids)))
    }
    answers = answer_texts(ids)
    fragmenter = highlight.ContextFragmenter(maxchars=200, surround=40)
    formatter = MarkFormatter()
    result = {}
    for qid in ids:
        question = questions.get(qid)
        if question is None:
            continue
        snippets = []
        answer_id = None
        if not want_answers:
            text = plain_text(question.body_html)[:HIGHLIGHT_CHARS]
            snippet = highlight.highlight(
                text, terms, TEXT_ANALYZER, fragmenter, formatter, top=2
            )
            if snippet:
                snippets.append(Markup(snippet))
        if not snippets:
            best = (0, None, "")
            for aid, text in answers.get(qid, []):
                text = text[:HIGHLIGHT_CHARS]
                found = sum(1 for t in TEXT_ANALYZER(text) if t.text in terms)
                if found > best[0]:
                    best = (found, aid, text)
            if best[1] is not None:
                answer_id = best[1]
                snippet = highlight.highlight(
                    best[2], terms, TEXT_ANALYZER, fragmenter, formatter, top=2
                )
                if snippet:
                    snippets.append(Markup(snippet))
        if not snippets:
            start = plain_text(question.body_html)[:200]
            snippets.append(Markup.escape(start))
        result[qid] = (question, answer_id, snippets)
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
        if not terms or any(s.doc_frequency(f, t) for f in ("title", "body")
                            for t in terms):  # fmt: skip
            continue
        options = corrector.suggest(word.lower(), limit=1, maxdist=2)
        if options and options[0] != word.lower():
            corrected = corrected.replace(word, options[0], 1)
            changed = True
    if not changed:
        return None
    fixed = sq.parse(corrected, user_key)
    _, better = _top(s, sq.build(fixed), sq.checks(fixed), "relevance", 1)
    return corrected if better > found else None


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
    terms = {text.decode() if isinstance(text, bytes) else text
             for fieldname, text in q.all_terms()
             if fieldname in sq.ALL_TEXT_FIELDS}  # fmt: skip
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
    from_title = [(f, t, w) for f, w in config["SEARCH_SIMILAR_FIELDS"].items()
                  if w > 0 for t in words]  # fmt: skip
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
    return _live_questions(ids)


def _live_questions(ids: list[int]) -> list[Question]:
    """The live questions among ids, in that order."""
    if not ids:
        return []
    rows = {
        q.id: q
        for q in db.session.scalars(
            select(Question).where(Question.id.in_(ids), Question.deleted_at.is_(None))
        )
    }
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
