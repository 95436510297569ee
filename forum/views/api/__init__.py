"""The JSON API v1 (../shared/API.md): same services as the pages."""

from flask import Blueprint, g, request

from forum.extensions import csrf
from forum.services import tokens

bp = Blueprint("api", __name__)
csrf.exempt(bp)


def bearer_token() -> str | None:
    """The raw token of an ``Authorization: Bearer`` header, if any."""
    header = request.headers.get("Authorization", "")
    scheme, _, value = header.partition(" ")
    if scheme.lower() != "bearer":
        return None
    return value.strip() or None


def load_token_user(req):
    """Flask-Login request loader: API requests authenticate by bearer token."""
    if not req.path.startswith("/api/"):
        return None
    raw = bearer_token()
    return tokens.user_for_token(raw) if raw else None


@bp.before_request
def check_credentials_and_csrf():
    """A bad bearer token is a 401; cookie-session writes need a CSRF token."""
    from forum.views.errors import json_error

    if "Authorization" in request.headers:
        raw = bearer_token()
        if raw is None or tokens.user_for_token(raw) is None:
            return json_error(401, "The Authorization header must carry a valid "
                              "Bearer token.", "invalid_token")  # fmt: skip
        g.api_token = raw
        return None
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        csrf.protect()
    return None


# Register the endpoint modules (they attach routes to ``bp``).
from forum.views.api import endpoints  # noqa: E402,F401
