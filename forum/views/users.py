"""Pages: the user list, profiles, editing one's profile and password."""

from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import current_user, login_required

from forum.models import User, utcnow
from forum.services import questions, reputation, sessions, tokens, users
from forum.views.charts import reputation_chart
from forum.views.forms import PasswordForm, ProfileForm, form_page
from forum.views.helpers import page_arg, viewer

bp = Blueprint("users", __name__)

# How many questions and answers the profile page lists.
PROFILE_LIST_SIZE = 10
# Ledger entries per page of the profile's reputation section.
REPUTATION_PAGE_SIZE = 20


def profile_url(user: User) -> str:
    """The canonical profile URL of ``user``."""
    return url_for("users.profile", user_id=user.id, username=user.username)


@bp.get("/users")
def index():
    """Users by reputation, or by reputation gained this month or week."""
    period = request.args.get("period", "all")
    page = users.list_users_with_gain(
        page_arg(), current_app.config["USERS_PER_PAGE"], period
    )
    return render_template("users/index.html", page=page, period=period)


@bp.get("/users/<int:user_id>")
@bp.get("/users/<int:user_id>/<username>")
def profile(user_id: int, username: str | None = None):
    """A user's profile; other spellings redirect (301) to the canonical URL."""
    user = users.get_user(user_id)
    if username != user.username:
        return redirect(profile_url(user), code=301)
    asked = questions.list_questions(
        sort="newest", owner_id=user.id, page=1, per_page=PROFILE_LIST_SIZE
    )
    answered = questions.list_answers_by(user.id, 1, PROFILE_LIST_SIZE)
    rep_events = reputation.user_events(
        user.id, page_arg("rep_page"), REPUTATION_PAGE_SIZE
    )
    chart = reputation_chart(
        reputation.history(user.id), user.created_at.date(), utcnow().date()
    )
    return render_template(
        "users/profile.html",
        user=user,
        asked=asked,
        answered=answered,
        rep_events=rep_events,
        chart=chart,
        rep_descriptions=reputation.DESCRIPTIONS,
    )


@bp.route("/users/edit", methods=["GET", "POST"])
@login_required
def edit():
    """Edit one's own profile."""
    user = users.get_user(current_user.id)
    form = ProfileForm(obj=user, about=user.about_markdown)

    def save() -> str:
        users.update_profile(
            viewer(),
            user,
            display_name=form.display_name.data,
            about=form.about.data,
            location=form.location.data,
            website=form.website.data,
            email=form.email.data,
        )
        return profile_url(user)

    page = partial(render_template, "users/edit.html", form=form)
    return form_page(form, page, save, "Your profile was saved.")


@bp.route("/users/password", methods=["GET", "POST"])
@login_required
def password():
    """Change one's password; other sessions and devices are signed out."""
    user = users.get_user(current_user.id)
    form = PasswordForm()

    def save() -> str:
        users.change_password(
            viewer(),
            user,
            form.current_password.data,
            form.new_password.data,
            form.confirm_password.data,
            keep_session=sessions.current_key(current_user),
        )
        return profile_url(user)

    page = partial(render_template, "users/password.html", form=form)
    done = (
        "Password changed. Your other devices have been signed out "
        "and your API tokens revoked."
    )
    return form_page(form, page, save, done)


@bp.get("/users/tokens")
@login_required
def api_tokens():
    """One's live API tokens (never their secrets), each with a revoke button."""
    return render_template("users/tokens.html", tokens=tokens.list_tokens(viewer()))


@bp.post("/users/tokens/<int:token_id>/revoke")
@login_required
def revoke_api_token(token_id: int):
    """Revoke one of one's API tokens (404 for anyone else's)."""
    tokens.revoke_token_by_id(viewer(), token_id)
    flash("The token was revoked.", "success")
    return redirect(url_for("users.api_tokens"))
