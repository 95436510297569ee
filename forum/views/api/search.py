"""API: search in the site's syntax, and questions similar to a draft."""

from flask import current_app, request

from forum import search
from forum.models import Question
from forum.search.query import MAX_QUERY_LENGTH
from forum.views.api import bp
from forum.views.api.parsing import page_args

SIMILAR_MAX = 10
# How much of a draft's body the similar questions read.
SIMILAR_BODY_LENGTH = 500


def text_arg(name: str, limit: int = MAX_QUERY_LENGTH) -> str:
    """A text parameter cut to ``limit`` characters (over-long is never refused)."""
    return request.args.get(name, "")[:limit].replace("\x00", "")


def question_summary(q: Question) -> dict:
    """The short form of a question in search hits and similar lists."""
    return {
        "id": q.id,
        "title": q.title,
        "tags": q.tag_names,
        "score": q.score,
        "answer_count": q.answer_count or 0,
        "accepted_answer_id": q.accepted_answer_id,
    }


def hit(h: search.Hit) -> dict:
    """A search hit: summary, highlight fragments, and the answer it came from."""
    data = question_summary(h.question)
    data["highlights"] = [str(fragment) for fragment in h.highlights]
    if h.answer_id is not None:
        data["answer_id"] = h.answer_id
    return data


def envelope(items: list, page: int, per_page: int, total: int) -> dict:
    """The list envelope."""
    return {
        "items": items,
        "page": page,
        "per_page": per_page,
        "total": total,
        "has_more": page * per_page < total,
    }


@bp.get("/search")
def search_posts():
    """Search hits for ``q``; ``sort`` relevance, newest or votes."""
    config = current_app.config
    page, per_page = page_args(config["SEARCH_PER_PAGE"])
    sort = request.args.get("sort", "relevance")
    result = search.search(text_arg("q"), sort, page, per_page)
    items = [hit(h) for h in result.hits]
    return envelope(items, page, per_page, result.total)


@bp.get("/similar")
def similar_questions():
    """Up to 10 questions similar to a draft's ``title`` (and ``body``)."""
    page, per_page = page_args(SIMILAR_MAX, SIMILAR_MAX)
    title = text_arg("title")
    found = []
    if title.strip():
        body = text_arg("body", SIMILAR_BODY_LENGTH)
        found = search.similar(title, body, limit=SIMILAR_MAX)
    items = [
        {**question_summary(q), "is_solved": q.accepted_answer_id is not None}
        for q in found[(page - 1) * per_page : page * per_page]
    ]
    return envelope(items, page, per_page, len(found))
