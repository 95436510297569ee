"""Request guards that run before every view."""

from urllib.parse import parse_qsl

from flask import Flask, abort, request


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


def register(app: Flask) -> None:
    """Install the guards."""
    app.before_request(reject_invalid_utf8)
