"""API: search in the site's syntax, and questions similar to a draft."""

from flask import current_app, request

from forum import search
from forum.search.query import MAX_QUERY_LENGTH
from forum.services.pagination import Page
from forum.views.api import bp
from forum.views.api import serializers as out
from forum.views.api.parsing import page_args

SIMILAR_MAX = 10
# How much of a draft's body the similar questions read.
SIMILAR_BODY_LENGTH = 500


def text_arg(name: str, limit: int = MAX_QUERY_LENGTH) -> str:
    """A text parameter cut to ``limit`` characters (over-long is never refused)."""
    return request.args.get(name, "")[:limit].replace("\x00", "")


@bp.get("/search")
def search_posts():
    """Search hits for ``q``; ``sort`` relevance, newest or votes."""
    page, per_page = page_args(current_app.config["SEARCH_PER_PAGE"])
    sort = request.args.get("sort", "relevance")
    result = search.search(text_arg("q"), sort, page, per_page)
    hits = Page(items=result.hits, page=page, per_page=per_page, total=result.total)
    return out.page(hits, [out.search_hit(h) for h in result.hits])


@bp.get("/similar")
def similar_questions():
    """Up to SIMILAR_MAX questions similar to a draft's ``title`` (and ``body``)."""
    page, per_page = page_args(SIMILAR_MAX, SIMILAR_MAX)
    title = text_arg("title")
    found = []
    if title.strip():
        body = text_arg("body", SIMILAR_BODY_LENGTH)
        found = search.similar(title, body, limit=SIMILAR_MAX)
    shown = found[(page - 1) * per_page : page * per_page]
    similar = Page(items=shown, page=page, per_page=per_page, total=len(found))
    return out.page(similar, [out.similar_question(q) for q in shown])
