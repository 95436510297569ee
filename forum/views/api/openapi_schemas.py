"""OpenAPI 3.1 components of the API description: schemas, parameters, errors.

Limits (list sizes, the body size, the query length) come from the app's
config and constants, so the description says what the app enforces.
"""

from collections.abc import Mapping
from typing import Any

from forum.search import SORTS
from forum.search.query import MAX_QUERY_LENGTH
from forum.services.users import USER_PERIODS
from forum.views.api.search import SIMILAR_MAX
from forum.views.helpers import size_text


def ref(name: str) -> dict:
    """A reference to a schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(type_name: str, **extra) -> dict:
    """A schema of ``type_name`` or null."""
    return {"type": [type_name, "null"], **extra}


TIME = {"type": "string", "format": "date-time", "examples": ["2026-11-24T10:15:00Z"]}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2147483647}
TEXT = {"type": "string"}
INTEGER = {"type": "integer"}
TAG_NAMES = {"type": "array", "items": TEXT}
VOTE = {"type": "integer", "enum": [-1, 0, 1]}


def _object(properties: dict, optional: tuple = (), description: str = "") -> dict:
    schema: dict[str, Any] = {
        "type": "object",
        "required": [name for name in properties if name not in optional],
        "properties": properties,
    }
    if description:
        schema["description"] = description
    return schema


def _list_of(item: str) -> dict:
    return {
        "allOf": [
            ref("ListEnvelope"),
            _object({"items": {"type": "array", "items": ref(item)}}),
        ]
    }


OWNER = {"anyOf": [ref("UserSummary"), {"type": "null"}]}
BODY = {
    "body_markdown": TEXT,
    "body_html": {"type": "string", "description": "Rendered, sanitised."},
}
# What only some posts and callers get: attribution and the caller's vote.
POST_EXTRAS = {
    "source": {**ref("Source"), "description": "Only on imported posts."},
    "my_vote": {**VOTE, "description": "Only when authenticated."},
}
QUESTION_SUMMARY = {
    "id": ID_SCHEMA,
    "title": TEXT,
    "tags": TAG_NAMES,
    "score": INTEGER,
    "answer_count": INTEGER,
    "accepted_answer_id": nullable("integer"),
}

ERROR = _object(
    {
        "error": _object(
            {
                "code": {
                    "type": "string",
                    "pattern": "^[a-z_]+$",
                    "examples": ["validation_failed"],
                },
                "message": {"type": "string"},
                "fields": {
                    "type": "object",
                    "additionalProperties": {"type": "string"},
                    "description": "What to fix, by field name.",
                },
            },
            optional=("fields",),
        )
    },
    description="Every error: a snake_case code and a human sentence.",
)

RESOURCES = {
    "UserSummary": _object(
        {
            "id": ID_SCHEMA,
            "username": TEXT,
            "display_name": TEXT,
            "reputation": INTEGER,
        },
    ),
    "User": _object(
        {
            "id": ID_SCHEMA,
            "username": TEXT,
            "display_name": TEXT,
            "role": {"type": "string", "enum": ["user", "staff"]},
            "reputation": {"type": "integer", "minimum": 1},
            "rank": {"type": "string", "description": "Named rank of the reputation."},
            "created_at": TIME,
            "badges": _object(
                {k: INTEGER for k in ("gold", "silver", "bronze")},
                description="How many badges of each class the user has earned.",
            ),
            "email": {"type": "string", "description": "Only for the user and staff."},
        },
        optional=("email",),
    ),
    "Question": _object(
        {
            "id": ID_SCHEMA,
            "title": TEXT,
            **BODY,
            "tags": TAG_NAMES,
            "score": INTEGER,
            "answer_count": INTEGER,
            "view_count": INTEGER,
            "accepted_answer_id": nullable("integer"),
            "accepted_by": {"enum": ["asker", "staff", None]},
            "is_closed": {"type": "boolean"},
            "closed_reason": nullable("string"),
            "duplicate_of": nullable("integer"),
            "owner": OWNER,
            "created_at": TIME,
            "last_activity_at": TIME,
            **POST_EXTRAS,
        },
        optional=tuple(POST_EXTRAS),
    ),
    "Answer": _object(
        {
            "id": ID_SCHEMA,
            "question_id": ID_SCHEMA,
            **BODY,
            "score": INTEGER,
            "is_accepted": {"type": "boolean"},
            "owner": OWNER,
            "created_at": TIME,
            **POST_EXTRAS,
        },
        optional=tuple(POST_EXTRAS),
    ),
    "Source": _object(
        {
            "site": TEXT,
            "url": {"type": "string", "description": "The post's original address."},
            "license": {"type": "string", "examples": ["CC BY-SA 4.0"]},
            "license_url": nullable("string"),
            "author": nullable("string", description="The author's name there."),
            "author_url": nullable("string", description="Their profile there."),
        },
        description="Attribution of an imported post (CC BY-SA).",
    ),
    "Comment": _object(
        {
            "id": ID_SCHEMA,
            "post_id": ID_SCHEMA,
            **BODY,
            "owner": OWNER,
            "created_at": TIME,
        },
    ),
    "Revision": _object(
        {
            "id": ID_SCHEMA,
            "post_id": ID_SCHEMA,
            "number": {"type": "integer", "minimum": 1},
            "author": OWNER,
            "created_at": TIME,
            "summary": TEXT,
            "title": nullable("string", description="Questions only."),
            "body_markdown": TEXT,
            "tags": TAG_NAMES,
        }
    ),
    "Tag": _object({"name": TEXT, "question_count": INTEGER}),
    "Synonym": _object(
        {
            "id": ID_SCHEMA,
            "term": TEXT,
            "replacement": TEXT,
            "two_way": {"type": "boolean"},
            "created_at": TIME,
        },
        description="A search and tagging synonym: a search for term also finds "
        "replacement (and the other way round when two_way); a question tagged "
        "with a one-way term tag gets the replacement tag.",
    ),
    "SynonymList": _object(
        {"items": {"type": "array", "items": ref("Synonym")}},
        description="Every synonym, by term (not paged: staff keep a short list).",
    ),
    "Badge": _object(
        {
            "name": TEXT,
            "class": {"type": "string", "enum": ["gold", "silver", "bronze"]},
            "description": TEXT,
            "awarded_count": {"type": "integer", "minimum": 0},
        }
    ),
    "ReputationEvent": _object(
        {
            "id": ID_SCHEMA,
            "user_id": ID_SCHEMA,
            "post_id": nullable("integer"),
            "kind": {"type": "string", "examples": ["answer_upvoted"]},
            "delta": INTEGER,
            "created_at": TIME,
            "reverses_id": nullable(
                "integer", description="The event this one undoes, if any."
            ),
        }
    ),
    "TokenInfo": _object(
        {
            "id": ID_SCHEMA,
            "name": {"type": "string", "description": "The label given, or empty."},
            "created_at": TIME,
            "expires_at": TIME,
            "last_used_at": nullable(
                "string",
                format="date-time",
                description="Noted at most every few minutes; null if never used.",
            ),
        },
        description="A token's description; never its secret.",
    ),
    "Token": {
        "allOf": [
            _object({"token": {"type": "string", "description": "Shown once."}}),
            ref("TokenInfo"),
        ]
    },
    "TokenList": _object({"items": {"type": "array", "items": ref("TokenInfo")}}),
    "VoteResult": _object({"score": INTEGER, "my_vote": VOTE}),
    "SearchHit": _object(
        {
            **QUESTION_SUMMARY,
            "highlights": {
                "type": "array",
                "items": TEXT,
                "description": "HTML fragments: escaped text with <mark> around "
                "the matched words, nothing else.",
            },
            "answer_id": {**ID_SCHEMA, "description": "When found through an answer."},
            "match": {
                "type": "string",
                "enum": ["all", "some"],
                "description": "all: the thread holds every word of the query; "
                "some: a partial match, listed after every full match (plain "
                "words only, never a query with operators); with the sentence "
                "model, also a question close in meaning to the words.",
            },
        },
        optional=("answer_id",),
        description="A question summary (id is the question's) plus snippets.",
    ),
    "SimilarQuestion": _object(
        {**QUESTION_SUMMARY, "is_solved": {"type": "boolean"}},
        description="A question summary; is_solved: it has an accepted answer.",
    ),
    "AnswerDetail": {
        "allOf": [
            ref("Answer"),
            _object({"comments": {"type": "array", "items": ref("Comment")}}),
        ]
    },
    "QuestionDetail": {
        "allOf": [
            ref("Question"),
            _object(
                {
                    "answers": {
                        "type": "array",
                        "items": ref("AnswerDetail"),
                        "description": "Accepted first, then by score, then oldest.",
                    },
                    "comments": {"type": "array", "items": ref("Comment")},
                }
            ),
        ]
    },
    **{
        f"{item}List": _list_of(item)
        for item in (
            "User",
            "Question",
            "Revision",
            "Tag",
            "ReputationEvent",
            "Badge",
            "SearchHit",
            "SimilarQuestion",
        )
    },
}


def schemas(config: Mapping[str, Any]) -> dict:
    """Every schema: errors, the list envelope (page size from config), resources."""
    envelope = _object(
        {
            "items": {"type": "array"},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {
                "type": "integer",
                "minimum": 1,
                "maximum": config["API_MAX_PER_PAGE"],
            },
            "total": {"type": "integer", "minimum": 0},
            "has_more": {"type": "boolean"},
        }
    )
    return {"Error": ERROR, "ListEnvelope": envelope, **RESOURCES}


def _id_param(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": ID_SCHEMA,
    }


def _per_page(what: str, default: int, maximum: int) -> dict:
    return {
        "name": "per_page",
        "in": "query",
        "description": f"{what} per page.",
        "schema": {
            "type": "integer",
            "minimum": 1,
            "maximum": maximum,
            "default": default,
        },
    }


def parameters(config: Mapping[str, Any]) -> dict:
    """The shared parameters, their sizes from config."""
    most = config["API_MAX_PER_PAGE"]
    return {
        "IdempotencyKey": {
            "name": "Idempotency-Key",
            "in": "header",
            "required": False,
            "description": "Any string of 1 to 200 characters, new per write: a "
            "retry with the same key (same method, path and body) gets the first "
            "2xx response again, marked Idempotent-Replayed: true, instead of "
            "writing twice; another request under a used key is a 422, a retry "
            "while the first has not answered a 409. Kept "
            f"{config['IDEMPOTENCY_KEY_HOURS']} hours; needs credentials.",
            "schema": {"type": "string", "minLength": 1, "maxLength": 200},
        },
        "PostId": _id_param("post_id", "question or answer"),
        "QuestionId": _id_param("question_id", "question"),
        "UserId": _id_param("user_id", "user"),
        "TokenId": _id_param("token_id", "token"),
        "SynonymId": _id_param("synonym_id", "synonym"),
        "Page": {
            "name": "page",
            "in": "query",
            "description": "Page number, from 1.",
            "schema": {"type": "integer", "minimum": 1, "default": 1},
        },
        "PerPage": _per_page("Items", config["API_PER_PAGE"], most),
        "SearchQuery": {
            "name": "q",
            "in": "query",
            "description": "The search page's syntax: words (all must match), "
            '"exact phrase", -excluded, OR, [tag] or tag:x, user:NAME|ID, '
            "is:question, is:answer, is:solved, is:unsolved, answers:0, score:3, "
            "score:3.., created:2025-01..2025-06, closed:no. Unknown operators and "
            f"stray quotes are read as words; over {MAX_QUERY_LENGTH} characters "
            "is truncated. Empty: an empty list.",
            "schema": {"type": "string", "default": ""},
        },
        "SearchPerPage": _per_page("Hits", config["SEARCH_PER_PAGE"], most),
        "SearchSort": {
            "name": "sort",
            "in": "query",
            "description": "relevance also favours solved and high-scored questions.",
            "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"},
        },
        "SimilarPerPage": _per_page("Questions", SIMILAR_MAX, SIMILAR_MAX),
        "Period": {
            "name": "period",
            "in": "query",
            "description": "all: by total reputation; month and week: by the "
            "reputation gained in the last 30 or 7 days (summed from the ledger).",
            "schema": {"type": "string", "enum": list(USER_PERIODS), "default": "all"},
        },
    }


# Status -> the name of its response in components/responses.
ERROR_NAMES = {
    400: "BadRequest",
    401: "Unauthorized",
    403: "Forbidden",
    404: "NotFound",
    409: "Conflict",
    413: "PayloadTooLarge",
    422: "ValidationFailed",
    429: "TooManyRequests",
    503: "ServiceUnavailable",
}


def error_responses(config: Mapping[str, Any]) -> dict:
    """One response per error status, each with the Error shape."""
    descriptions = {
        400: "Malformed: bad JSON, not UTF-8, a bad parameter, or a "
        "cookie-session write without a valid X-CSRFToken header.",
        401: "No or invalid credentials.",
        403: "Not allowed; the message says why.",
        404: "No such thing, or it is deleted.",
        409: "Clashes with existing data (a taken username or email).",
        413: f"The body is over {size_text(config['MAX_CONTENT_LENGTH'])}.",
        422: "Valid JSON, invalid values: see error.fields.",
        429: "Over a rate limit (per account or per client address; the "
        "message says which and how long to wait).",
        503: "The database is unreachable or busy for a moment; try again "
        "after Retry-After seconds. The message says whether the change was "
        "saved before it stopped answering.",
    }
    responses = {
        ERROR_NAMES[status]: {
            "description": description,
            "content": {"application/json": {"schema": ref("Error")}},
        }
        for status, description in descriptions.items()
    }
    responses["TooManyRequests"]["headers"] = {
        "Retry-After": {
            "description": "Seconds until the limit's window ends.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    responses["ServiceUnavailable"]["headers"] = {
        "Retry-After": {
            "description": "Seconds to wait before trying again.",
            "schema": {"type": "integer", "minimum": 1},
        }
    }
    return responses


SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /tokens. A browser session cookie also "
        "works, with the page's CSRF token in an X-CSRFToken header on writes.",
    }
}
