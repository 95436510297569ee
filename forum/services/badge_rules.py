"""Badge definitions and their rules: each rule is a query on the database.

A rule returns the users (and, for per-post badges, the posts) that qualify
now; ``forum.services.badges`` decides which of them are new and awards them.
Thresholds come from ``BADGES`` and ``BADGE_UNANSWERED_DAYS`` in the config.
"""

from collections.abc import Callable, Collection
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from flask import current_app
from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import QueryableAttribute, aliased

from forum.extensions import db
from forum.models import Answer, Comment, Question, Revision, Vote

CLASSES = ("gold", "silver", "bronze")

# A model's column (or an alias's), as rules select and filter it.
ModelColumn = QueryableAttribute[Any]
# A rule: threshold -> (statement, its user column, its post column or None).
RuleQuery = tuple[Select[Any], ModelColumn, ModelColumn | None]
Rule = Callable[[int | None], RuleQuery]


@dataclass(frozen=True)
class Badge:
    """One badge: ``key`` is stored in BadgeAward.badge and used in URLs."""

    key: str
    name: str
    badge_class: str
    per_post: bool
    template: str  # the description; {n} is the threshold, {days} the wait
    rule: Rule

    @property
    def threshold(self) -> int | None:
        """The configured number this badge's rule needs (None if it needs none)."""
        return current_app.config["BADGES"].get(self.key)

    @property
    def description(self) -> str:
        """What earns the badge, with the configured numbers filled in."""
        days = current_app.config["BADGE_UNANSWERED_DAYS"]
        return self.template.format(n=self.threshold, days=days)


def _distinct_users(column: ModelColumn, *where: ColumnElement[bool]) -> RuleQuery:
    stmt = select(column).where(column.is_not(None), *where).distinct()
    return stmt, column, None


def _post_score(model) -> Rule:
    def rule(n) -> RuleQuery:
        return _distinct_users(model.owner_id, model.score >= n, _live(model))

    return rule


def _per_post(model, column_name: str) -> Rule:
    def rule(n) -> RuleQuery:
        stmt = select(model.owner_id, model.id).where(
            model.owner_id.is_not(None),
            getattr(model, column_name) >= n,
            _live(model),
        )
        return stmt, model.owner_id, model.id

    return rule


def _live(model: Any) -> ColumnElement[bool]:
    return model.deleted_at.is_(None)


def _not_own(asker: ModelColumn, answerer: ModelColumn) -> ColumnElement[bool]:
    return or_(asker.is_(None), asker != answerer)


def _scholar(n) -> RuleQuery:
    accepted = aliased(Answer)
    return _distinct_users(
        Question.owner_id,
        Question.accepted_by == "asker",
        _live(Question),
        exists().where(
            accepted.id == Question.accepted_answer_id,
            _not_own(accepted.owner_id, Question.owner_id),
        ),
    )


def _voters(value: int) -> Rule:
    def rule(n) -> RuleQuery:
        return _distinct_users(Vote.user_id, Vote.value == value)

    return rule


def _editor(n) -> RuleQuery:
    return _distinct_users(Revision.author_id, Revision.number >= 2)


def _counted(stmt: Select[Any], column: ModelColumn, n: int) -> RuleQuery:
    stmt = stmt.where(column.is_not(None)).group_by(column)
    return stmt.having(func.count() >= n), column, None


def _commentator(n) -> RuleQuery:
    stmt = select(Comment.owner_id).where(_live(Comment))
    return _counted(stmt, Comment.owner_id, n)


def _enlightened(n) -> RuleQuery:
    question = aliased(Question)
    stmt = (
        select(Answer.owner_id, Answer.id)
        .join(question, question.accepted_answer_id == Answer.id)
        .where(
            Answer.owner_id.is_not(None),
            Answer.score >= n,
            _live(Answer),
            question.deleted_at.is_(None),
        )
    )
    return stmt, Answer.owner_id, Answer.id


def _answers_to_others(
    question: Any, on: ColumnElement[bool], *where: ColumnElement[bool]
) -> Select[Any]:
    """Owners of live answers joined ``on`` a condition to live questions of
    other people (``question`` is an alias of Question)."""
    return (
        select(Answer.owner_id)
        .join(question, on)
        .where(
            _live(Answer),
            _live(question),
            _not_own(question.owner_id, Answer.owner_id),
            *where,
        )
    )


def _solution_provider(n) -> RuleQuery:
    question = aliased(Question)
    stmt = _answers_to_others(question, question.accepted_answer_id == Answer.id)
    return _counted(stmt, Answer.owner_id, n)


def _at_least_days_after(
    later: ModelColumn, earlier: ModelColumn, days: int
) -> ColumnElement[bool]:
    """``later >= earlier + days``, in SQL both SQLite and PostgreSQL run."""
    if db.session.get_bind().dialect.name == "sqlite":
        return func.julianday(later) - func.julianday(earlier) >= days
    return later >= earlier + timedelta(days=days)


def _troubleshooter(n) -> RuleQuery:
    question = aliased(Question)
    earlier = aliased(Answer)
    days = current_app.config["BADGE_UNANSWERED_DAYS"]
    # The user's answer is the question's first live answer, posted after the
    # question had waited at least ``days`` days.
    earlier_answer = exists().where(
        earlier.question_id == Answer.question_id,
        earlier.deleted_at.is_(None),
        or_(
            earlier.created_at < Answer.created_at,
            and_(earlier.created_at == Answer.created_at, earlier.id < Answer.id),
        ),
    )
    stmt = _answers_to_others(
        question,
        question.id == Answer.question_id,
        _at_least_days_after(Answer.created_at, question.created_at, days),
        ~earlier_answer,
    )
    return _counted(stmt, Answer.owner_id, n)


BADGES: tuple[Badge, ...] = (
    Badge(
        "student",
        "Student",
        "bronze",
        False,
        "Asked a question with a score of {n} or more.",
        _post_score(Question),
    ),
    Badge(
        "teacher",
        "Teacher",
        "bronze",
        False,
        "Answered a question with a score of {n} or more.",
        _post_score(Answer),
    ),
    Badge(
        "scholar",
        "Scholar",
        "bronze",
        False,
        "Accepted someone's answer to their own question.",
        _scholar,
    ),
    Badge(
        "supporter", "Supporter", "bronze", False, "Cast a first upvote.", _voters(1)
    ),
    Badge("critic", "Critic", "bronze", False, "Cast a first downvote.", _voters(-1)),
    Badge(
        "editor",
        "Editor",
        "bronze",
        False,
        "Edited a question or an answer for the first time.",
        _editor,
    ),
    Badge(
        "commentator",
        "Commentator",
        "bronze",
        False,
        "Left {n} comments.",
        _commentator,
    ),
    Badge(
        "nice-question",
        "Nice Question",
        "bronze",
        True,
        "Asked a question with a score of {n}.",
        _per_post(Question, "score"),
    ),
    Badge(
        "good-question",
        "Good Question",
        "silver",
        True,
        "Asked a question with a score of {n}.",
        _per_post(Question, "score"),
    ),
    Badge(
        "great-question",
        "Great Question",
        "gold",
        True,
        "Asked a question with a score of {n}.",
        _per_post(Question, "score"),
    ),
    Badge(
        "nice-answer",
        "Nice Answer",
        "bronze",
        True,
        "Wrote an answer with a score of {n}.",
        _per_post(Answer, "score"),
    ),
    Badge(
        "good-answer",
        "Good Answer",
        "silver",
        True,
        "Wrote an answer with a score of {n}.",
        _per_post(Answer, "score"),
    ),
    Badge(
        "great-answer",
        "Great Answer",
        "gold",
        True,
        "Wrote an answer with a score of {n}.",
        _per_post(Answer, "score"),
    ),
    Badge(
        "popular-question",
        "Popular Question",
        "bronze",
        True,
        "Asked a question with {n} views.",
        _per_post(Question, "view_count"),
    ),
    Badge(
        "notable-question",
        "Notable Question",
        "silver",
        True,
        "Asked a question with {n} views.",
        _per_post(Question, "view_count"),
    ),
    Badge(
        "famous-question",
        "Famous Question",
        "gold",
        True,
        "Asked a question with {n} views.",
        _per_post(Question, "view_count"),
    ),
    Badge(
        "enlightened",
        "Enlightened",
        "silver",
        True,
        "Wrote an accepted answer with a score of {n} or more.",
        _enlightened,
    ),
    Badge(
        "solution-provider",
        "Solution Provider",
        "silver",
        False,
        "Had {n} answers accepted on other people's questions.",
        _solution_provider,
    ),
    Badge(
        "troubleshooter",
        "Troubleshooter",
        "gold",
        False,
        "Gave the first answer to {n} questions by others that had waited "
        "{days} days or more.",
        _troubleshooter,
    ),
)
BY_KEY = {badge.key: badge for badge in BADGES}


def qualifying(
    badge: Badge, user_ids: Collection[int] | None = None, post_id: int | None = None
) -> list[tuple[int, int | None]]:
    """(user id, post id or None) pairs that meet the badge's rule now.

    ``user_ids`` limits the users (None: everyone); ``post_id`` limits a
    per-post badge to one post.
    """
    stmt, user_col, post_col = badge.rule(badge.threshold)
    if user_ids is not None:
        if not user_ids:
            return []
        stmt = stmt.where(user_col.in_(list(user_ids)))
    if post_col is not None and post_id is not None:
        stmt = stmt.where(post_col == post_id)
    if post_col is None:
        return [(user_id, None) for (user_id,) in db.session.execute(stmt)]
    return [(user_id, pid) for user_id, pid in db.session.execute(stmt)]
