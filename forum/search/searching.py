"""What a search means: the site's syntax, matched in two tiers, ranked.

By relevance, the threads whose question holds the words rank first, then
those that hold them only in answers or comments; the text score is boosted
a little for solved and well-voted threads and lowered for duplicates.
``scanning`` collects the matches, ``snippets`` marks them in the page.
"""

import math
from collections.abc import Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from flask import current_app
from markupsafe import Markup
from sqlalchemy import select
from whoosh import query as wq
from whoosh.searching import Searcher

from forum.extensions import db
from forum.models import Question
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
# Below this many hits a misspelling may be why: a correction is tried.
SUGGEST_BELOW = 5


@dataclass
class Hit:
    """One search result: the question, the matching answer, snippets."""

    question: Question
    answer_id: int | None = None
    highlights: list[Markup] = field(default_factory=list)


@dataclass
class SearchResult(Paged):
    """A page of hits and what the page shows around them."""

    hits: list[Hit]
    total: int
    exact_total: bool
    page: int
    per_page: int
    suggestion: str | None = None


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
    parsed = expand(sq.parse(raw or "", user_key), search_vocabulary)
    if parsed.is_empty:
        return SearchResult([], 0, True, page, per_page)
    q = sq.build(parsed)
    if isinstance(q, wq.Every) and not parsed.filters:
        # Only stop words (or lone punctuation): nothing to look for.
        return SearchResult([], 0, True, page, per_page)
    with searcher() as s:
        ids, total, exact = _ranked(s, parsed, sort, page, per_page)
        suggestion = _suggest(s, parsed, raw, total) if total < SUGGEST_BELOW else None
    terms = {
        text.decode() if isinstance(text, bytes) else text
        for fieldname, text in q.all_terms()
        if fieldname in sq.ALL_TEXT_FIELDS
    }
    int_ids = [int(i) for i in ids]
    questions = _questions(int_ids)
    found = highlights(questions, int_ids, terms, parsed.text_fields == ("answers",))
    hits = [Hit(questions[i], *found[i]) for i in int_ids if i in found]
    return SearchResult(hits, total, exact, page, per_page, suggestion)


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
) -> tuple[list[str], int, bool]:
    """(ids of this page, total, exact?) for a parsed search and sort order.

    Ranked by relevance, a search of the default fields runs in two tiers:
    first the questions whose title or body holds the words, then those that
    hold them only in answers or comments (ranked after all of the first).
    When the first tier fills the page the second is not searched (the total
    is then "about" an upper bound). Relevance searches stop after
    SEARCH_SCAN_MATCHES matches, newest segments first (see ``scanning``).
    """
    wanted = page * per_page
    start = (page - 1) * per_page
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
        found = _top(s, q, parsed, sort, wanted)
        return found.ids[start:], found.count, found.exact
    first_q = sq.build(parsed, fields=sq.QUESTION_FIELDS, common=common)
    first = _top(s, first_q, parsed, sort, wanted)
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
    more = _top(s, q, parsed, sort, wanted - first.count, first.docnums)
    return (first.ids + more.ids)[start:], first.count + more.count, more.exact


def _suggest(s: Searcher, parsed: sq.ParsedQuery, raw: str, found: int) -> str | None:
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
    fixed = expand(sq.parse(corrected, user_key), search_vocabulary)
    better = _top(s, sq.build(fixed), fixed, "relevance", 1)
    return corrected if better.count > found else None


def _questions(ids: list[int]) -> dict[int, Question]:
    """The questions of a page of hits, by id (a deleted one may be missing)."""
    rows = db.session.scalars(select(Question).where(Question.id.in_(ids)))
    return {q.id: q for q in rows}
