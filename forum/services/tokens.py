"""API bearer tokens: issued for a password, stored hashed, revocable."""

import hashlib
import secrets

from sqlalchemy import select

from forum.extensions import db
from forum.models import ApiToken, User, utcnow
from forum.services import users
from forum.services.errors import AuthenticationRequired


def _hash(raw: str) -> str:
    return hashlib.sha256(raw.encode("utf-8")).hexdigest()


def create_token(login: object, password: object) -> tuple[str, ApiToken]:
    """Issue a token for a username (or email) and password.

    Returns the raw token (shown once) and its row. Raises AuthenticationRequired.
    """
    user = users.authenticate(login, password)
    if user is None:
        raise AuthenticationRequired("Username or password is not correct.")
    raw = secrets.token_urlsafe(32)
    token = ApiToken(user=user, token_hash=_hash(raw))
    db.session.add(token)
    db.session.commit()
    return raw, token


def find_token(raw: str) -> ApiToken | None:
    """Return the live token row for a raw bearer token, or None."""
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


def user_for_token(raw: str) -> User | None:
    """Return the user of a live token, or None."""
    token = find_token(raw)
    return token.user if token else None


def revoke_token(raw: str) -> None:
    """Revoke a token so it stops working. Raises AuthenticationRequired."""
    token = find_token(raw)
    if token is None:
        raise AuthenticationRequired("That token is not valid.")
    token.revoked_at = utcnow()
    db.session.commit()
