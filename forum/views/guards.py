"""Request guards that run before every view."""

from urllib.parse import parse_qsl

from flask import Flask, abort, current_app, request
from flask_login import current_user
from flask_login.config import COOKIE_NAME


def reject_invalid_utf8():
    """Refuse form posts whose data is not valid UTF-8 (400), instead of
    silently storing replacement characters."""
    if request.method in ("GET", "HEAD", "OPTIONS"):
        return
    if request.mimetype != "application/x-www-form-urlencoded":
        return
    raw = request.get_data(cache=True)  # form parsing reuses the cached bytes
    try:
        parse_qsl(raw.decode("utf-8"), keep_blank_values=True, errors="strict")
    except UnicodeDecodeError:
        abort(400, description="The submitted text is not valid UTF-8.")


def load_signed_in_user():
    """Resolve a session or "remember me" cookie before the view runs, so the
    sign-in's occasional last-seen write commits on its own, never in the
    middle of the view's unit of work."""
    if request.endpoint == "static":
        return
    config = current_app.config
    names = (
        config["SESSION_COOKIE_NAME"],
        config.get("REMEMBER_COOKIE_NAME", COOKIE_NAME),
    )
    if any(name in request.cookies for name in names):
        _ = current_user.is_authenticated


def register(app: Flask) -> None:
    """Install the guards."""
    app.before_request(reject_invalid_utf8)
    app.before_request(load_signed_in_user)
