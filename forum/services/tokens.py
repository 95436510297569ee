"""API bearer tokens: issued for a password, stored hashed, expiring, revocable."""

import hashlib
import secrets
from datetime import timedelta
from typing import cast

from sqlalchemy import CursorResult, delete, select

from forum.extensions import db
from forum.models import ApiToken, User, utcnow
from forum.services import users
from forum.services.errors import AuthenticationRequired, NotFound
from forum.services.validation import clean_text, limit, raise_if


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(
    login: object, password: object, name: object = None
) -> tuple[str, ApiToken]:
    """Issue a token for a username (or email) and password, valid for
    API_TOKEN_DAYS; ``name`` is an optional label (API_TOKEN_NAME_MAX_LENGTH).

    Returns the raw token (shown once) and its row. Raises AuthenticationRequired
    or ValidationError (the name).
    """
    errors: dict[str, str] = {}
    label = ""
    if name is not None:
        label = clean_text(
            errors,
            "name",
            name,
            max_len=limit("API_TOKEN_NAME_MAX_LENGTH"),
            label="Token name",
        )
    raise_if(errors)
    user = users.authenticate(login, password)
    if user is None:
        raise AuthenticationRequired("Username or password is not correct.")
    raw = secrets.token_urlsafe(32)
    now = utcnow()
    token = ApiToken(
        user=user,
        token_hash=_hash(raw),
        name=label,
        created_at=now,
        expires_at=now + timedelta(days=limit("API_TOKEN_DAYS")),
    )
    db.session.add(token)
    db.session.commit()
    return raw, token


def find_token(raw: str | None) -> ApiToken | None:
    """Return the unrevoked token row for a raw bearer token (expired or not)."""
    if not raw or len(raw) > 200:
        return None
    try:
        digest = _hash(raw)
    except UnicodeEncodeError:
        return None
    return db.session.scalar(
        select(ApiToken).where(
            ApiToken.token_hash == digest, ApiToken.revoked_at.is_(None)
        )
    )


def check_token(raw: str | None) -> ApiToken:
    """The live token for a raw bearer token, its use noted at most every
    LAST_SEEN_SECONDS (commits then). Raises AuthenticationRequired saying
    whether it is unknown, revoked or expired."""
    token = find_token(raw)
    if token is None:
        raise AuthenticationRequired(
            "The Authorization header must carry a valid Bearer token."
        )
    now = utcnow()
    if token.expires_at <= now:
        raise AuthenticationRequired(
            f"This token expired on {token.expires_at:%Y-%m-%d %H:%M} UTC; "
            "get a new one from POST /api/v1/tokens."
        )
    last = token.last_used_at
    if last is None or last < now - timedelta(seconds=limit("LAST_SEEN_SECONDS")):
        token.last_used_at = now
        db.session.commit()
    return token


def user_for_token(raw: str | None) -> User | None:
    """Return the user of a live, unexpired token, or None."""
    try:
        return check_token(raw).user
    except AuthenticationRequired:
        return None


def _signed_in(user: User | None) -> User:
    if user is None:
        raise AuthenticationRequired("Log in or send a bearer token to see tokens.")
    return user


def list_tokens(actor: User | None) -> list[ApiToken]:
    """The actor's unrevoked, unexpired tokens, newest first.
    Raises AuthenticationRequired for a visitor."""
    user = _signed_in(actor)
    return list(
        db.session.scalars(
            select(ApiToken)
            .where(
                ApiToken.user_id == user.id,
                ApiToken.revoked_at.is_(None),
                ApiToken.expires_at > utcnow(),
            )
            .order_by(ApiToken.created_at.desc(), ApiToken.id.desc())
        )
    )


def revoke_token_by_id(actor: User | None, token_id: int) -> None:
    """Revoke one of the actor's own tokens. Raises AuthenticationRequired for a
    visitor; NotFound for another user's, an unknown or an already revoked
    token (which are not told apart)."""
    user = _signed_in(actor)
    token = db.session.get(ApiToken, token_id)
    if token is None or token.user_id != user.id or token.revoked_at is not None:
        raise NotFound("You have no token with that id.")
    token.revoked_at = utcnow()
    db.session.commit()


def revoke_token(raw: str | None) -> None:
    """Revoke a token so it stops working. Raises AuthenticationRequired."""
    token = find_token(raw)
    if token is None:
        raise AuthenticationRequired("That token is not valid.")
    token.revoked_at = utcnow()
    db.session.commit()


def prune_tokens() -> int:
    """Delete revoked and expired tokens; returns how many."""
    result = db.session.execute(
        delete(ApiToken).where(
            ApiToken.revoked_at.is_not(None) | (ApiToken.expires_at <= utcnow())
        )
    )
    count = cast(CursorResult, result).rowcount
    db.session.commit()
    return count or 0
