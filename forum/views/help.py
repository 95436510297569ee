"""Pages: help for members (what reputation unlocks)."""

from flask import Blueprint, render_template

from forum.services import privileges
from forum.views.helpers import viewer

bp = Blueprint("help", __name__, url_prefix="/help")


@bp.get("/privileges")
def privileges_page():
    """Every privilege with the reputation it needs and the viewer's progress."""
    return render_template(
        "help/privileges.html",
        rows=privileges.ladder(viewer()),
        ranks=privileges.ranks(),
    )
