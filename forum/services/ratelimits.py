"""How often an account and an address may act: the tiers of RATE_LIMITS.

The counting is Flask-Limiter's (forum/views/limits.py); the rules of who gets
which limit live here.
"""

import ipaddress

from flask import current_app
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User
from forum.services.validation import is_text

TIERS = ("new", "established", "trusted")


def _spec(action: str) -> dict[str, str]:
    """The configured limits of one action (RATE_LIMITS)."""
    return current_app.config["RATE_LIMITS"].get(action) or {}


def tier(user: User) -> str:
    """The account's tier by reputation: new, established or trusted."""
    thresholds = current_app.config["RATE_LIMIT_TIERS"]
    if user.reputation >= thresholds["trusted"]:
        return "trusted"
    if user.reputation >= thresholds["established"]:
        return "established"
    return "new"


def account_limit(action: str, user: User | None) -> str | None:
    """The limit on ``user`` for ``action``; None when there is none (staff).

    ``user`` None means an account named by a log-in attempt: its "account"
    limit (the tier of someone not yet signed in is unknown).
    """
    spec = _spec(action)
    if user is None:
        return spec.get("account")
    if user.is_staff:
        return None
    return spec.get(tier(user)) or spec.get("account")


def address_limit(action: str, user: User | None) -> str | None:
    """The limit on the client address for ``action``; None for staff or unset."""
    if user is not None and user.is_staff:
        return None
    return _spec(action).get("address")


def address_key(remote_addr: str | None) -> str:
    """The key of a client address: IPv6 clients by their /64 network, since
    one connection usually holds a whole /64."""
    try:
        address = ipaddress.ip_address(remote_addr or "")
    except ValueError:
        return f"addr:{remote_addr or 'unknown'}"
    if address.version == 6:
        return f"addr:{ipaddress.ip_network(f'{address}/64', strict=False)}"
    return f"addr:{address}"


def login_key(login: object) -> str | None:
    """The key of the account a log-in attempt names: its id when it exists
    (so its username and email count together), else the name as typed."""
    if not is_text(login) or not login.strip():
        return None
    name = login.strip().lower()
    user_id = db.session.scalar(
        select(User.id).where(
            (func.lower(User.username) == name) | (User.email == name)
        )
    )
    return f"user:{user_id}" if user_id is not None else f"login:{name[:254]}"
