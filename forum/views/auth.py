"""Pages: sign up, log in, log out."""

from urllib.parse import urlsplit

from flask import (
    Blueprint,
    flash,
    redirect,
    render_template,
    request,
    session,
    url_for,
)
from flask_login import current_user, login_user, logout_user

from forum.models import User
from forum.services import sessions, users
from forum.services.errors import Conflict, ValidationError
from forum.views.forms import LoginForm, SignupForm, apply_errors

bp = Blueprint("auth", __name__)


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a same-site path, else None (no open redirects)."""
    if not target or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target or any(ord(ch) < 32 for ch in target):
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc:
        return None
    return target


def _next_or_home() -> str:
    return safe_next(request.args.get("next")) or url_for("questions.index")


def sign_in(user: User, remember: bool = False) -> None:
    """Start a server-side sign-in in a fresh session: nothing from before the
    log-in (its CSRF token included) carries over, against session fixation."""
    session.clear()
    sessions.start_session(user, remember)
    login_user(user, remember=remember)


@bp.route("/signup", methods=["GET", "POST"])
def signup():
    """Create an account, then sign in."""
    if current_user.is_authenticated:
        return redirect(url_for("questions.index"))
    form = SignupForm()
    if form.validate_on_submit():
        try:
            user = users.register_user(
                form.username.data, form.email.data, form.password.data
            )
        except (ValidationError, Conflict) as error:
            apply_errors(form, error.fields)
            return render_template(
                "auth/signup.html", form=form, next=safe_next(request.args.get("next"))
            ), error.status
        sign_in(user)
        flash(f"Welcome, {user.username}! Your account is ready.", "success")
        return redirect(_next_or_home())
    return render_template(
        "auth/signup.html", form=form, next=safe_next(request.args.get("next"))
    )


@bp.route("/login", methods=["GET", "POST"])
def login():
    """Log in by username or email and password."""
    if current_user.is_authenticated:
        return redirect(_next_or_home())
    form = LoginForm()
    if form.validate_on_submit():
        user = users.authenticate(form.login.data, form.password.data)
        if user is None:
            form.form_errors.append("Username/email or password is not correct.")
            return render_template(
                "auth/login.html", form=form, next=safe_next(request.args.get("next"))
            ), 401
        sign_in(user, remember=bool(form.remember.data))
        flash("You are logged in.", "success")
        return redirect(_next_or_home())
    return render_template(
        "auth/login.html", form=form, next=safe_next(request.args.get("next"))
    )


@bp.post("/logout")
def logout():
    """Log out (POST only, with CSRF): the sign-in ends on the server too, so
    copies of its cookies stop working."""
    if current_user.is_authenticated:
        sessions.end_session(sessions.current_key(current_user))
    logout_user()
    session.clear()
    flash("You are logged out.", "info")
    return redirect(url_for("questions.index"))
