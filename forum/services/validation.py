"""Shared checks for user-supplied text; each returns the cleaned value."""

from typing import TypeGuard

from flask import current_app

from forum.services.errors import ValidationError


def text_problem(value: object) -> str | None:
    """Return why ``value`` cannot be stored as text, or None if it can."""
    if not isinstance(value, str):
        return "must be text"
    if "\x00" in value:
        return "must not contain NUL characters"
    try:
        value.encode("utf-8")
    except UnicodeEncodeError:
        return "must be valid UTF-8 text"
    return None


def is_text(value: object) -> TypeGuard[str]:
    """Whether ``value`` is text that can be stored (see ``text_problem``)."""
    return text_problem(value) is None


def clean_text(
    errors: dict[str, str],
    field: str,
    value: object,
    min_len: int = 0,
    max_len: int | None = None,
    label: str | None = None,
    strip: bool = True,
) -> str:
    """Check a text field's type and length; record a message in ``errors``."""
    label = label or field.replace("_", " ").capitalize()
    if value is None:
        value = ""
    if not is_text(value):
        errors[field] = f"{label} {text_problem(value)}."
        return ""
    text = value.strip() if strip else value
    text = text.replace("\r\n", "\n")
    length = len(text.strip())
    if min_len and length == 0:
        errors[field] = f"{label} is required."
    elif length < min_len:
        errors[field] = (
            f"{label} must be at least {min_len} characters; you entered {length}."
        )
    elif max_len is not None and len(text) > max_len:
        errors[field] = (
            f"{label} must be at most {max_len} characters; you entered {len(text)}."
        )
    return text


def limit(name: str) -> int:
    """Read a length or count limit (``TITLE_MAX_LENGTH``...) from the app config."""
    return current_app.config[name]


def raise_if(errors: dict[str, str]) -> None:
    """Raise a ValidationError when any field failed."""
    if errors:
        raise ValidationError(errors)
