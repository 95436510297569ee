"""WTForms classes: they render fields and carry CSRF; services hold the rules."""

from flask_wtf import FlaskForm
from wtforms import BooleanField, EmailField, PasswordField, StringField, TextAreaField


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


class EditPostForm(FlaskForm):
    """Edit a question (title, body, tags) or an answer (body)."""

    title = StringField("Title")
    body = TextAreaField("Body")
    tags = StringField("Tags")
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


def apply_errors(form: FlaskForm, fields: dict[str, str]) -> None:
    """Show service validation messages next to the matching form fields."""
    for name, message in fields.items():
        field = getattr(form, name, None)
        if field is not None and hasattr(field, "errors"):
            field.errors = list(field.errors or []) + [message]
        else:
            form.form_errors.append(message)
