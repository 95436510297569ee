"""GET /openapi.json: the OpenAPI 3.1 description of exactly these endpoints.

A test compares its paths with the app's URL map so the two cannot drift.
"""

from forum.services.posts import DELETE_REASONS
from forum.services.questions import SORTS
from forum.views.api import bp
from forum.views.api.openapi_schemas import (
    ERRORS,
    ID_SCHEMA,
    PARAMETERS,
    RESPONSES,
    SCHEMAS,
    SECURITY_SCHEMES,
    ref,
)

TEXT = {"type": "string"}
WRITE_ERRORS = (400, 401, 413, 422)


def _param(name: str) -> dict:
    return {"$ref": f"#/components/parameters/{name}"}


def _json(schema: dict, description: str) -> dict:
    return {
        "description": description,
        "content": {"application/json": {"schema": schema}},
    }


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


def _op(
    summary: str,
    tag: str,
    ok: tuple[int, dict | None, str],
    errors: tuple = (),
    params: tuple = (),
    body: dict | None = None,
    auth: bool = False,
    description: str = "",
) -> dict:
    status, schema, what = ok
    responses = {str(status): _json(schema, what) if schema else {"description": what}}
    for code in sorted(set(errors)):
        responses[str(code)] = {"$ref": f"#/components/responses/{ERRORS[code][0]}"}
    op = {"summary": summary, "tags": [tag], "responses": responses}
    if description:
        op["description"] = description
    if params:
        op["parameters"] = [_param(p) if isinstance(p, str) else p for p in params]
    if body is not None:
        op["requestBody"] = body
    if auth:
        op["security"] = [{"bearer": []}]
    return op


def _query(name: str, schema: dict, description: str, **extra) -> dict:
    return {
        "name": name,
        "in": "query",
        "description": description,
        "schema": schema,
        **extra,
    }


TAGS_INPUT = {
    "description": "1-5 tag names; a string separated by spaces or commas is "
    "also accepted. Unknown tags are created.",
    "oneOf": [{"type": "array", "items": TEXT}, TEXT],
}

PATHS = {
    "/users": {
        "get": _op(
            "List users by reputation",
            "users",
            (200, ref("UserList"), "Users."),
            errors=(400,),
            params=("Period", "Page", "PerPage"),
        ),
        "post": _op(
            "Register",
            "users",
            (201, ref("User"), "The new user (with email)."),
            errors=(400, 409, 413, 422),
            body=_body(
                {"username": TEXT, "email": TEXT, "password": TEXT},
                ("username", "email", "password"),
            ),
            description="Username 3-30 of [A-Za-z0-9._-]; password at least 10 "
            "characters. Sets Location to the user.",
        ),
    },
    "/users/{user_id}": {
        "get": _op(
            "Get a user",
            "users",
            (200, ref("User"), "The user."),
            errors=(404,),
            params=("UserId",),
        ),
    },
    "/users/{user_id}/reputation": {
        "get": _op(
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
        "post": _op(
            "Get a bearer token",
            "tokens",
            (201, ref("Token"), "A new token."),
            errors=(400, 401, 413, 422),
            body=_body(
                {
                    "username": {**TEXT, "description": "Username or email."},
                    "password": TEXT,
                },
                ("username", "password"),
            ),
        ),
    },
    "/tokens/current": {
        "delete": _op(
            "Revoke this token",
            "tokens",
            (204, None, "Revoked."),
            errors=(401,),
            auth=True,
        ),
    },
    "/questions": {
        "get": _op(
            "List questions",
            "questions",
            (200, ref("QuestionList"), "Questions, closed ones included."),
            errors=(400,),
            params=(
                _query(
                    "sort",
                    {"type": "string", "enum": list(SORTS), "default": "newest"},
                    "unanswered lists questions without answers, newest first.",
                ),
                _query(
                    "tag",
                    {"type": "array", "items": TEXT},
                    "Repeatable; all must match. An unknown tag gives an empty list.",
                    style="form",
                    explode=True,
                ),
                _query(
                    "solved",
                    {"type": "boolean"},
                    "true: with an accepted answer; false: without.",
                ),
                "Page",
                "PerPage",
            ),
        ),
        "post": _op(
            "Ask a question",
            "questions",
            (201, ref("Question"), "The question; Location points at it."),
            errors=WRITE_ERRORS,
            auth=True,
            body=_body(
                {
                    "title": {**TEXT, "description": "15-150 characters."},
                    "body": {**TEXT, "description": "Markdown, 30-30,000."},
                    "tags": TAGS_INPUT,
                },
                ("title", "body", "tags"),
            ),
        ),
    },
    "/questions/{question_id}": {
        "get": _op(
            "Get a question with answers and comments",
            "questions",
            (200, ref("QuestionDetail"), "The question."),
            errors=(404,),
            params=("QuestionId",),
            description="Reading through the API does not count as a view.",
        ),
    },
    "/questions/{question_id}/answers": {
        "post": _op(
            "Answer a question",
            "questions",
            (201, ref("Answer"), "The answer."),
            errors=(*WRITE_ERRORS, 403, 404),
            auth=True,
            params=("QuestionId",),
            body=_body(
                {"body": {**TEXT, "description": "Markdown, 30-30,000."}}, ("body",)
            ),
            description="403 when the question is closed.",
        ),
    },
    "/questions/{question_id}/accepted-answer": {
        "put": _op(
            "Accept an answer, or un-accept",
            "questions",
            (200, ref("Question"), "The question."),
            errors=(*WRITE_ERRORS, 403, 404),
            auth=True,
            params=("QuestionId",),
            body=_body(
                {"answer_id": {"anyOf": [ID_SCHEMA, {"type": "null"}]}}, ("answer_id",)
            ),
            description="The asker or staff; accepted_by says which.",
        ),
    },
    "/posts/{post_id}": {
        "patch": _op(
            "Edit a question or answer",
            "posts",
            (200, {"oneOf": [ref("Question"), ref("Answer")]}, "The edited post."),
            errors=(*WRITE_ERRORS, 403, 404),
            auth=True,
            params=("PostId",),
            body=_body(
                {
                    "title": TEXT,
                    "body": TEXT,
                    "tags": TAGS_INPUT,
                    "summary": {**TEXT, "description": "At most 300 characters."},
                }
            ),
            description="Owner or staff. Omitted fields keep their value; the "
            "edit is saved as a new revision. Titles and tags are for questions "
            "only. An edit that changes nothing is a 422.",
        ),
        "delete": _op(
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
        "get": _op(
            "List a post's revisions",
            "posts",
            (200, ref("RevisionList"), "Revisions, number 1 (the original) first."),
            errors=(400, 404),
            params=("PostId", "Page", "PerPage"),
        ),
    },
    "/posts/{post_id}/comments": {
        "post": _op(
            "Comment on a post",
            "posts",
            (201, ref("Comment"), "The comment."),
            errors=(*WRITE_ERRORS, 403, 404),
            auth=True,
            params=("PostId",),
            body=_body(
                {"body": {**TEXT, "description": "15-600 characters."}}, ("body",)
            ),
        ),
    },
    "/posts/{post_id}/vote": {
        "put": _op(
            "Vote on a post",
            "posts",
            (200, ref("VoteResult"), "The new score."),
            errors=(*WRITE_ERRORS, 403, 404),
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
    "/tags": {
        "get": _op(
            "List tags",
            "tags",
            (200, ref("TagList"), "Tags in use."),
            errors=(400,),
            params=(
                _query(
                    "sort",
                    {
                        "type": "string",
                        "enum": ["popular", "name"],
                        "default": "popular",
                    },
                    "Order.",
                ),
                "Page",
                "PerPage",
            ),
        ),
    },
    "/badges": {
        "get": _op(
            "List badges",
            "badges",
            (200, ref("BadgeList"), "Every badge, as the /badges page lists them."),
            errors=(400,),
            params=("Page", "PerPage"),
            description="awarded_count counts every award (per-post badges "
            "can be earned once per post).",
        ),
    },
    "/search": {
        "get": _op(
            "Search questions and answers",
            "search",
            (200, ref("SearchHitList"), "Hits; total may be an estimate."),
            errors=(400,),
            params=("SearchQuery", "SearchSort", "Page", "SearchPerPage"),
        ),
    },
    "/similar": {
        "get": _op(
            "Questions similar to a draft",
            "search",
            (200, ref("SimilarQuestionList"), "At most 10, most similar first."),
            errors=(400,),
            params=(
                _query("title", TEXT, "The draft's title; empty: an empty list."),
                _query("body", TEXT, "Optional: the draft's body (first 500 chars)."),
                "Page",
                "SimilarPerPage",
            ),
        ),
    },
    "/openapi.json": {
        "get": {
            "summary": "This description",
            "tags": ["meta"],
            "responses": {"200": _json({"type": "object"}, "OpenAPI 3.1.")},
        },
    },
}

DOCUMENT = {
    "openapi": "3.1.0",
    "info": {
        "title": "forum API",
        "version": "1",
        "description": "The JSON API of the forum. Bodies are JSON objects in "
        "UTF-8 (at most 1 MB); times are ISO 8601 UTC. Errors always have the "
        "Error shape. Anonymous callers may read; writes need a bearer token.",
    },
    "servers": [{"url": "/api/v1"}],
    "security": [{}, {"bearer": []}],
    "paths": PATHS,
    "components": {
        "schemas": SCHEMAS,
        "parameters": PARAMETERS,
        "responses": RESPONSES,
        "securitySchemes": SECURITY_SCHEMES,
    },
}


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return DOCUMENT
