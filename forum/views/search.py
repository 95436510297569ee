"""Pages: search results, and the syntax help when nothing was asked."""

from flask import Blueprint, current_app, render_template, request

from forum import search
from forum.search.query import MAX_QUERY_LENGTH
from forum.services.errors import BadRequest

bp = Blueprint("search", __name__)

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "votes": "Votes"}


def query_arg() -> str:
    """The ``q`` parameter, cut to what the search reads (NUL bytes dropped)."""
    return request.args.get("q", "")[:MAX_QUERY_LENGTH].replace("\x00", "")


def search_page_arg() -> int:
    """The ``page`` parameter: a whole number ≥ 1. Raises BadRequest (400)."""
    raw = request.args.get("page", "1")
    if not raw.isascii() or not raw.isdigit() or len(raw) > 9 or int(raw) < 1:
        raise BadRequest("page must be a whole number of at least 1.", {"page": "≥ 1"})
    return int(raw)


@bp.get("/search")
def index():
    """Search results for ``q`` (sorted, paged); the syntax help when q is empty."""
    q = query_arg()
    sort = request.args.get("sort", "relevance")
    page = search_page_arg()
    result = search.search(q, sort, page, current_app.config["SEARCH_PER_PAGE"])
    return render_template(
        "search/index.html", q=q, sort=sort, result=result, sorts=SORT_LABELS
    )
