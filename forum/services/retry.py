"""Run a unit of work again when a concurrent transaction got there first."""

from collections.abc import Callable
from typing import Any, TypeVar, cast

from sqlalchemy import CursorResult, Delete, Update
from sqlalchemy.exc import IntegrityError, OperationalError

from forum.extensions import db
from forum.services.errors import Conflict, ServiceUnavailable

T = TypeVar("T")

# PostgreSQL: deadlock_detected, serialization_failure; SQLite: a busy lock.
_TRANSIENT_SQLSTATES = {"40P01", "40001"}
# SQLite: each wait for another writer's lock lasts up to SQLITE_BUSY_SECONDS;
# two of them keep a request under the app server's timeout.
LOCK_WAITS = 2


class StaleState(Exception):
    """A conditional write matched no row: someone changed it meanwhile."""


def wrote_one(stmt: Update | Delete) -> bool:
    """Run a conditional UPDATE or DELETE; whether it matched exactly one row.

    Loaded objects are left as they are (the caller expires or refreshes them).
    """
    result = db.session.execute(stmt.execution_options(synchronize_session=False))
    # Session.execute is typed with the base Result; DML returns a CursorResult.
    return cast(CursorResult[Any], result).rowcount == 1


def write_or_retry(stmt: Update | Delete) -> None:
    """Run a conditional write; raise StaleState (the unit runs again) unless it
    matched exactly one row."""
    if not wrote_one(stmt):
        raise StaleState()


def _transient(error: Exception) -> bool:
    if isinstance(error, (IntegrityError, StaleState)):
        return True
    if isinstance(error, OperationalError):
        orig = error.orig
        state = getattr(orig, "sqlstate", None) or getattr(orig, "pgcode", None)
        return state in _TRANSIENT_SQLSTATES or _locked(error)
    return False


def _locked(error: Exception) -> bool:
    """Whether SQLite gave up waiting for another writer's lock."""
    return isinstance(error, OperationalError) and "database is locked" in str(
        error.orig
    )


def with_retry(work: Callable[[], T], attempts: int = 4) -> T:
    """Run ``work`` (which commits); on a lost race roll back and run it again.

    Raises Conflict (409) when every attempt lost, ServiceUnavailable (503)
    when SQLite's lock stayed busy through LOCK_WAITS waits.
    """
    waits = 0
    for attempt in range(attempts):
        try:
            return work()
        except (IntegrityError, OperationalError, StaleState) as error:
            db.session.rollback()
            if not _transient(error):
                raise
            waits += _locked(error)
            if waits >= LOCK_WAITS:
                raise ServiceUnavailable(
                    "The database is busy. Nothing you sent was saved; try again "
                    "in a moment."
                ) from error
            if attempt == attempts - 1:
                raise Conflict(
                    "request", "Another change happened at the same time; try again."
                ) from error
    raise AssertionError("unreachable")
