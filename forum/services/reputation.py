"""The reputation ledger: append-only events, reversals, the cached total.

Callers run inside a service's transaction and commit; nothing here commits
except ``grant`` and ``rebuild_caches``. Lock order, to avoid deadlocks on
PostgreSQL: the post row first (callers), then user rows in id order
(``refresh_caches``).
"""

from collections.abc import Iterable
from datetime import date, datetime, time

from flask import current_app
from sqlalchemy import DateTime, Select, bindparam, exists, func, select, update
from sqlalchemy.orm import aliased, selectinload, with_polymorphic

from forum.extensions import db
from forum.models import Answer, Post, Question, ReputationEvent, User, utcnow
from forum.services.pagination import Page, paginate

UPVOTE_KINDS = ("question_upvoted", "answer_upvoted")
VOTE_KINDS = UPVOTE_KINDS + ("post_downvoted", "downvoted_answer")
ACCEPT_KINDS = ("answer_accepted", "accepted_answer")
PENALTY_KINDS = ("spam_penalty",)

DESCRIPTIONS = {
    "question_upvoted": "upvote",
    "answer_upvoted": "upvote",
    "answer_accepted": "answer accepted",
    "accepted_answer": "accepted an answer",
    "post_downvoted": "downvote",
    "downvoted_answer": "you downvoted an answer",
    "spam_penalty": "post deleted as spam or offensive",
    "bonus": "bonus",
    "imported": "imported reputation",
}


def reputation_for(ledger_total: int) -> int:
    """The reputation a ledger sum gives: everyone starts at 1 and never goes below."""
    return max(1, 1 + ledger_total)


def delta_for(kind: str) -> int:
    """The configured delta of an event kind."""
    return current_app.config["REPUTATION"][kind]


def _day_start(now: datetime) -> datetime:
    return datetime.combine(now.date(), time.min)


# The hot statements of a vote, built once (building one costs more than
# running it): parameters are bound per call.
_original = aliased(ReputationEvent)
_UPVOTES_SINCE = (
    select(func.coalesce(func.sum(ReputationEvent.delta), 0))
    .outerjoin(_original, ReputationEvent.reverses_id == _original.id)
    .where(
        ReputationEvent.user_id == bindparam("user_id"),
        ReputationEvent.kind.in_(UPVOTE_KINDS),
        func.coalesce(_original.created_at, ReputationEvent.created_at)
        >= bindparam("day", type_=DateTime()),
    )
)
_reversal = aliased(ReputationEvent)
_LIVE_EVENTS = (
    select(ReputationEvent)
    .where(
        ReputationEvent.post_id == bindparam("post_id"),
        ReputationEvent.kind.in_(bindparam("kinds", expanding=True)),
        ReputationEvent.reverses_id.is_(None),
        ~exists().where(_reversal.reverses_id == ReputationEvent.id),
    )
    .order_by(ReputationEvent.id)
)
_LIVE_EVENTS_BY = _LIVE_EVENTS.where(ReputationEvent.actor_id == bindparam("actor_id"))
_LEDGER_SUM = select(func.coalesce(func.sum(ReputationEvent.delta), 0)).where(
    ReputationEvent.user_id == bindparam("user_id")
)
_LOCK_USER = (
    select(User.id)
    .where(User.id == bindparam("user_id"))
    .with_for_update(key_share=True)
)
_SET_REPUTATION = (
    update(User)
    .where(User.id == bindparam("user_id"))
    .values(reputation=bindparam("new_reputation"))
    .execution_options(synchronize_session=False)
)


def upvote_total_today(user_id: int, now: datetime) -> int:
    """Reputation the user gained from upvotes today (UTC), net of reversals of
    today's upvotes."""
    params = {"user_id": user_id, "day": _day_start(now)}
    return db.session.scalar(_UPVOTES_SINCE, params) or 0


def record(
    user_id: int | None,
    kind: str,
    post_id: int | None = None,
    actor_id: int | None = None,
) -> ReputationEvent | None:
    """Add one event of ``kind`` at its configured delta (upvotes honour the
    daily cap; what it withholds is lost); None for a post without an owner."""
    if user_id is None:
        return None
    return _add_event(user_id, kind, delta_for(kind), post_id, actor_id)


def _add_event(
    user_id: int,
    kind: str,
    amount: int,
    post_id: int | None = None,
    actor_id: int | None = None,
    capped: bool = True,
) -> ReputationEvent:
    """Write one event, cut to the room left under the daily cap if ``capped``."""
    now = utcnow()
    if capped and kind in UPVOTE_KINDS and amount > 0:
        # Concurrent upvotes to one user take turns here (PostgreSQL), so two of
        # them cannot both spend the same room under the cap.
        lock_users([user_id])
        room = current_app.config["REPUTATION_DAILY_CAP"] - upvote_total_today(
            user_id, now
        )
        amount = max(0, min(amount, room))
    event = ReputationEvent(
        user_id=user_id,
        post_id=post_id,
        actor_id=actor_id,
        kind=kind,
        delta=amount,
        created_at=now,
    )
    db.session.add(event)
    db.session.flush()
    return event


def users_of(events: Iterable[ReputationEvent | None]) -> set[int]:
    """The users whose ledgers these events (None: not recorded) changed."""
    return {event.user_id for event in events if event is not None}


def live_events(
    post_id: int, kinds: Iterable[str], actor_id: int | None = None
) -> list[ReputationEvent]:
    """Events on a post of these kinds that are not reversals and not reversed."""
    params = {"post_id": post_id, "kinds": list(kinds)}
    if actor_id is None:
        return list(db.session.scalars(_LIVE_EVENTS, params))
    return list(db.session.scalars(_LIVE_EVENTS_BY, {**params, "actor_id": actor_id}))


def reverse(events: list[ReputationEvent], actor_id: int | None = None) -> set[int]:
    """Write a reversing event for each; return the user ids affected."""
    now = utcnow()
    for event in events:
        db.session.add(
            ReputationEvent(
                user_id=event.user_id,
                post_id=event.post_id,
                actor_id=actor_id if actor_id is not None else event.actor_id,
                kind=event.kind,
                delta=-event.delta,
                created_at=now,
                reverses_id=event.id,
            )
        )
    db.session.flush()
    return {event.user_id for event in events}


def ledger_sum(user_id: int) -> int:
    """The sum of a user's deltas, straight from the ledger."""
    return db.session.scalar(_LEDGER_SUM, {"user_id": user_id}) or 0


def lock_users(user_ids: Iterable[int | None]) -> None:
    """Lock these user rows in id order until the transaction ends (PostgreSQL)."""
    # FOR NO KEY UPDATE, not FOR UPDATE: inserting an event (or a vote) takes a
    # FOR KEY SHARE lock on the user row it references, which FOR UPDATE waits
    # for, so two transactions paying one user would deadlock. Locking
    # a row again is a no-op. SQLite has no row locks (it serialises writers),
    # so nothing is sent there.
    if db.session.get_bind().dialect.name == "sqlite":
        return
    for user_id in sorted({uid for uid in user_ids if uid is not None}):
        db.session.execute(_LOCK_USER, {"user_id": user_id})


def refresh_caches(user_ids: Iterable[int | None]) -> None:
    """Recompute ``User.reputation`` for these users from the ledger.

    Locks the user rows in id order first (PostgreSQL), so the sum read next
    includes every committed event; SQLite serialises writers anyway.
    """
    for user_id in sorted({uid for uid in user_ids if uid is not None}):
        lock_users([user_id])
        total = ledger_sum(user_id)
        db.session.execute(
            _SET_REPUTATION,
            {"user_id": user_id, "new_reputation": reputation_for(total)},
        )
    # Loaded User objects must not keep the old value.
    for obj in list(db.session.identity_map.values()):
        if isinstance(obj, User):
            db.session.expire(obj, ["reputation"])


def grant(user: User, delta: int, kind: str = "bonus") -> ReputationEvent:
    """Give (or take) reputation outside the voting rules (demo, imports)."""
    event = _add_event(user.id, kind, delta, capped=False)
    refresh_caches([user.id])
    db.session.commit()
    return event


def drift() -> list[tuple[int, str, int, int]]:
    """Users whose cache differs from the ledger: (id, username, cached, ledger)."""
    totals = (
        select(
            ReputationEvent.user_id.label("user_id"),
            func.sum(ReputationEvent.delta).label("total"),
        )
        .group_by(ReputationEvent.user_id)
        .subquery()
    )
    rows = db.session.execute(
        select(
            User.id, User.username, User.reputation, func.coalesce(totals.c.total, 0)
        )
        .outerjoin(totals, totals.c.user_id == User.id)
        .order_by(User.id)
    )
    result = []
    for uid, name, cached, total in rows:
        want = reputation_for(total)
        if cached != want:
            result.append((uid, name, cached, want))
    return result


def rebuild_caches() -> int:
    """Recompute every user's cache from the ledger; return how many changed."""
    changed = drift()
    for uid, _, _, want in changed:
        db.session.execute(update(User).where(User.id == uid).values(reputation=want))
    db.session.commit()
    return len(changed)


def user_events(user_id: int, page: int, per_page: int) -> Page:
    """A user's ledger, newest first, with posts (and answers' questions) loaded."""
    post = with_polymorphic(Post, [Question, Answer])
    stmt = (
        select(ReputationEvent)
        .where(ReputationEvent.user_id == user_id)
        .options(
            selectinload(ReputationEvent.post.of_type(post)).selectinload(
                post.Answer.question
            )
        )
        .order_by(ReputationEvent.created_at.desc(), ReputationEvent.id.desc())
    )
    return paginate(stmt, page, per_page)


def history(user_id: int) -> list[tuple[date, int]]:
    """The user's reputation after each day with events: (day, reputation)."""
    day = func.date(ReputationEvent.created_at)
    rows = db.session.execute(
        select(day, func.sum(ReputationEvent.delta))
        .where(ReputationEvent.user_id == user_id)
        .group_by(day)
        .order_by(day)
    )
    points = []
    running = 0
    for when, total in rows:
        running += total
        # SQLite returns the day as text, PostgreSQL as a date.
        points.append((date.fromisoformat(str(when)[:10]), reputation_for(running)))
    return points


def gains_since(since: datetime | None) -> Select:
    """A select of (user_id, gain) summed over events since ``since`` (None: all)."""
    stmt = select(
        ReputationEvent.user_id, func.sum(ReputationEvent.delta).label("gain")
    ).group_by(ReputationEvent.user_id)
    if since is not None:
        stmt = stmt.where(ReputationEvent.created_at >= since)
    return stmt
