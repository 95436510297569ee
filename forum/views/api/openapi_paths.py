"""OpenAPI operations: how one is described, and the accounts, questions and
posts paths (the writing side of the API).

Texts that state a limit (lengths, counts) read it from the app's config.
"""

from collections.abc import Mapping
from typing import Any

from forum.services.posts import DELETE_REASONS
from forum.services.questions import SORTS
from forum.views.api.openapi_schemas import ERROR_NAMES, ID_SCHEMA, TEXT, ref

WRITE_ERRORS = (400, 401, 413, 422)
# Operations under a rate limit (forum/views/limits.py) also answer 429.
RATE_LIMITED = 429
UNAVAILABLE = 503


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def json_response(schema: dict, description: str) -> dict:
    """A response whose JSON body has ``schema``."""
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


def body_schema(properties: dict, required: tuple = (), optional_body=False) -> dict:
    """A JSON object request body."""
    return _body(properties, required, optional_body)


def _body(properties: dict, required: tuple = (), optional_body=False) -> dict:
    return {
        "required": not optional_body,
        "content": {
            "application/json": {
                "schema": {
                    "type": "object",
                    "required": list(required),
                    "properties": properties,
                }
            }
        },
    }


def operation(
    summary: str,
    tag: str,
    ok: tuple[int, dict | None, str],
    errors: tuple = (),
    params: tuple = (),
    body: dict | None = None,
    auth: bool = False,
    description: str = "",
) -> dict:
    """One operation: its success ``ok`` (status, schema, what), errors, input."""
    status, schema, what = ok
    responses = {
        str(status): json_response(schema, what) if schema else {"description": what}
    }
    # Every operation reads the database, which may be down for a moment.
    for code in sorted({*errors, UNAVAILABLE}):
        responses[str(code)] = {"$ref": f"#/components/responses/{ERROR_NAMES[code]}"}
    op: dict[str, Any] = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = [_param(p) if isinstance(p, str) else p for p in params]
    if body is not None:
        op["requestBody"] = body
    if auth:
        op["security"] = [{"bearer": []}]
    return op


def query_param(name: str, schema: dict, description: str, **extra) -> dict:
    """A query-string parameter."""
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema,
        **extra,
    }


def _lengths(config: Mapping[str, Any], field: str) -> str:
    """Text such as "15-150 characters" from FIELD_MIN_LENGTH and FIELD_MAX_LENGTH."""
    low, high = config[f"{field}_MIN_LENGTH"], config[f"{field}_MAX_LENGTH"]
    return f"{low:,}-{high:,} characters"


def _tags_input(config: Mapping[str, Any]) -> dict:
    return {
        "description": f"{config['TAGS_MIN']}-{config['TAGS_MAX']} tag names of at "
        f"most {config['TAG_MAX_LENGTH']} characters; a string separated by spaces "
        "or commas is also accepted. Unknown tags are created.",
        "oneOf": [{"type": "array", "items": TEXT}, TEXT],
    }


def account_paths(config: Mapping[str, Any]) -> dict:
    """Users, their reputation, and tokens."""
    return {
        "/users": {
            "get": operation(
                "List users by reputation",
                "users",
                (200, ref("UserList"), "Users."),
                errors=(400,),
                params=("Period", "Page", "PerPage"),
            ),
            "post": operation(
                "Register",
                "users",
                (201, ref("User"), "The new user (with email)."),
                errors=(400, 409, 413, 422, RATE_LIMITED),
                body=_body(
                    {"username": TEXT, "email": TEXT, "password": TEXT},
                    ("username", "email", "password"),
                ),
                description=f"Username {config['USERNAME_MIN_LENGTH']}-"
                f"{config['USERNAME_MAX_LENGTH']} of [A-Za-z0-9._-]; password at "
                f"least {config['PASSWORD_MIN_LENGTH']} characters. Sets Location "
                "to the user.",
            ),
        },
        "/users/{user_id}": {
            "get": operation(
                "Get a user",
                "users",
                (200, ref("User"), "The user."),
                errors=(404,),
                params=("UserId",),
            ),
        },
        "/users/{user_id}/reputation": {
            "get": operation(
                "List a user's reputation events",
                "users",
                (200, ref("ReputationEventList"), "Events, newest first."),
                errors=(400, 404),
                params=("UserId", "Page", "PerPage"),
                description="The append-only ledger: undoing something adds an "
                "event whose reverses_id names the original and whose delta is its "
                "negation. reputation = max(1, 1 + the sum of all deltas).",
            ),
        },
        "/tokens": {
            "get": operation(
                "List my tokens",
                "tokens",
                (200, ref("TokenList"), "Unrevoked, unexpired tokens, newest first."),
                errors=(401,),
                auth=True,
                description="Never returns a token's secret.",
            ),
            "post": operation(
                "Get a bearer token",
                "tokens",
                (201, ref("Token"), "A new token."),
                errors=(400, 401, 413, 422, RATE_LIMITED),
                body=_body(
                    {
                        "username": {**TEXT, "description": "Username or email."},
                        "password": TEXT,
                        "name": {
                            **TEXT,
                            "maxLength": config["API_TOKEN_NAME_MAX_LENGTH"],
                            "description": "An optional label for the token list.",
                        },
                    },
                    ("username", "password"),
                ),
                description=f"The token expires {config['API_TOKEN_DAYS']} days "
                "after it is issued; an expired one is refused with 401 "
                "invalid_token. A password change revokes all the user's tokens.",
            ),
        },
        "/tokens/{token_id}": {
            "delete": operation(
                "Revoke one of my tokens",
                "tokens",
                (204, None, "Revoked."),
                errors=(401, 404),
                params=("TokenId",),
                auth=True,
                description="404 for another user's token, or one already revoked.",
            ),
        },
        "/tokens/current": {
            "delete": operation(
                "Revoke this token",
                "tokens",
                (204, None, "Revoked."),
                errors=(401,),
                auth=True,
            ),
        },
    }


def question_paths(config: Mapping[str, Any]) -> dict:
    """Questions, answers and the accepted answer."""
    title = f"{_lengths(config, 'TITLE')}."
    body = f"Markdown, {_lengths(config, 'BODY')}."
    answer = f"Markdown, {_lengths(config, 'ANSWER')}."
    return {
        "/questions": {
            "get": operation(
                "List questions",
                "questions",
                (200, ref("QuestionList"), "Questions, closed ones included."),
                errors=(400,),
                params=(
                    query_param(
                        "sort",
                        {"type": "string", "enum": list(SORTS), "default": "newest"},
                        "unanswered lists questions without answers, newest first.",
                    ),
                    query_param(
                        "tag",
                        {"type": "array", "items": TEXT},
                        "Repeatable; all must match. An unknown tag gives an "
                        "empty list.",
                        style="form",
                        explode=True,
                    ),
                    query_param(
                        "solved",
                        {"type": "boolean"},
                        "true: with an accepted answer; false: without.",
                    ),
                    "Page",
                    "PerPage",
                ),
            ),
            "post": operation(
                "Ask a question",
                "questions",
                (201, ref("Question"), "The question; Location points at it."),
                errors=(*WRITE_ERRORS, RATE_LIMITED),
                auth=True,
                body=_body(
                    {
                        "title": {**TEXT, "description": title},
                        "body": {**TEXT, "description": body},
                        "tags": _tags_input(config),
                    },
                    ("title", "body", "tags"),
                ),
            ),
        },
        "/questions/{question_id}": {
            "get": operation(
                "Get a question with answers and comments",
                "questions",
                (200, ref("QuestionDetail"), "The question."),
                errors=(404,),
                params=("QuestionId",),
                description="Reading through the API does not count as a view.",
            ),
        },
        "/questions/{question_id}/answers": {
            "post": operation(
                "Answer a question",
                "questions",
                (201, ref("Answer"), "The answer."),
                errors=(*WRITE_ERRORS, 403, 404, RATE_LIMITED),
                auth=True,
                params=("QuestionId",),
                body=_body({"body": {**TEXT, "description": answer}}, ("body",)),
                description="403 when the question is closed.",
            ),
        },
        "/questions/{question_id}/accepted-answer": {
            "put": operation(
                "Accept an answer, or un-accept",
                "questions",
                (200, ref("Question"), "The question."),
                errors=(*WRITE_ERRORS, 403, 404),
                auth=True,
                params=("QuestionId",),
                body=_body(
                    {"answer_id": {"anyOf": [ID_SCHEMA, {"type": "null"}]}},
                    ("answer_id",),
                ),
                description="The asker or staff; accepted_by says which.",
            ),
        },
    }


def post_paths(config: Mapping[str, Any]) -> dict:
    """Editing, deleting, revisions, comments and votes on any post."""
    summary = f"At most {config['EDIT_SUMMARY_MAX_LENGTH']} characters."
    comment = f"{_lengths(config, 'COMMENT')}."
    return {
        "/posts/{post_id}": {
            "patch": operation(
                "Edit a question or answer",
                "posts",
                (200, {"oneOf": [ref("Question"), ref("Answer")]}, "The edited post."),
                errors=(*WRITE_ERRORS, 403, 404, RATE_LIMITED),
                auth=True,
                params=("PostId",),
                body=_body(
                    {
                        "title": TEXT,
                        "body": TEXT,
                        "tags": _tags_input(config),
                        "summary": {**TEXT, "description": summary},
                    }
                ),
                description="Owner or staff. Omitted fields keep their value; the "
                "edit is saved as a new revision. Titles and tags are for questions "
                "only. An edit that changes nothing is a 422.",
            ),
            "delete": operation(
                "Delete a question or answer",
                "posts",
                (204, None, "Deleted."),
                errors=(*WRITE_ERRORS, 403, 404),
                auth=True,
                params=("PostId",),
                body=_body(
                    {"reason": {"type": "string", "enum": list(DELETE_REASONS)}},
                    optional_body=True,
                ),
                description="Soft delete. Owners delete answers and questions without "
                "answers; staff delete anything, and only staff give spam or "
                "offensive as the reason.",
            ),
        },
        "/posts/{post_id}/revisions": {
            "get": operation(
                "List a post's revisions",
                "posts",
                (200, ref("RevisionList"), "Revisions, number 1 (the original) first."),
                errors=(400, 404),
                params=("PostId", "Page", "PerPage"),
            ),
        },
        "/posts/{post_id}/comments": {
            "post": operation(
                "Comment on a post",
                "posts",
                (201, ref("Comment"), "The comment."),
                errors=(*WRITE_ERRORS, 403, 404, RATE_LIMITED),
                auth=True,
                params=("PostId",),
                body=_body({"body": {**TEXT, "description": comment}}, ("body",)),
            ),
        },
        "/posts/{post_id}/vote": {
            "put": operation(
                "Vote on a post",
                "posts",
                (200, ref("VoteResult"), "The new score."),
                errors=(*WRITE_ERRORS, 403, 404, RATE_LIMITED),
                auth=True,
                params=("PostId",),
                body=_body(
                    {
                        "value": {
                            "type": "integer",
                            "enum": [1, -1, 0],
                            "description": "0 withdraws the vote.",
                        }
                    },
                    ("value",),
                ),
                description="Not on your own posts.",
            ),
        },
    }
