"""The JSON API v1 (described at /api/v1/openapi.json): same services as pages."""

from flask import Blueprint, current_app, g, request
from flask_login import current_user

from forum.extensions import csrf
from forum.services import idempotency, tokens
from forum.services.errors import AuthenticationRequired
from forum.views.errors import json_error

bp = Blueprint("api", __name__)
csrf.exempt(bp)

# Path ids: 1 to the largest 32-bit integer, so no lookup overflows a column.
ID = "int(min=1, max=2147483647)"
SAFE_METHODS = ("GET", "HEAD", "OPTIONS")
IDEMPOTENCY_HEADER = "Idempotency-Key"


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

    if "Authorization" in request.headers:
        raw = bearer_token()
        try:
            user = tokens.check_token(raw).user
        except AuthenticationRequired as error:
            return json_error(401, error.message, "invalid_token")
        g.api_token = raw
        # The token says who this is, even if a session cookie came along too.
        # (Flask-Login keeps the request's user in g._login_user.)
        g._login_user = user
        return None
    # Only a signed-in browser session can be abused cross-site; anonymous
    # writes (sign up, get a token) need no CSRF token.
    if request.method not in SAFE_METHODS and current_user.is_authenticated:
        csrf.protect()
    return None


@bp.before_request
def replay_idempotent_writes():
    """A write sent with an Idempotency-Key by a known user: the first
    response again if the key was used, else the key reserved for this one."""
    key = request.headers.get(IDEMPOTENCY_HEADER)
    if (
        key is None
        or request.method in SAFE_METHODS
        or not current_user.is_authenticated
    ):
        return None
    found = idempotency.begin(
        current_user.id,
        key.strip(),
        request.method,
        request.path,
        idempotency.fingerprint(request.get_data()),
    )
    if isinstance(found, idempotency.Replay):
        response = current_app.response_class(
            found.body, status=found.status, mimetype="application/json"
        )
        response.headers["Idempotent-Replayed"] = "true"
        return response
    g.idempotency_reserved = found
    return None


@bp.after_request
def store_idempotent_response(response):
    """Keep the response of a write that reserved its key (or release it)."""
    reserved = g.pop("idempotency_reserved", None)
    if reserved is not None:
        idempotency.finish(
            reserved, response.status_code, response.get_data(as_text=True)
        )
    return response


@bp.after_request
def announce_bearer_scheme(response):
    """Tell 401 callers which credentials the API takes."""
    if response.status_code == 401:
        response.headers.setdefault("WWW-Authenticate", 'Bearer realm="forum"')
    return response


# Register the endpoint modules (they attach routes to ``bp``).
from forum.views.api import endpoints  # noqa: E402,F401
