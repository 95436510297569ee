"""Sign-ins kept on the server: one ``UserSession`` row per browser that logs in.

The session cookie and the "remember me" cookie carry the row's random key
(its SHA-256 is the id), so deleting the row ends both, wherever they were
copied to.
"""

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, inspect, update

from forum.extensions import db
from forum.models import SESSION_KEY, ApiToken, User, UserSession, utcnow
from forum.services.validation import limit


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode("utf-8")).hexdigest()


def _idle_since() -> datetime:
    return utcnow() - timedelta(days=limit("SESSION_IDLE_DAYS"))


def _attach(user: User, key: str) -> User:
    inspect(user).info[SESSION_KEY] = key
    return user


def start_session(user: User, remember: bool = False) -> str:
    """Record a new sign-in of ``user`` and return its key (commits)."""
    key = secrets.token_urlsafe(32)
    db.session.add(UserSession(id=_hash(key), user=user, remember=remember))
    db.session.commit()
    _attach(user, key)
    return key


def load_session_user(key: str) -> User | None:
    """Flask-Login's user loader: the user of a live sign-in, or None.

    Notes the sign-in's use at most every LAST_SEEN_SECONDS (commits then).
    """
    if not key or len(key) > 200:
        return None
    try:
        digest = _hash(key)
    except UnicodeEncodeError:
        return None
    row = db.session.get(UserSession, digest)
    if row is None or row.last_seen_at < _idle_since():
        return None
    now = utcnow()
    if row.last_seen_at < now - timedelta(seconds=limit("LAST_SEEN_SECONDS")):
        row.last_seen_at = now
        db.session.commit()
    return _attach(row.user, key)


def current_key(user: User) -> str | None:
    """The key of the sign-in ``user`` was loaded through, if any."""
    return inspect(user).info.get(SESSION_KEY)


def end_session(key: str | None) -> None:
    """End one sign-in (log-out); an unknown key is no error (commits)."""
    if not key:
        return
    db.session.execute(delete(UserSession).where(UserSession.id == _hash(key)))
    db.session.commit()


def end_access(user: User, keep: str | None = None) -> None:
    """End the user's sign-ins except ``keep`` and revoke all their API tokens
    (after a password change; no commit: part of the caller's unit of work)."""
    stmt = delete(UserSession).where(UserSession.user_id == user.id)
    if keep:
        stmt = stmt.where(UserSession.id != _hash(keep))
    db.session.execute(stmt)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None))
        .values(revoked_at=utcnow())
    )


def prune_sessions() -> int:
    """Delete sign-ins idle longer than SESSION_IDLE_DAYS; returns how many."""
    result = db.session.execute(
        delete(UserSession).where(UserSession.last_seen_at < _idle_since())
    )
    count = cast(CursorResult, result).rowcount
    db.session.commit()
    return count or 0
