"""Derived state: compare cached counters with what they derive from, and fix them."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from forum.extensions import db
from forum.models import Answer, Post, Question, Vote


def answer_count_drift() -> list[tuple[int, int, int]]:
    """Questions whose cached answer_count differs: (id, cached, live answers)."""
    # Questions and answers share one table, so the answers need an alias.
    answer = aliased(Answer)
    live = (
        select(func.count(answer.id))
        .where(answer.question_id == Question.id, answer.deleted_at.is_(None))
        .scalar_subquery()
    )
    rows = db.session.execute(
        select(Question.id, Question.answer_count, live)
        .where(func.coalesce(Question.answer_count, -1) != live)
        .order_by(Question.id)
    )
    return [(qid, cached, actual) for qid, cached, actual in rows]


def fix_answer_counts() -> list[tuple[int, int, int]]:
    """Set every drifted answer_count to its live value; return what changed."""
    drift = answer_count_drift()
    for qid, _, actual in drift:
        db.session.execute(
            update(Question).where(Question.id == qid).values(answer_count=actual)
        )
    db.session.commit()
    return drift


def score_drift() -> list[tuple[int, int, int]]:
    """Posts whose cached score differs from their imported score plus the sum
    of their votes: (id, cached, expected)."""
    votes = (
        select(func.coalesce(func.sum(Vote.value), 0))
        .where(Vote.post_id == Post.id)
        .scalar_subquery()
    )
    expected = Post.imported_score + votes
    rows = db.session.execute(
        select(Post.id, Post.score, expected)
        .where(Post.score != expected)
        .order_by(Post.id)
    )
    return [(pid, cached, want) for pid, cached, want in rows]


def fix_scores() -> list[tuple[int, int, int]]:
    """Set every drifted score to its imported score plus votes; return them."""
    drift = score_drift()
    for pid, _, want in drift:
        db.session.execute(update(Post).where(Post.id == pid).values(score=want))
    db.session.commit()
    return drift
