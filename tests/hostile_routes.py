"""Every route that takes text, found in the app's URL map, with the fields
to fill: the plan of the hostile-input test and of bench/hostile.py.

A route of the URL map is either in TEXT_ROUTES (its form or JSON fields and
the setting that limits each), in NO_TEXT (it takes no text), or a GET route
(every query parameter the views read, and its path's text parts, get the
hostile text). A route in none of them is sent every known field and shown
as unmapped, so that a new route is not forgotten.
"""

from collections.abc import Iterator
from dataclasses import dataclass, field
from urllib.parse import quote

from flask import Flask

from tests.factories import PASSWORD, make_comment, make_question, make_user

TAGS = "tags"  # TAGS_MAX tags of TAG_MAX_LENGTH characters, spaced
FORM, JSON = "form", "json"

_POST_FIELDS = {
    "title": "TITLE_MAX_LENGTH",
    "body": "BODY_MAX_LENGTH",
    "tags": TAGS,
}
_EDIT_FIELDS = {**_POST_FIELDS, "summary": "EDIT_SUMMARY_MAX_LENGTH"}
# Synonyms have no setting of their own (60 characters): sent longer than that.
_SYNONYM_FIELDS = {"term": "TITLE_MAX_LENGTH", "replacement": "TITLE_MAX_LENGTH"}
_SIGNUP_FIELDS = {
    "username": "USERNAME_MAX_LENGTH",
    "email": "EMAIL_MAX_LENGTH",
    "password": "PASSWORD_MAX_LENGTH",
}

# (endpoint, method) -> (encoding, {field: the setting limiting it}).
TEXT_ROUTES: dict[tuple[str, str], tuple[str, dict[str, str]]] = {
    ("questions.preview", "POST"): (FORM, {"body": "BODY_MAX_LENGTH"}),
    ("questions.ask", "POST"): (FORM, _POST_FIELDS),
    ("questions.answer", "POST"): (FORM, {"body": "ANSWER_MAX_LENGTH"}),
    ("questions.comment", "POST"): (FORM, {"body": "COMMENT_MAX_LENGTH"}),
    ("posts.edit", "POST"): (FORM, _EDIT_FIELDS),
    ("posts.edit_comment", "POST"): (FORM, {"body": "COMMENT_MAX_LENGTH"}),
    ("users.edit", "POST"): (
        FORM,
        {
            "display_name": "DISPLAY_NAME_MAX_LENGTH",
            "email": "EMAIL_MAX_LENGTH",
            "location": "LOCATION_MAX_LENGTH",
            "website": "WEBSITE_MAX_LENGTH",
            "about": "ABOUT_MAX_LENGTH",
        },
    ),
    ("users.password", "POST"): (
        FORM,
        {
            "current_password": "PASSWORD_MAX_LENGTH",
            "new_password": "PASSWORD_MAX_LENGTH",
            "confirm_password": "PASSWORD_MAX_LENGTH",
        },
    ),
    ("auth.signup", "POST"): (FORM, _SIGNUP_FIELDS),
    ("auth.login", "POST"): (
        FORM,
        {"login": "EMAIL_MAX_LENGTH", "password": "PASSWORD_MAX_LENGTH"},
    ),
    ("admin.synonyms_page", "POST"): (FORM, _SYNONYM_FIELDS),
    ("api.create_synonym", "POST"): (JSON, _SYNONYM_FIELDS),
    ("api.create_question", "POST"): (JSON, _POST_FIELDS),
    ("api.edit_post", "PATCH"): (JSON, _EDIT_FIELDS),
    ("api.create_answer", "POST"): (JSON, {"body": "ANSWER_MAX_LENGTH"}),
    ("api.create_comment", "POST"): (JSON, {"body": "COMMENT_MAX_LENGTH"}),
    ("api.create_user", "POST"): (JSON, _SIGNUP_FIELDS),
    ("api.create_token", "POST"): (
        JSON,
        {
            "username": "USERNAME_MAX_LENGTH",
            "password": "PASSWORD_MAX_LENGTH",
            "name": "API_TOKEN_NAME_MAX_LENGTH",
        },
    ),
}

# Routes that take no text (ids and buttons only), and files.
NO_TEXT = {
    "posts.delete",
    "posts.undelete",
    "posts.delete_comment",
    "votes.vote",
    "votes.accept",
    "auth.logout",
    "api.delete_post",
    "api.vote",
    "api.set_accepted_answer",
    "api.revoke_token",
    "api.revoke_token_by_id",
    "users.revoke_api_token",
    "admin.delete_synonym",
    "api.delete_synonym",
    "static",
}

# Routes whose text would sign the session out or in as someone else: sent
# without the session.
ANONYMOUS = {"auth.signup", "auth.login", "api.create_user", "api.create_token"}

# Query parameters the views read (the GET routes get all of them).
QUERY_PARAMETERS = ("q", "sort", "period", "solved", "next", "tag", "title", "body")
QUERY_LIMIT = 2000  # characters of a query parameter (URLs stay under 8 kB quoted)
PATH_TEXT_LIMIT = 200

# Valid values of the fields not under attack.
VALID = {
    "title": "Printer shows offline after every reboot",
    "body": "Since yesterday the printer shows as offline in the print queue.",
    "tags": "printer",
    "summary": "more detail",
    "display_name": "Owner",
    "email": "owner@example.com",
    "location": "Lyon",
    "website": "https://example.com",
    "about": "I fix printers.",
    "current_password": "not the password",
    "new_password": "another long password",
    "confirm_password": "another long password",
    "username": "newcomer",
    "login": "nobody",
    "password": PASSWORD,
    "name": "laptop script",
    "term": "bsod",
    "replacement": "blue screen",
}

# Which fixture an int path argument names.
_ID_FIXTURES = {
    "post_id": "question",
    "question_id": "question",
    "user_id": "owner",
    "comment_id": "comment",
    "source_id": "question",
}


@dataclass
class Request:
    """One request of the plan."""

    route: str  # "METHOD rule"
    method: str
    path: str
    form: dict[str, str] | None = None
    json: dict[str, str] | None = None
    anonymous: bool = False
    query: dict[str, str] = field(default_factory=dict)


def make_fixtures() -> dict:
    """A staff owner (exempt from privileges and new-user limits, with the
    reputation to be past them too) with a question and a comment;
    call inside an app context. Returns ids and the owner's username."""
    owner = make_user(staff=True, reputation=1000, username="hostile_owner")
    question = make_question(owner)
    comment = make_comment(question, owner)
    return {
        "owner": owner.id,
        "question": question.id,
        "comment": comment.id,
        "email": owner.email,
    }


def limit_of(app: Flask, setting: str) -> int:
    """The length a field may have."""
    if setting == TAGS:
        config = app.config
        return config["TAGS_MAX"] * (config["TAG_MAX_LENGTH"] + 1) - 1
    return int(app.config[setting])


def _path(rule, fixtures: dict, text: str) -> str:
    """The rule's path: fixture ids for int arguments, the text for others."""
    values = {}
    for name in rule.arguments:
        if name in _ID_FIXTURES:
            values[name] = str(fixtures[_ID_FIXTURES[name]])
        else:
            values[name] = quote(text[:PATH_TEXT_LIMIT] or "x", safe="")
    path = rule.rule
    for name, value in values.items():
        path = _replace_argument(path, name, value)
    return path


def _replace_argument(path: str, name: str, value: str) -> str:
    """path with its ``<converter:name>`` or ``<name>`` part replaced."""
    start = path.find("<")
    while start != -1:
        end = path.index(">", start)
        if path[start + 1 : end].rsplit(":", 1)[-1] == name:
            return path[:start] + value + path[end + 1 :]
        start = path.find("<", end)
    return path


def unmapped(app: Flask) -> list[str]:
    """Routes taking a body that the plan does not know (sent every field)."""
    found = []
    for rule in app.url_map.iter_rules():
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            key = (rule.endpoint, method)
            if key not in TEXT_ROUTES and rule.endpoint not in NO_TEXT:
                found.append(f"{method} {rule.rule}")
    return found


def plan(app: Flask, fixtures: dict, text_of) -> Iterator[Request]:
    """Every request of one family: ``text_of(limit)`` gives its text at a
    length. Writes first (one field under attack at a time), then pages."""
    rules = sorted(app.url_map.iter_rules(), key=lambda r: r.rule)
    everything = {name: "BODY_MAX_LENGTH" for name in VALID}
    for rule in rules:
        if rule.endpoint in NO_TEXT:
            continue
        for method in sorted((rule.methods or set()) - {"GET", "HEAD", "OPTIONS"}):
            encoding, fields = TEXT_ROUTES.get(
                (rule.endpoint, method), (FORM, everything)
            )
            path = _path(rule, fixtures, "x")
            for name, setting in fields.items():
                values = {key: VALID[key] for key in fields}
                if rule.endpoint == "users.edit":
                    values["email"] = fixtures["email"]
                values[name] = text_of(limit_of(app, setting))
                yield Request(
                    route=f"{method} {rule.rule}",
                    method=method,
                    path=path,
                    form=values if encoding == FORM else None,
                    json=values if encoding == JSON else None,
                    anonymous=rule.endpoint in ANONYMOUS,
                )
    for rule in rules:
        if rule.endpoint in NO_TEXT or "GET" not in (rule.methods or set()):
            continue
        query = {name: text_of(QUERY_LIMIT) for name in QUERY_PARAMETERS}
        yield Request(
            route=f"GET {rule.rule}",
            method="GET",
            path=_path(rule, fixtures, text_of(PATH_TEXT_LIMIT)),
            query=query,
        )
