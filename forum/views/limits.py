"""Rate limits on the routes that write or cost: Flask-Limiter, one per app.

Each action's limits (RATE_LIMITS, chosen by forum/services/ratelimits.py)
are shared by its page and its API routes: counts are kept per action and
per account or address, never per route. A refusal is a 429 with
Retry-After: an error page, or the API's error shape.
"""

import math
import time
from collections.abc import Callable

from flask import Flask, Response, current_app, g, request
from flask_limiter import Limiter, RateLimitExceeded, RouteLimit
from flask_login import current_user
from limits import RateLimitItem

from forum.services import ratelimits
from forum.views.errors import error_page, json_error, wants_json

LIMITER = "forum.limiter"

# Endpoint -> the actions it counts toward. A flag route, when there is one,
# is listed here with the action "flag" (its limits are in RATE_LIMITS).
LIMITED: dict[str, tuple[str, ...]] = {
    "auth.login": ("login_failure",),
    "api.create_token": ("login_failure", "token"),
    "auth.signup": ("signup",),
    "api.create_user": ("signup",),
    "questions.preview": ("preview",),
    "search.index": ("search",),
    "api.search_posts": ("search",),
    "api.similar_questions": ("search",),
    "questions.ask": ("ask",),
    "api.create_question": ("ask",),
    "questions.answer": ("answer",),
    "api.create_answer": ("answer",),
    "questions.comment": ("comment",),
    "api.create_comment": ("comment",),
    "posts.edit": ("edit",),
    "posts.edit_comment": ("edit",),
    "api.edit_post": ("edit",),
    "votes.vote": ("vote",),
    "api.vote": ("vote",),
}

# Actions whose account is the one a log-in attempt names, not the caller.
NAMED = {"login_failure", "token"}
# Actions open to visitors (counted per address for them too).
OPEN = NAMED | {"signup", "preview", "search"}
# Actions counted on every request: they cost whether or not they succeed.
EVERY_REQUEST = {"preview", "search"}
# Endpoints whose own errors are JSON although they are not under /api.
JSON_ENDPOINTS = {"questions.preview"}

WRITES = ["POST", "PUT", "PATCH"]

# What a refusal says, per action.
DOING = {
    "login_failure": "Too many failed log-ins",
    "signup": "Too many accounts were created",
    "token": "Too many API tokens were requested",
    "preview": "Too many previews",
    "search": "Too many searches",
    "ask": "You have asked too many questions",
    "answer": "You have posted too many answers",
    "comment": "You have posted too many comments",
    "edit": "You have made too many edits",
    "vote": "You have voted too often",
    "flag": "You have flagged too often",
}


def _viewer():
    return current_user if current_user.is_authenticated else None


def _named_account() -> str | None:
    """The account a log-in or token request names (looked up once a request)."""
    if "_limit_login_key" not in g:
        if wants_json():
            # As the API reads bodies: JSON whatever the Content-Type says.
            body = request.get_json(force=True, silent=True)
            login = body.get("username") if isinstance(body, dict) else None
        else:
            login = request.form.get("login")
        g._limit_login_key = ratelimits.login_key(login)
    return g._limit_login_key


def _account_key(action: str) -> str:
    if action in NAMED:
        return _named_account() or ""
    user = _viewer()
    return f"user:{user.id}" if user is not None else ""


def _account_limit(action: str) -> str:
    if action in NAMED:
        if _named_account() is None:
            return ""
        return ratelimits.account_limit(action, None) or ""
    user = _viewer()
    if user is None:
        return ""
    return ratelimits.account_limit(action, user) or ""


def _address_limit(action: str) -> str:
    user = _viewer()
    if user is None and action not in OPEN:
        return ""  # refused as a visitor anyway: nothing to count
    return ratelimits.address_limit(action, user) or ""


def _address_key() -> str:
    return ratelimits.address_key(request.remote_addr)


def _deduct(action: str) -> Callable[[Response], bool] | None:
    """When a response counts: wrong passwords, or what was saved."""
    if action in EVERY_REQUEST:
        return None
    if action == "login_failure":
        return lambda response: response.status_code == 401
    return lambda response: response.status_code < 400


def _limits(limiter: Limiter, action: str) -> list[RouteLimit]:
    """The two shared limits of an action: per account and per address."""
    methods = ["GET"] if action == "search" else WRITES
    return [
        limiter.shared_limit(
            lambda: _account_limit(action),
            f"{action}:account",
            key_func=lambda: _account_key(action),
            methods=methods,
            deduct_when=_deduct(action),
            error_message=lambda: message(action, "account"),
        ),
        limiter.shared_limit(
            lambda: _address_limit(action),
            f"{action}:address",
            key_func=_address_key,
            methods=methods,
            deduct_when=_deduct(action),
            error_message=lambda: message(action, "address"),
        ),
    ]


def message(action: str, kind: str) -> str:
    """What a refusal of ``action`` says; the handler fills in ``{limit}``."""
    doing = DOING.get(action, "Too many requests")
    if kind == "address":
        return f"{doing} from your address (at most {{limit}})."
    if action in NAMED:
        return f"{doing} for this account (at most {{limit}})."
    user = _viewer()
    if user is not None and ratelimits.tier(user) == "new":
        threshold = current_app.config["RATE_LIMIT_TIERS"]["established"]
        return (
            f"{doing} for now: accounts under {threshold} reputation may do "
            "this at most {limit}."
        )
    return f"{doing} for now (at most {{limit}})."


def limit_text(item: RateLimitItem) -> str:
    """A limit in words: "1 per 40 minutes", "5 per hour"."""
    unit = item.GRANULARITY.name
    if item.multiples == 1:
        return f"{item.amount} per {unit}"
    return f"{item.amount} per {item.multiples} {unit}s"


def retry_after(limiter: Limiter) -> int:
    """Seconds until the breached limit's window ends (at least 1)."""
    breached = limiter.current_limit
    if breached is None:
        return 60
    return max(1, math.ceil(breached.window.reset_time - time.time()))


def wait_text(seconds: int) -> str:
    """A wait in words: "30 seconds", "12 minutes", "3 hours"."""
    if seconds < 90:
        return f"{seconds} second{'s' if seconds != 1 else ''}"
    if seconds < 90 * 60:
        minutes = math.ceil(seconds / 60)
        return f"{minutes} minutes"
    return f"{math.ceil(seconds / 3600)} hours"


# Form fields a refused page POST shows back, so no typed text is lost.
KEPT_FIELDS = (
    ("title", "Title"),
    ("tags", "Tags"),
    ("body", "Text"),
    ("summary", "Edit summary"),
)


def kept_text() -> list[tuple[str, str]]:
    """What a refused form held, as (label, text), for the person to copy."""
    if request.method != "POST":
        return []
    return [
        (label, request.form[name])
        for name, label in KEPT_FIELDS
        if request.form.get(name)
    ]


def handle_rate_limited(error: RateLimitExceeded):
    """429 with Retry-After: an error page, or JSON for the API and preview."""
    seconds = retry_after(current_app.extensions[LIMITER])
    said = (error.description or "").replace("{limit}", limit_text(error.limit.limit))
    text = f"{said} Try again in {wait_text(seconds)}."
    if wants_json() or request.endpoint in JSON_ENDPOINTS:
        response = json_error(429, text)
    else:
        page, status = error_page(429, "Too many requests", text, kept=kept_text())
        response = current_app.make_response((page, status))
    response.headers["Retry-After"] = str(seconds)
    return response


def register(app: Flask) -> None:
    """Bind a limiter to the app and wrap each limited view with its limits."""
    config = app.config
    limiter = Limiter(
        key_func=_address_key,
        storage_uri=config["RATELIMIT_STORAGE_URL"] or "memory://",
        strategy=config["RATELIMIT_STRATEGY"],
        key_prefix=config["RATELIMIT_KEY_PREFIX"],
        enabled=config["RATELIMIT_ENABLED"],
        # Redis down: keep limiting in each process's memory, not fail requests.
        in_memory_fallback_enabled=True,
    )
    limiter.init_app(app)
    app.extensions[LIMITER] = limiter
    app.register_error_handler(RateLimitExceeded, handle_rate_limited)
    if not config["RATELIMIT_ENABLED"]:
        return
    for endpoint, actions in LIMITED.items():
        view: Callable = app.view_functions[endpoint]
        for action in actions:
            for limit in _limits(limiter, action):
                view = limit(view)
        app.view_functions[endpoint] = view
