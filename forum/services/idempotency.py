"""Idempotency keys of API writes: a retried write with the same key gets
the first response instead of doing the write twice.

The key is reserved (committed) before the write runs, so two requests with
one key never both write: the second is told the first is still running.
The response is stored once the write answered 2xx; a write that failed
releases its key, so the client may retry it.
"""

import hashlib
from dataclasses import dataclass
from datetime import timedelta

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import IdempotencyKey, utcnow
from forum.services.errors import Conflict, ServiceError

KEY_MAX_LENGTH = 200


class KeyReused(ServiceError):
    """The key came with another request than the first one."""

    status = 422
    code = "idempotency_key_reused"


@dataclass
class Replay:
    """The first response to a request with this key."""

    status: int
    body: str


def fingerprint(body: bytes) -> str:
    """What identifies a request's body."""
    return hashlib.sha256(body).hexdigest()


def begin(
    user_id: int, key: str, method: str, path: str, body_hash: str
) -> Replay | int:
    """The stored response to replay, or the id of the key now reserved for
    this request. Raises KeyReused (another request under the key) or
    Conflict (the first request with it has not answered yet)."""
    if not key or len(key) > KEY_MAX_LENGTH:
        raise KeyReused(f"An Idempotency-Key is 1 to {KEY_MAX_LENGTH} characters long.")
    for _ in range(2):
        row = db.session.scalar(
            select(IdempotencyKey).where(
                IdempotencyKey.user_id == user_id, IdempotencyKey.key == key
            )
        )
        if row is not None:
            db.session.rollback()
            if (row.method, row.path, row.request_hash) != (method, path, body_hash):
                raise KeyReused(
                    "This Idempotency-Key was used for another request; use a "
                    "new key for a new request."
                )
            if row.status is None:
                raise Conflict(
                    "idempotency_key",
                    "A request with this Idempotency-Key has not finished; if it "
                    "never answered, check whether its change was made before "
                    "sending it again with a new key.",
                )
            return Replay(row.status, row.response or "")
        reserved = IdempotencyKey(
            user_id=user_id,
            key=key,
            method=method,
            path=path,
            request_hash=body_hash,
            created_at=utcnow(),
        )
        db.session.add(reserved)
        try:
            db.session.commit()
            return reserved.id
        except IntegrityError:  # a concurrent request reserved it: look again
            db.session.rollback()
    raise AssertionError("unreachable")


def finish(reserved: int, status: int, body: str) -> None:
    """Store the response of the request that reserved the key (2xx), or
    release the key (anything else: the write did not happen)."""
    db.session.rollback()  # whatever the request left unfinished
    row = db.session.get(IdempotencyKey, reserved)
    if row is None:
        return
    if 200 <= status < 300:
        row.status, row.response = status, body
    else:
        db.session.delete(row)
    db.session.commit()


def prune(hours: float) -> int:
    """Delete keys older than ``hours``; how many."""
    cutoff = utcnow() - timedelta(hours=hours)
    result = db.session.execute(
        delete(IdempotencyKey).where(IdempotencyKey.created_at < cutoff)
    )
    db.session.commit()
    return int(getattr(result, "rowcount", 0) or 0)
