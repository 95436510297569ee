"""Pages: the tag list."""

from flask import Blueprint, current_app, render_template, request

from forum.services import tags
from forum.views.helpers import page_arg

bp = Blueprint("tags", __name__)

SORTS = {"popular": "Popular", "name": "Name"}


@bp.get("/tags")
def index():
    """Tags with question counts; ``?sort=popular|name``, ``?q=`` filters by name."""
    sort = request.args.get("sort", "popular")
    query = request.args.get("q", "").strip()
    page = tags.list_tags(
        sort, page_arg(), current_app.config["TAGS_PER_PAGE"], name_filter=query
    )
    return render_template(
        "tags/index.html", page=page, sort=sort, query=query, sorts=SORTS
    )
