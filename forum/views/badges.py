"""Pages: every badge with its award count, and who earned one."""

from flask import Blueprint, current_app, redirect, render_template, url_for

from forum.services import badges
from forum.views.helpers import page_arg, viewer

bp = Blueprint("badges", __name__)


@bp.get("/badges")
def index():
    """All badges: class, what earns them, how many times they were awarded."""
    me = viewer()
    return render_template(
        "badges/index.html",
        rows=badges.badge_list(),
        earned=badges.earned_keys(me.id if me else None),
    )


@bp.get("/badges/<name>")
def detail(name: str):
    """Who earned a badge, newest first; ``Nice Question`` redirects to its key."""
    key = "-".join(name.lower().replace("_", " ").split())
    if key != name and key in badges.BY_KEY:
        return redirect(url_for("badges.detail", name=key), 301)
    badge = badges.get_badge(name)
    page = badges.awards_page(
        badge, page_arg(), current_app.config["BADGE_AWARDS_PER_PAGE"]
    )
    return render_template("badges/detail.html", badge=badge, page=page)


@bp.app_template_global("user_badges")
def user_badges(user) -> dict:
    """A user's badge counts and list, for templates/users/_badges.html."""
    return badges.user_badges(user.id)
