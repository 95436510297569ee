"""Reading API input: the caller, JSON bodies, query-string numbers and flags.

Only the shape of the input is checked here; the rules live in the services.
"""

import json

from flask import current_app, request
from flask_login import current_user

from forum.models import User
from forum.services.errors import BadRequest, ValidationError
from forum.views.helpers import number_arg, page_arg


class InvalidJson(BadRequest):
    """The body is not a JSON object."""

    code = "invalid_json"


class InvalidEncoding(BadRequest):
    """The body is not UTF-8."""

    code = "invalid_encoding"


def actor() -> User | None:
    """The authenticated user (token or session) as a model, or None."""
    if not current_user.is_authenticated:
        return None
    return current_user._get_current_object()


def _no_constants(name: str):
    raise ValueError(f"{name} is not JSON")


def json_body(optional: bool = False) -> dict:
    """Parse the body as a JSON object (whatever the Content-Type says).

    An empty body is ``{}`` when ``optional``. Raises InvalidEncoding or
    InvalidJson (400); a body over MAX_CONTENT_LENGTH is a 413 from Werkzeug.
    """
    raw = request.get_data(cache=True)
    if not raw.strip():
        if optional:
            return {}
        raise InvalidJson("The request body must be a JSON object.")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError:
        raise InvalidEncoding("The request body is not valid UTF-8.") from None
    try:
        data = json.loads(text, parse_constant=_no_constants)
    except (ValueError, RecursionError):
        # ValueError covers JSONDecodeError and over-long integers.
        raise InvalidJson("The request body is not valid JSON.") from None
    if not isinstance(data, dict):
        raise InvalidJson("The request body must be a JSON object.")
    return data


def require_key(body: dict, name: str, hint: str) -> object:
    """Return ``body[name]``; a missing key is a 422 naming the field."""
    if name not in body:
        raise ValidationError({name: f"{name} is required: {hint}."})
    return body[name]


def require_text(body: dict, *names: str) -> list[str]:
    """Return the named fields, each of which must be a string (else 422)."""
    errors = {
        name: f"{name} is required and must be text."
        for name in names
        if not isinstance(body.get(name), str)
    }
    if errors:
        raise ValidationError(errors)
    return [body[name] for name in names]


def page_args(
    default: int | None = None, maximum: int | None = None
) -> tuple[int, int]:
    """``page`` (≥ 1) and ``per_page`` (1 to ``maximum``, by default
    API_PER_PAGE and API_MAX_PER_PAGE). Raises BadRequest (400)."""
    config = current_app.config
    page = page_arg()
    per_page = number_arg(
        "per_page",
        default or config["API_PER_PAGE"],
        1,
        maximum or config["API_MAX_PER_PAGE"],
    )
    return page, per_page
