"""Staff-only pages: the serial-voting audit's findings."""

from flask import Blueprint, current_app, render_template

from forum.services import vote_audit
from forum.views.helpers import page_arg, viewer

bp = Blueprint("admin", __name__)


@bp.get("/admin/vote-audit")
def vote_audit_page():
    """What ``votes audit`` reversed, newest first (404 for everyone but staff)."""
    page = vote_audit.findings_page(
        viewer(), page_arg(), current_app.config["VOTE_AUDIT_PER_PAGE"]
    )
    return render_template(
        "admin/vote_audit.html",
        page=page,
        window=current_app.config["SERIAL_VOTE_WINDOW_HOURS"],
        threshold=current_app.config["SERIAL_VOTE_THRESHOLD"],
    )
