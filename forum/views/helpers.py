"""Template filters and globals, and small helpers shared by views."""

import re
from datetime import datetime

from flask import Flask, current_app, flash, redirect, request, url_for
from flask_login import current_user
from markupsafe import Markup

from forum.markup import image_hosts, remote_images_as_links
from forum.models import utcnow
from forum.safe_urls import safe_url
from forum.search.query import MAX_QUERY_LENGTH
from forum.services.errors import BadRequest
from forum.services.permissions import TEMPLATE_PREDICATES

# At most nine ASCII digits: int() never sees "²", and no OFFSET overflows.
WHOLE_NUMBER_RE = re.compile(r"[0-9]{1,9}")


def viewer():
    """The signed-in user, or None for visitors (what services take)."""
    return current_user if current_user.is_authenticated else None


def login_first(next_url: str):
    """Send a visitor who posted an action to the login page, then to ``next_url``.

    Not Flask-Login's own redirect: its ``next`` would be the POST-only action URL.
    """
    flash("Please log in to continue.", "info")
    return redirect(url_for("auth.login", next=next_url))


def number_arg(name: str, default: int, low: int, high: int | None = None) -> int:
    """Query parameter ``name`` as a whole number from ``low`` to ``high``
    (``default`` when absent). Raises BadRequest (400) naming it otherwise."""
    raw = request.args.get(name)
    if raw is None:
        return default
    if WHOLE_NUMBER_RE.fullmatch(raw):
        value = int(raw)
        if value >= low and (high is None or value <= high):
            return value
    if high is None:
        message, hint = f"a whole number of at least {low}", f"≥ {low}"
    else:
        message, hint = f"a whole number from {low} to {high}", f"{low}-{high}"
    raise BadRequest(f"{name} must be {message}.", {name: hint})


def page_arg(name: str = "page") -> int:
    """The page number ``name`` (1 when absent), for pages and the API alike.

    Raises BadRequest (400) unless it is a whole number of at least 1.
    """
    return number_arg(name, 1, 1)


def bool_arg(name: str) -> bool | None:
    """A ``true``/``false`` query parameter (None when absent). Raises BadRequest."""
    raw = request.args.get(name)
    if raw is None:
        return None
    if raw not in ("true", "false"):
        raise BadRequest(f"{name} must be true or false.", {name: "true|false"})
    return raw == "true"


def timeago(value: datetime | None) -> str:
    """Relative time in words: "just now", "5 mins ago", "3 days ago", a date."""
    if value is None:
        return ""
    seconds = int((utcnow() - value).total_seconds())
    if seconds < 60:
        return "just now"
    for unit, size in (("min", 60), ("hour", 3600), ("day", 86400)):
        limit = {"min": 3600, "hour": 86400, "day": 86400 * 30}[unit]
        if seconds < limit:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    if value.year == utcnow().year:
        return value.strftime("%b %-d")
    return value.strftime("%b %-d, %Y")


def isoformat(value: datetime | None) -> str | None:
    """ISO 8601 UTC with a Z, as the API and <time datetime> use."""
    if value is None:
        return None
    return value.replace(microsecond=0).isoformat() + "Z"


def size_text(size: int) -> str:
    """A size in bytes in words: "1 MB", "512 KB", "100 bytes"."""
    for unit, factor in (("MB", 1024 * 1024), ("KB", 1024)):
        if size >= factor and size % factor == 0:
            return f"{size // factor} {unit}"
    return f"{size} bytes"


def trusted_html(value: str | None) -> Markup:
    """Mark a stored ``*_html`` column as safe: only for HTML that
    ``forum.markup.render_markdown`` produced (sanitised on save); images
    from hosts not in IMAGE_HOSTS become links (see ``shown_html``)."""
    return Markup(shown_html(value))


def shown_html(value: str | None) -> str:
    """A stored ``*_html`` column as pages and the API show it: remote
    images only from IMAGE_HOSTS, applied when shown so that a change of the
    setting applies to every post already saved."""
    hosts = image_hosts(current_app.config.get("IMAGE_HOSTS"))
    return remote_images_as_links(value or "", hosts)


def register(app: Flask) -> None:
    """Install filters and globals."""
    app.add_template_filter(trusted_html, "trusted_html")
    app.add_template_filter(timeago, "timeago")
    app.add_template_filter(isoformat, "isoformat")
    app.add_template_filter(safe_url, "safe_url")
    app.jinja_env.globals.update(TEMPLATE_PREDICATES)
    app.jinja_env.globals["viewer"] = viewer
    app.jinja_env.globals["MAX_QUERY_LENGTH"] = MAX_QUERY_LENGTH
