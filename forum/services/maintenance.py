"""Derived state: compare cached counters with what they derive from, and fix them."""

from sqlalchemy import func, select, update
from sqlalchemy.orm import aliased

from forum.extensions import db
from forum.models import Answer, Question


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
