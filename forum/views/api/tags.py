"""API: tags."""

from flask import request

from forum.services import tags
from forum.views.api import bp
from forum.views.api import serializers as out
from forum.views.api.parsing import page_args


@bp.get("/tags")
def list_tags():
    """Tags with their number of live questions; ``sort`` popular or name."""
    page, per_page = page_args()
    return out.tags_page(
        tags.list_tags(request.args.get("sort", "popular"), page, per_page)
    )
