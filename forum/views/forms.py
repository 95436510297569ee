"""WTForms classes and the form-page flow: forms render fields and carry CSRF;
services hold the rules."""

from collections.abc import Callable

from flask import flash, redirect
from flask.typing import ResponseReturnValue
from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField

from forum.services.errors import Conflict, ValidationError


class SignupForm(FlaskForm):
    """Create an account."""

    username = StringField("Username")
    email = EmailField("Email")
    password = PasswordField("Password")


class LoginForm(FlaskForm):
    """Log in by username or email."""

    login = StringField("Username or email")
    password = PasswordField("Password")
    remember = BooleanField("Remember me")


class AskForm(FlaskForm):
    """Ask a question."""

    title = StringField("Title")
    body = TextAreaField("Body")
    tags = StringField("Tags")


class AnswerForm(FlaskForm):
    """Answer a question."""

    body = TextAreaField("Your Answer")


class CommentForm(FlaskForm):
    """Add or edit a comment."""

    body = TextAreaField("Comment")


class EditPostForm(AskForm):
    """Edit a question (title, body, tags) or an answer (body), with a summary."""

    summary = StringField("Edit summary")


class ProfileForm(FlaskForm):
    """Edit one's profile."""

    display_name = StringField("Display name")
    email = EmailField("Email")
    location = StringField("Location")
    website = StringField("Website")
    about = TextAreaField("About me")


class PasswordForm(FlaskForm):
    """Change one's password."""

    current_password = PasswordField("Current password")
    new_password = PasswordField("New password")
    confirm_password = PasswordField("Confirm new password")


class SynonymForm(FlaskForm):
    """Add a search and tagging synonym (staff)."""

    term = StringField("Term")
    replacement = StringField("Also means")
    two_way = BooleanField("Both ways (the replacement also means the term)")


def form_page(
    form: FlaskForm, page: Callable[[], str], save: Callable[[], str], done: str
) -> ResponseReturnValue:
    """Show ``page()``; on a valid POST call ``save()``, flash ``done`` and
    redirect to the URL ``save`` returns. A refusal (422, 409) shows the page
    again, with that status and each message beside its field."""
    if not form.validate_on_submit():
        return page()
    try:
        target = save()
    except (ValidationError, Conflict) as error:
        apply_errors(form, error.fields)
        return page(), error.status
    flash(done, "success")
    return redirect(target)


def apply_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    """Show service validation messages next to the matching form fields."""
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)
