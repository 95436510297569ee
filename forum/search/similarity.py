"""Questions like a draft: the "similar questions" of asking, and the
related questions box of a question page.

A draft's words are looked up field by field, rarest first, and OR'ed:
unlike a search, a similar question need not hold every word.
"""

import math

from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from whoosh import query as wq
from whoosh.searching import Searcher

from forum.caching import app_cache
from forum.extensions import db
from forum.models import Question
from forum.search.query import MAX_QUERY_LENGTH, MAX_TERMS, analyzed
from forum.search.searchers import searcher

# Relevance weights, chosen on bench/relevance.py; no operator tunes them.
# Where a title word counts; answers tell the problem in other people's words.
FIELD_WEIGHTS = {"title": 1.0, "body": 1.0, "answers": 1.5}
# A draft's body words count in bodies only, and less: its title is the question.
BODY_WEIGHT = 0.3
# Votes lift a little; no solved or duplicate factor (a duplicate leads on).
SCORE_BOOST = 0.3
# Postings read per lookup, rarest words first: bounds the time on a big index.
POSTINGS_BUDGET = 1000
# A word in more than this share of questions says little outside titles.
COMMON_SHARE = 0.1
# Below this many holders no word is common (on a small index every word is).
COMMON_FLOOR = 50
# How much of a draft's body is read: its start adds context to the title.
BODY_CHARS = 500
BODY_WORDS = 20


def similar(
    title: str, body: str = "", limit: int = 10, exclude: int | None = None
) -> list[Question]:
    """Questions like a draft's title (and body): for asking and related boxes."""
    return _live_questions(_similar_ids(title, body, limit, exclude))


def related(question: Question, limit: int = 5) -> list[Question]:
    """The related questions box of a question page: ``similar()`` to its
    title, the ids kept for RELATED_CACHE_SECONDS per process (the box is
    on every question page)."""
    cache = app_cache("related", "RELATED_CACHE_SECONDS")
    key = (question.id, question.title, limit)
    ids = cache.get(key) if cache is not None else None
    if ids is None:
        ids = _similar_ids(question.title, "", limit, question.id)
        if cache is not None:
            cache.put(key, ids)
    return _live_questions(ids, eager=False)


def _similar_ids(
    title: str | None, body: str | None, limit: int, exclude: int | None
) -> list[int]:
    """Ids of the questions most like the draft, best first."""
    words = list(dict.fromkeys(analyzed((title or "")[:MAX_QUERY_LENGTH])))
    extra = [
        t for t in dict.fromkeys(analyzed((body or "")[:BODY_CHARS])) if t not in words
    ]
    if not words and not extra:
        return []
    with searcher() as s:
        clauses = _clauses(s, words[:MAX_TERMS], extra[:BODY_WORDS])
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
                    * (1.0 + SCORE_BOOST * math.log1p(max(hit.get("score") or 0, 0))),
                    int(hit["id"]),
                )
                for hit in results
            ),
            key=lambda pair: -pair[0],
        )
    return [qid for _, qid in scored[:limit]]


def _clauses(s: Searcher, words: list[str], extra: list[str]) -> list[wq.Query]:
    """Term clauses: each (field, word) of the draft, rarest first, while
    their postings fit the budget (read cost grows with posting lists).

    A word held by more than the common share of questions counts in titles
    only; the draft's body words count in bodies, at the body weight.
    """
    common = max(COMMON_SHARE * s.doc_count_all(), COMMON_FLOOR)
    from_title = [(f, t, w) for f, w in FIELD_WEIGHTS.items() for t in words]
    from_body = [("body", t, BODY_WEIGHT) for t in extra]
    budget = POSTINGS_BUDGET
    clauses: list[wq.Query] = []
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
