"""Accounts: registration, login, profiles, passwords and roles."""

import math
import re
import threading
from datetime import timedelta

from email_validator import EmailNotValidError, validate_email
from flask import current_app
from sqlalchemy import func, null, select
from sqlalchemy.exc import IntegrityError
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn
from zxcvbn.matching import L33T_TABLE, enumerate_l33t_subs, relevant_l33t_subtable

from forum.extensions import db
from forum.markup import render_markdown
from forum.models import ROLE_STAFF, ROLE_USER, User, utcnow
from forum.safe_urls import is_safe_url
from forum.services import permissions, reputation, sessions
from forum.services.errors import (
    BadRequest,
    Conflict,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from forum.services.pagination import Page, paginate
from forum.services.validation import clean_text, is_text, limit, raise_if

USERNAME_RE = re.compile(r"^[A-Za-z0-9._-]+$")
WEBSITE_RE = re.compile(r"^https?://[^\s/$.?#][^\s]*$", re.IGNORECASE)


def _check_username(errors: dict[str, str], username: object) -> str:
    name = clean_text(errors, "username", username, label="Username")
    if "username" in errors:
        return name
    lo, hi = limit("USERNAME_MIN_LENGTH"), limit("USERNAME_MAX_LENGTH")
    if not lo <= len(name) <= hi:
        errors["username"] = f"Username must be {lo}-{hi} characters long."
    elif not USERNAME_RE.match(name):
        errors["username"] = (
            "Username may contain only letters, digits, dots, underscores and hyphens."
        )
    return name


def _check_email(errors: dict[str, str], email: object) -> str:
    text = clean_text(
        errors,
        "email",
        email,
        min_len=1,
        max_len=limit("EMAIL_MAX_LENGTH"),
        label="Email",
    )
    if "email" in errors:
        return text
    try:
        # Syntax only: no DNS look-ups when signing up.
        info = validate_email(text, check_deliverability=False)
    except EmailNotValidError as exc:
        errors["email"] = f"Email is not valid: {exc}"
        return text
    return info.normalized.lower()


# zxcvbn refuses more than 72 characters; a password whose first 72 are strong
# is strong.
STRENGTH_PREFIX = 72
# zxcvbn tries every reading of the l33t characters present ("1" as i or l...)
# over every substring, so its work is readings x length squared: the prefix
# is cut so that product fits, which bounds the check's time for any input.
STRENGTH_WORK = 30_000
STRENGTH_MIN_PREFIX = 8
# zxcvbn keeps the user_inputs of a call in a module-level dictionary, so two
# threads scoring at once could see each other's; one call at a time.
_STRENGTH_LOCK = threading.Lock()


def _strength_prefix(secret: str) -> str:
    """The longest prefix (up to STRENGTH_PREFIX) zxcvbn checks in bounded time."""
    text = secret[:STRENGTH_PREFIX]
    # A prefix has no more readings than the whole: one count bounds them all.
    readings = len(enumerate_l33t_subs(relevant_l33t_subtable(text, L33T_TABLE)))
    longest = math.isqrt(STRENGTH_WORK // max(readings, 1))
    return text[: max(STRENGTH_MIN_PREFIX, longest)]


def _check_password(
    errors: dict[str, str],
    password: object,
    field="password",
    personal: tuple[object, ...] = (),
) -> str:
    text = clean_text(
        errors,
        field,
        password,
        min_len=limit("PASSWORD_MIN_LENGTH"),
        max_len=limit("PASSWORD_MAX_LENGTH"),
        label="Password",
        strip=False,
    )
    if field not in errors:
        weakness = password_weakness(text, personal)
        if weakness:
            errors[field] = weakness
    return text


def _personal_words(values: tuple[object, ...]) -> list[str]:
    """The username, email (and its parts) and display name, for zxcvbn."""
    words: list[str] = []
    for value in values:
        if not is_text(value) or not value.strip():
            continue
        word = value.strip().lower()
        words.append(word)
        parts = [part for part in re.split(r"[\s.+_-]+", word.split("@")[0]) if part]
        # "Fjord Quokka" and "fjord.quokka@..." also as "fjordquokka".
        words.extend([*parts, "".join(parts), *word.partition("@")[2].split(".")])
    return list(dict.fromkeys(word for word in words if len(word) >= 3))


def password_weakness(secret: str, personal: tuple[object, ...] = ()) -> str | None:
    """Why a password is too easy to guess, or None when it is strong enough.

    zxcvbn scores it against common passwords, words, names, keyboard patterns,
    dates and the person's own ``personal`` details (username, email, display
    name); a score under PASSWORD_MIN_STRENGTH is refused.
    """
    with _STRENGTH_LOCK:
        result = zxcvbn(
            _strength_prefix(secret),
            user_inputs=_personal_words(personal),
            max_length=STRENGTH_PREFIX,
        )
    if result["score"] >= limit("PASSWORD_MIN_STRENGTH"):
        return None
    if any(m.get("dictionary_name") == "user_inputs" for m in result["sequence"]):
        reason = "it is built from your username, email or name"
    else:
        warning = result["feedback"]["warning"].rstrip(".")
        reason = warning[0].lower() + warning[1:] if warning else "it is too common"
    return (
        f"Password is too easy to guess: {reason}. "
        "Use a longer phrase of unrelated, uncommon words."
    )


def check_website(errors: dict[str, str], website: object) -> str:
    """An http(s) address within WEBSITE_MAX_LENGTH, or empty; what is wrong
    goes into ``errors["website"]`` (profiles and imports share this)."""
    site = clean_text(
        errors, "website", website, max_len=limit("WEBSITE_MAX_LENGTH"), label="Website"
    )
    if site and not (WEBSITE_RE.match(site) and is_safe_url(site)):
        errors["website"] = "Website must be an http:// or https:// address."
    return site


def hash_password(secret: str) -> str:
    """Hash a password with the configured scrypt parameters."""
    return generate_password_hash(
        secret, method=current_app.config["PASSWORD_HASH_METHOD"]
    )


def username_taken(username: str, exclude_id: int | None = None) -> bool:
    """Whether a username is taken, compared case-insensitively."""
    stmt = select(User.id).where(func.lower(User.username) == username.lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def email_taken(email: str, exclude_id: int | None = None) -> bool:
    """Whether an email address belongs to an account already."""
    stmt = select(User.id).where(User.email == email.lower())
    if exclude_id is not None:
        stmt = stmt.where(User.id != exclude_id)
    return db.session.scalar(stmt) is not None


def register_user(
    username: object, email: object, password: object, role: str = ROLE_USER
) -> User:
    """Create an account.

    Rules: username USERNAME_MIN_LENGTH-USERNAME_MAX_LENGTH of ``[A-Za-z0-9._-]``,
    unique case-insensitively; a syntactically valid, unused email; a password
    of PASSWORD_MIN_LENGTH-PASSWORD_MAX_LENGTH characters.
    Raises ValidationError, or Conflict (409) for a taken username or email.
    """
    errors: dict[str, str] = {}
    name = _check_username(errors, username)
    address = _check_email(errors, email)
    secret = _check_password(errors, password, personal=(username, email))
    raise_if(errors)
    if username_taken(name):
        raise Conflict("username", "That username is taken; please choose another.")
    if email_taken(address):
        raise Conflict("email", "An account with that email already exists.")
    user = User(
        username=name,
        display_name=name,
        email=address,
        password_hash=hash_password(secret),
        role=role,
    )
    db.session.add(user)
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent sign-up won the race for the same name or address.
        db.session.rollback()
        raise Conflict("username", "That username or email is taken.") from None
    return user


def authenticate(login: object, password: object) -> User | None:
    """Return the user whose username or email and password match, else None."""
    if not (is_text(login) and is_text(password)):
        return None
    login = login.strip()
    stmt = select(User).where(
        (func.lower(User.username) == login.lower()) | (User.email == login.lower())
    )
    user = db.session.scalars(stmt).first()
    if user is None or not user.password_hash:
        # Spend the same time as a real check so timing reveals nothing.
        check_password_hash(_DUMMY_HASH, password)
        return None
    if not check_password_hash(user.password_hash, password):
        return None
    return user


_DUMMY_HASH = generate_password_hash("not-a-real-password", method="scrypt")


def get_user(user_id: int) -> User:
    """Return the user with this id. Raises NotFound."""
    user = db.session.get(User, user_id)
    if user is None:
        raise NotFound("No user with that id.")
    return user


def update_profile(
    actor: User | None,
    user: User,
    display_name: object = None,
    about: object = None,
    location: object = None,
    website: object = None,
    email: object = None,
) -> User:
    """Change profile fields given (None leaves a field as it is).

    Raises PermissionDenied unless the actor is the user or staff;
    ValidationError for bad values; Conflict for an email in use.
    """
    if not permissions.can_edit_profile(actor, user):
        raise PermissionDenied("You can only edit your own profile.")
    errors: dict[str, str] = {}
    changes: dict[str, str] = {}
    if display_name is not None:
        changes["display_name"] = clean_text(
            errors,
            "display_name",
            display_name,
            min_len=1,
            max_len=limit("DISPLAY_NAME_MAX_LENGTH"),
            label="Display name",
        )
    if about is not None:
        changes["about_markdown"] = clean_text(
            errors, "about", about, max_len=limit("ABOUT_MAX_LENGTH"), label="About me"
        )
    if location is not None:
        changes["location"] = clean_text(
            errors,
            "location",
            location,
            max_len=limit("LOCATION_MAX_LENGTH"),
            label="Location",
        )
    if website is not None:
        changes["website"] = check_website(errors, website)
    if email is not None:
        address = _check_email(errors, email)
        if "email" not in errors and email_taken(address, exclude_id=user.id):
            raise Conflict("email", "An account with that email already exists.")
        changes["email"] = address
    raise_if(errors)
    for key, value in changes.items():
        setattr(user, key, value)
    if "about_markdown" in changes:
        user.about_html = str(render_markdown(changes["about_markdown"]))
    db.session.commit()
    return user


def change_password(
    actor: User | None,
    user: User,
    current: object,
    new: object,
    confirm: object,
    keep_session: str | None = None,
) -> None:
    """Set a new password after checking the current one.

    Raises PermissionDenied (not the owner) or ValidationError. Ends every
    sign-in of the user but ``keep_session`` (the one changing it) and revokes
    all the user's API tokens.
    """
    if actor is None or actor.id != user.id:
        raise PermissionDenied("You can only change your own password.")
    errors: dict[str, str] = {}
    if not is_text(current) or not check_password_hash(
        user.password_hash or _DUMMY_HASH, current
    ):
        errors["current_password"] = "Current password is not correct."
    secret = _check_password(
        errors, new, field="new_password", personal=_personal_of(user)
    )
    if "new_password" not in errors and new != confirm:
        errors["confirm_password"] = "The two new passwords do not match."
    raise_if(errors)
    _store_password(user, secret, keep_session)


def set_password(user: User, password: object) -> None:
    """Set a password without the current one (``flask --app forum users
    set-password``); ends all the user's sign-ins and revokes their API tokens.
    Raises ValidationError."""
    errors: dict[str, str] = {}
    secret = _check_password(errors, password, personal=_personal_of(user))
    raise_if(errors)
    _store_password(user, secret, None)


def _personal_of(user: User) -> tuple[object, ...]:
    return (user.username, user.email, user.display_name)


def _store_password(user: User, secret: str, keep_session: str | None) -> None:
    """Save a checked password; end the other sign-ins and the API tokens made
    with the old one."""
    user.password_hash = hash_password(secret)
    sessions.end_access(user, keep=keep_session)
    db.session.commit()


def find_by_username(username: str) -> User:
    """Return the user with this username (any case). Raises NotFound."""
    user = db.session.scalars(
        select(User).where(func.lower(User.username) == username.lower())
    ).first()
    if user is None:
        raise NotFound(f"No user named {username!r}.")
    return user


def set_role(username: str, role: str) -> User:
    """Make a user staff or an ordinary user. Raises NotFound or ValidationError."""
    if role not in (ROLE_USER, ROLE_STAFF):
        raise ValidationError({"role": "Role must be 'user' or 'staff'."})
    user = find_by_username(username)
    user.role = role
    db.session.commit()
    return user


USER_PERIODS = ("all", "month", "week")
# "month" and "week" are rolling windows ending now, so a tab is never empty
# just because a calendar period has only begun.
PERIOD_DAYS = {"month": 30, "week": 7}


def list_users_with_gain(page: int, per_page: int, period: str = "all") -> Page:
    """Rows of (user, gain): by reputation, or by reputation gained in a period.

    ``period`` all (gain is None; order by total reputation), month (the last
    30 days) or week (the last 7 days): gains are summed from the ledger, users
    without events gain 0; ties go to higher reputation, then lower id.
    Raises BadRequest for another period.
    """
    if period not in USER_PERIODS:
        raise BadRequest(
            f"period must be one of {', '.join(USER_PERIODS)}.",
            {"period": str(period)[:50]},
        )
    if period == "all":
        stmt = select(User, null()).order_by(User.reputation.desc(), User.id)
    else:
        since = utcnow() - timedelta(days=PERIOD_DAYS[period])
        gains = reputation.gains_since(since).subquery()
        gain = func.coalesce(gains.c.gain, 0)
        stmt = (
            select(User, gain)
            .outerjoin(gains, gains.c.user_id == User.id)
            .order_by(gain.desc(), User.reputation.desc(), User.id)
        )
    return paginate(stmt, page, per_page, scalars=False)


def list_users(page: int, per_page: int, period: str = "all") -> Page:
    """Users in the order of ``list_users_with_gain``. Raises BadRequest."""
    result = list_users_with_gain(page, per_page, period)
    users = [user for user, _gain in result.items]
    return Page(users, result.page, result.per_page, result.total)
