"""Conditional GET for anonymous pages: an ETag, and 304 when it matches."""

from flask import request
from flask_login import current_user


def conditional_get(response):
    """Give an anonymous page an ETag (a hash of its HTML) and answer 304 Not
    Modified when the browser already holds it. The page is still rendered:
    this saves the transfer, not the work. ``no-cache`` makes browsers ask
    every time, so a new answer shows at once."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not current_user.is_authenticated
    ):
        response.add_etag()
        response.headers.setdefault("Cache-Control", "no-cache")
        response.make_conditional(request)
    return response
