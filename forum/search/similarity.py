"""Questions like a draft: the "similar questions" of asking, and the
related questions box of a question page.

A draft's words are looked up field by field, rarest first, and OR'ed:
unlike a search, a similar question need not hold every word.
"""

import math
from collections.abc import Sequence

import numpy as np
from sqlalchemy import bindparam, select
from sqlalchemy.orm import lazyload
from whoosh import query as wq
from whoosh.searching import Searcher

from forum.caching import app_cache
from forum.extensions import db
from forum.models import Answer, Question
from forum.search import hybrid, vectors
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
# The related box reads the whole thread: body and answers, this much of it.
THREAD_CHARS = 2000
THREAD_WORDS = 40
# A tag the thread carries: questions with it rank up (a tag is a topic).
TAG_WEIGHT = 2.0
# How many similar questions a draft is shown.
SIMILAR_LIMIT = 10
# A related question scores at least this share of the best one: a thread's
# many words otherwise bring in questions that share one ordinary word.
RELATED_MIN_SHARE = 0.25


def similar(
    title: str, body: str = "", limit: int = SIMILAR_LIMIT, exclude: int | None = None
) -> list[Question]:
    """Questions like a draft's title (and body): for asking and related boxes."""
    return _live_questions(_similar_ids(title, body, limit, exclude))


def related(
    question: Question, limit: int = 5, answers: Sequence[Answer] | None = None
) -> list[Question]:
    """The related questions box of a question page: questions like its
    whole thread (title, the start of its body and answers, its tags), the
    ids kept for RELATED_CACHE_SECONDS per process (the box is on every
    question page). ``answers``: the thread's answers if already loaded."""
    cache = app_cache("related", "RELATED_CACHE_SECONDS")
    key = (question.id, question.title, limit)
    ids = cache.get(key) if cache is not None else None
    if ids is None:
        if answers is None:
            answers = question.answers
        ids = _similar_ids(
            question.title,
            _thread_text(question, answers),
            limit,
            question.id,
            tags=question.tag_names,
            body_words=THREAD_WORDS,
            min_share=RELATED_MIN_SHARE,
            query=_own_vector(question.id),
            encode=False,
        )
        if cache is not None:
            cache.put(key, ids)
    return _live_questions(ids, eager=False)


def _own_vector(question_id: int) -> np.ndarray | None:
    """A stored question's full vector: the related box encodes nothing."""
    if vectors.current() is None:
        return None
    vstore = vectors.store()
    with vstore.connect() as con:
        return vstore.full_vector(con, question_id)


def _thread_text(question: Question, answers: Sequence[Answer]) -> str:
    """The start of the thread's text: the body, then the live answers
    (accepted first), cut at THREAD_CHARS so the query stays cheap."""
    live = sorted(
        (a for a in answers if a.deleted_at is None),
        key=lambda a: a.id != question.accepted_answer_id,
    )
    parts = [question.body_markdown or ""]
    size = len(parts[0])
    for answer in live:
        if size >= THREAD_CHARS:
            break
        parts.append(answer.body_markdown or "")
        size += len(parts[-1])
    return "\n".join(parts)[:THREAD_CHARS]


def _similar_ids(
    title: str | None,
    body: str | None,
    limit: int,
    exclude: int | None,
    tags: Sequence[str] = (),
    body_words: int = BODY_WORDS,
    min_share: float = 0.0,
    query: np.ndarray | None = None,
    encode: bool = True,
) -> list[int]:
    """Ids of the questions most like the draft, best first: BM25 alone, or
    mixed with the sentence vectors when this process holds them all.

    ``query``: the draft's vector when known (a stored question's own);
    otherwise the draft's text is encoded when vectors are in use and
    ``encode`` allows it.
    """
    keyword = _bm25_scores(title, body, limit, exclude, tags, body_words)
    space = vectors.current()
    if space is not None:
        if query is None and encode and (title or body):
            query = vectors.query_vector(_draft_text(title or "", body or ""))
        if query is not None:
            excluded = () if exclude is None else (exclude,)
            mixed = hybrid.mix(space, query, keyword, limit, excluded, min_share)
            return [qid for qid, _ in mixed]
    ranked = sorted(keyword.items(), key=lambda pair: -pair[1])
    floor = ranked[0][1] * min_share if ranked else 0.0
    return [qid for qid, score in ranked[:limit] if score >= floor]


def keyword_scores(text: str, min_words: int = 1) -> dict[int, float]:
    """The similar box's keyword scores for a title-like text, of the
    questions holding at least ``min_words`` of its words (search's partial
    tier mixes them in, see ``searching._partial``)."""
    return _bm25_scores(text, "", SIMILAR_LIMIT, None, (), BODY_WORDS, min_words)


def _draft_text(title: str, body: str) -> str:
    """What a draft is encoded as: its title, and its body's start once written
    (as a stored question's "full" vector)."""
    title = title[:MAX_QUERY_LENGTH]
    if not body.strip():
        return title
    return f"{title}\n{body[: vectors.BODY_CHARS]}".strip()


def _bm25_scores(
    title: str | None,
    body: str | None,
    limit: int,
    exclude: int | None,
    tags: Sequence[str],
    body_words: int,
    min_words: int = 1,
) -> dict[int, float]:
    """The keyword scores of the questions most like the draft (votes lift a
    little), for up to three times ``limit`` questions, each holding at
    least ``min_words`` of the draft's words (in any field)."""
    words = list(dict.fromkeys(analyzed((title or "")[:MAX_QUERY_LENGTH])))
    body_chars = THREAD_CHARS if body_words > BODY_WORDS else BODY_CHARS
    extra = [
        t for t in dict.fromkeys(analyzed((body or "")[:body_chars])) if t not in words
    ]
    if not words and not extra:
        return {}
    with searcher() as s:
        clauses = _clauses(
            s, words[:MAX_TERMS], extra[:body_words], [t.lower() for t in tags]
        )
        if not clauses:
            return {}
        q = wq.Or(clauses)
        # Whoosh's preloading union (its choice on small indexes) under-reports
        # its best score, and the collector then drops top hits: use the plain
        # tree.
        q.matcher_type = wq.Or.DEFAULT_MATCHER
        # Excluding with a mask, not AndNot: AndNot can lose top hits with a
        # limit.
        mask = wq.Term("id", str(exclude)) if exclude is not None else None
        results = s.search(q, limit=limit * 3, mask=mask, terms=min_words > 1)
        return {
            int(hit["id"]): (hit.score or 0.0)
            * (1.0 + SCORE_BOOST * math.log1p(max(hit.get("score") or 0, 0)))
            for hit in results
            if min_words < 2 or len({t for _, t in hit.matched_terms()}) >= min_words
        }


def _clauses(
    s: Searcher, words: list[str], extra: list[str], tags: Sequence[str] = ()
) -> list[wq.Query]:
    """Term clauses: each (field, word) of the draft, rarest first, while
    their postings fit the budget (read cost grows with posting lists).

    A word held by more than the common share of questions counts in titles
    only; the draft's body words count in bodies, at the body weight; its
    tags count in tags, at the tag weight.
    """
    common = max(COMMON_SHARE * s.doc_count_all(), COMMON_FLOOR)
    from_title = [(f, t, w) for f, w in FIELD_WEIGHTS.items() for t in words]
    from_body = [("body", t, BODY_WEIGHT) for t in extra]
    from_tags = [("tags", t, TAG_WEIGHT) for t in tags]
    budget = POSTINGS_BUDGET
    clauses: list[wq.Query] = []
    for wanted in (from_title, from_tags, from_body):
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
