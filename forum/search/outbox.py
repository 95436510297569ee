"""Which outbox rows an index has applied: its watermark and awaited gaps.

An index's state is ``{"watermark": int, "gaps": {id: first_seen}}``: every
row with an id up to the watermark is applied, except the ``gaps``. On
PostgreSQL ids are handed out before commit, so a row can become visible after
a higher one; the ids the watermark skipped are awaited on every drain until
they appear or SEARCH_LOOKBACK_SECONDS pass (a rolled-back transaction never
fills its gap). On SQLite writers are serialised, so there are no gaps.
"""

import time
from datetime import timedelta
from typing import cast

from flask import current_app
from sqlalchemy import ColumnElement, delete, func, or_, select
from sqlalchemy.engine import CursorResult

from forum.extensions import db
from forum.models import SearchOutbox, utcnow
from forum.search.store import IndexState

# Outbox rows applied per index commit; a drain loops until none are left.
BATCH = 2000
# At most this many skipped ids are awaited (the newest ones: the ids of
# transactions still in flight are always near the top).
MAX_GAPS = 1000


def lookback() -> float:
    """How long (seconds) a skipped id is awaited."""
    return float(current_app.config["SEARCH_LOOKBACK_SECONDS"])


def pending_condition(state: IndexState) -> ColumnElement[bool]:
    """The SQL condition for outbox rows an index in ``state`` has not applied."""
    condition = SearchOutbox.id > state["watermark"]
    if state["gaps"]:
        condition = or_(condition, SearchOutbox.id.in_(sorted(state["gaps"])))
    return condition


def pending_rows(state: IndexState, limit: int) -> list[tuple[int, int]]:
    """(row id, question id) of the oldest outbox rows not applied yet."""
    stmt = (
        select(SearchOutbox.id, SearchOutbox.question_id)
        .where(pending_condition(state))
        .order_by(SearchOutbox.id)
        .limit(limit)
    )
    return [(row_id, qid) for row_id, qid in db.session.execute(stmt)]


def count_pending(state: IndexState) -> int:
    """How many outbox rows an index in ``state`` has not applied."""
    stmt = select(func.count()).select_from(SearchOutbox)
    return db.session.scalar(stmt.where(pending_condition(state))) or 0


def newest_missing(top: int, floor: int, present: set[int]) -> list[int]:
    """Up to MAX_GAPS ids in (floor, top) that are not in ``present``, newest first."""
    missing: list[int] = []
    candidate = top - 1
    while candidate > floor and len(missing) < MAX_GAPS:
        if candidate not in present:
            missing.append(candidate)
        candidate -= 1
    return missing


def advance(
    state: IndexState, row_ids: list[int], now: float, wait: float
) -> IndexState:
    """The state after applying ``row_ids``: the watermark raised past them, the
    ids skipped on the way awaited, and ids awaited longer than ``wait``
    seconds given up."""
    seen = set(row_ids)
    watermark = state["watermark"]
    gaps = {i: t for i, t in state["gaps"].items() if i not in seen}
    top = max(seen, default=watermark)
    if top > watermark:
        for missing in newest_missing(top, watermark, seen):
            gaps.setdefault(missing, now)
        watermark = top
    gaps = {i: t for i, t in gaps.items() if now - t < wait}
    if len(gaps) > MAX_GAPS:
        gaps = dict(sorted(gaps.items())[-MAX_GAPS:])
    return {"watermark": watermark, "gaps": gaps}


def snapshot() -> IndexState:
    """The state a build from the database starts with: the highest row id now,
    and the recent ids below it that are not committed yet (awaited)."""
    top = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    since = utcnow() - timedelta(seconds=lookback())
    recent = set(
        db.session.scalars(
            select(SearchOutbox.id).where(
                SearchOutbox.created_at > since, SearchOutbox.id <= top
            )
        )
    )
    floor = min(recent, default=top) - 1
    gaps = dict.fromkeys(newest_missing(top, floor, recent), time.time())
    return {"watermark": top, "gaps": gaps}


def prune(state: IndexState, days: float) -> int:
    """Delete rows older than ``days`` that an index in ``state`` has applied.

    The newest row always stays, so SQLite never hands out its id again.
    """
    top = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    stmt = delete(SearchOutbox).where(
        SearchOutbox.created_at < utcnow() - timedelta(days=days),
        SearchOutbox.id <= state["watermark"],
        SearchOutbox.id < top,
    )
    if state["gaps"]:
        stmt = stmt.where(SearchOutbox.id.not_in(sorted(state["gaps"])))
    removed = cast(CursorResult, db.session.execute(stmt)).rowcount
    db.session.commit()
    return removed
