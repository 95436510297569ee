"""OpenAPI 3.1 components of the API description: schemas, parameters, errors."""

from forum.search import SORTS
from forum.services.users import USER_PERIODS


def ref(name: str) -> dict:
    """A reference to a schema."""
    return {"$ref": f"#/components/schemas/{name}"}


def nullable(type_name: str, **extra) -> dict:
    """A schema of ``type_name`` or null."""
    return {"type": [type_name, "null"], **extra}


TIME = {"type": "string", "format": "date-time", "examples": ["2026-11-24T10:15:00Z"]}
ID_SCHEMA = {"type": "integer", "minimum": 1, "maximum": 2147483647}
TEXT = {"type": "string"}
VOTE = {"type": "integer", "enum": [-1, 0, 1]}


def _object(properties: dict, optional: tuple = (), description: str = "") -> dict:
    schema = {
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


USER_SUMMARY = _object(
    {
        "id": ID_SCHEMA,
        "username": TEXT,
        "display_name": TEXT,
        "reputation": {"type": "integer"},
    },
)
OWNER = {"anyOf": [ref("UserSummary"), {"type": "null"}]}
SOURCE = {**ref("Source"), "description": "Only on imported posts."}

SCHEMAS = {
    "Error": _object(
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
    ),
    "ListEnvelope": _object(
        {
            "items": {"type": "array"},
            "page": {"type": "integer", "minimum": 1},
            "per_page": {"type": "integer", "minimum": 1, "maximum": 100},
            "total": {"type": "integer", "minimum": 0},
            "has_more": {"type": "boolean"},
        }
    ),
    "UserSummary": USER_SUMMARY,
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
                {k: {"type": "integer"} for k in ("gold", "silver", "bronze")},
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
            "body_markdown": TEXT,
            "body_html": {"type": "string", "description": "Rendered, sanitised."},
            "tags": {"type": "array", "items": TEXT},
            "score": {"type": "integer"},
            "answer_count": {"type": "integer"},
            "view_count": {"type": "integer"},
            "accepted_answer_id": nullable("integer"),
            "accepted_by": {"enum": ["asker", "staff", None]},
            "is_closed": {"type": "boolean"},
            "closed_reason": nullable("string"),
            "duplicate_of": nullable("integer"),
            "owner": OWNER,
            "created_at": TIME,
            "last_activity_at": TIME,
            "source": SOURCE,
            "my_vote": {**VOTE, "description": "Only when authenticated."},
        },
        optional=("source", "my_vote"),
    ),
    "Answer": _object(
        {
            "id": ID_SCHEMA,
            "question_id": ID_SCHEMA,
            "body_markdown": TEXT,
            "body_html": TEXT,
            "score": {"type": "integer"},
            "is_accepted": {"type": "boolean"},
            "owner": OWNER,
            "created_at": TIME,
            "source": SOURCE,
            "my_vote": {**VOTE, "description": "Only when authenticated."},
        },
        optional=("source", "my_vote"),
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
            "body_markdown": TEXT,
            "body_html": TEXT,
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
            "tags": {"type": "array", "items": TEXT},
        }
    ),
    "Tag": _object({"name": TEXT, "question_count": {"type": "integer"}}),
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
            "delta": {"type": "integer"},
            "created_at": TIME,
            "reverses_id": nullable(
                "integer", description="The event this one undoes, if any."
            ),
        }
    ),
    "Token": _object({"token": {"type": "string", "description": "Shown once."}}),
    "VoteResult": _object({"score": {"type": "integer"}, "my_vote": VOTE}),
    "UserList": _list_of("User"),
    "QuestionList": _list_of("Question"),
    "RevisionList": _list_of("Revision"),
    "TagList": _list_of("Tag"),
    "ReputationEventList": _list_of("ReputationEvent"),
    "BadgeList": _list_of("Badge"),
}
QUESTION_SUMMARY = {
    "id": ID_SCHEMA,
    "title": TEXT,
    "tags": {"type": "array", "items": TEXT},
    "score": {"type": "integer"},
    "answer_count": {"type": "integer"},
    "accepted_answer_id": nullable("integer"),
}
SCHEMAS["SearchHit"] = _object(
    {
        **QUESTION_SUMMARY,
        "highlights": {
            "type": "array",
            "items": TEXT,
            "description": "HTML fragments: escaped text with <mark> around "
            "the matched words, nothing else.",
        },
        "answer_id": {**ID_SCHEMA, "description": "When found through an answer."},
    },
    optional=("answer_id",),
    description="A question summary (id is the question's) plus snippets.",
)
SCHEMAS["SimilarQuestion"] = _object(
    {**QUESTION_SUMMARY, "is_solved": {"type": "boolean"}},
    description="A question summary; is_solved: it has an accepted answer.",
)
SCHEMAS["SearchHitList"] = _list_of("SearchHit")
SCHEMAS["SimilarQuestionList"] = _list_of("SimilarQuestion")
SCHEMAS["AnswerDetail"] = {
    "allOf": [
        ref("Answer"),
        _object({"comments": {"type": "array", "items": ref("Comment")}}),
    ]
}
SCHEMAS["QuestionDetail"] = {
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
}


def _id_param(name: str, what: str) -> dict:
    return {
        "name": name,
        "in": "path",
        "required": True,
        "description": f"The {what}'s id.",
        "schema": ID_SCHEMA,
    }


PARAMETERS = {
    "PostId": _id_param("post_id", "question or answer"),
    "QuestionId": _id_param("question_id", "question"),
    "UserId": _id_param("user_id", "user"),
    "Page": {
        "name": "page",
        "in": "query",
        "description": "Page number, from 1.",
        "schema": {"type": "integer", "minimum": 1, "default": 1},
    },
    "PerPage": {
        "name": "per_page",
        "in": "query",
        "description": "Items per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 30},
    },
    "SearchQuery": {
        "name": "q",
        "in": "query",
        "description": "The search page's syntax: words (all must match), "
        '"exact phrase", -excluded, OR, [tag] or tag:x, user:NAME|ID, '
        "is:question, is:answer, is:solved, is:unsolved, answers:0, score:3, "
        "score:3.., created:2025-01..2025-06, closed:no. Unknown operators and "
        "stray quotes are read as words; over 300 characters is truncated. "
        "Empty: an empty list.",
        "schema": {"type": "string", "default": ""},
    },
    "SearchPerPage": {
        "name": "per_page",
        "in": "query",
        "description": "Hits per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 100, "default": 20},
    },
    "SearchSort": {
        "name": "sort",
        "in": "query",
        "description": "relevance also favours solved and high-scored questions.",
        "schema": {"type": "string", "enum": list(SORTS), "default": "relevance"},
    },
    "SimilarPerPage": {
        "name": "per_page",
        "in": "query",
        "description": "Questions per page.",
        "schema": {"type": "integer", "minimum": 1, "maximum": 10, "default": 10},
    },
    "Period": {
        "name": "period",
        "in": "query",
        "description": "all: by total reputation; month and week: by the "
        "reputation gained in the last 30 or 7 days (summed from the ledger).",
        "schema": {"type": "string", "enum": list(USER_PERIODS), "default": "all"},
    },
}

ERRORS = {
    400: (
        "BadRequest",
        "Malformed: bad JSON, not UTF-8, a bad parameter, or a "
        "cookie-session write without a valid X-CSRFToken header.",
    ),
    401: ("Unauthorized", "No or invalid credentials."),
    403: ("Forbidden", "Not allowed; the message says why."),
    404: ("NotFound", "No such thing, or it is deleted."),
    409: ("Conflict", "Clashes with existing data (a taken username or email)."),
    413: ("PayloadTooLarge", "The body is over 1 MB."),
    422: ("ValidationFailed", "Valid JSON, invalid values: see error.fields."),
}

RESPONSES = {
    name: {
        "description": description,
        "content": {"application/json": {"schema": ref("Error")}},
    }
    for name, description in ERRORS.values()
}

SECURITY_SCHEMES = {
    "bearer": {
        "type": "http",
        "scheme": "bearer",
        "description": "A token from POST /tokens. A browser session cookie also "
        "works, with the page's CSRF token in an X-CSRFToken header on writes.",
    }
}
