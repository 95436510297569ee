"""API: badges."""

from forum.services import badges
from forum.views.api import bp
from forum.views.api import serializers as out
from forum.views.api.parsing import page_args


@bp.get("/badges")
def list_badges():
    """Every badge with its class, description and how many times it was awarded."""
    page, per_page = page_args()
    return out.badges_page(badges.badge_page(page, per_page))
