"""Pages: search results, and the syntax help when nothing was asked."""

from flask import Blueprint, current_app, render_template, request

from forum import search
from forum.search.query import MAX_QUERY_LENGTH
from forum.views.helpers import page_arg

bp = Blueprint("search", __name__)

SORT_LABELS = {"relevance": "Relevance", "newest": "Newest", "votes": "Votes"}


def query_arg() -> str:
    """The ``q`` parameter, cut to what the search reads (NUL bytes dropped)."""
    return request.args.get("q", "")[:MAX_QUERY_LENGTH].replace("\x00", "")


@bp.get("/search")
def index():
    """Search results for ``q`` (sorted, paged); the syntax help when q is empty."""
    q = query_arg()
    sort = request.args.get("sort", "relevance")
    page = page_arg()
    result = search.search(q, sort, page, current_app.config["SEARCH_PER_PAGE"])
    return render_template(
        "search/index.html", q=q, sort=sort, result=result, sorts=SORT_LABELS
    )
