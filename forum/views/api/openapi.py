"""GET /openapi.json: the OpenAPI 3.1 description of exactly these endpoints.

A test compares its paths with the app's URL map so the two cannot drift.
"""

from collections.abc import Mapping
from typing import Any

from flask import current_app

from forum.views.api import bp
from forum.views.api.openapi_paths import (
    RATE_LIMITED,
    WRITE_ERRORS,
    account_paths,
    body_schema,
    json_response,
    operation,
    post_paths,
    query_param,
    question_paths,
)
from forum.views.api.openapi_schemas import (
    SECURITY_SCHEMES,
    TEXT,
    error_responses,
    parameters,
    ref,
    schemas,
)
from forum.views.api.search import SIMILAR_BODY_LENGTH, SIMILAR_MAX
from forum.views.helpers import size_text


def document(config: Mapping[str, Any]) -> dict:
    """The whole description, its limits read from ``config``."""
    return _with_idempotency(_document(config))


def _with_idempotency(described: dict) -> dict:
    """Every write that needs credentials takes an Idempotency-Key (and may
    answer 409 and 422 for it)."""
    for ops in described["paths"].values():
        for method, op in ops.items():
            if method in ("post", "put", "patch", "delete") and "security" in op:
                op.setdefault("parameters", []).append(
                    {"$ref": "#/components/parameters/IdempotencyKey"}
                )
                for code, name in ((409, "Conflict"), (422, "ValidationFailed")):
                    op["responses"].setdefault(
                        str(code), {"$ref": f"#/components/responses/{name}"}
                    )
    return described


def _document(config: Mapping[str, Any]) -> dict:
    """The description before the Idempotency-Key is added to the writes."""
    return {
        "openapi": "3.1.0",
        "info": {
            "title": "forum API",
            "version": "1",
            "description": "The JSON API of the forum. Bodies are JSON objects in "
            f"UTF-8 (at most {size_text(config['MAX_CONTENT_LENGTH'])}); times are "
            "ISO 8601 UTC. Errors always have the Error shape. Anonymous callers "
            "may read; writes need a bearer token.",
        },
        "servers": [{"url": "/api/v1"}],
        "security": [{}, {"bearer": []}],
        "paths": {
            **account_paths(config),
            **question_paths(config),
            **post_paths(config),
            **_list_paths(),
            **_synonym_paths(),
        },
        "components": {
            "schemas": schemas(config),
            "parameters": parameters(config),
            "responses": error_responses(config),
            "securitySchemes": SECURITY_SCHEMES,
        },
    }


def _list_paths() -> dict:
    """Tags, badges, search, similar questions and this description."""
    return {
        "/tags": {
            "get": operation(
                "List tags",
                "tags",
                (200, ref("TagList"), "Tags in use."),
                errors=(400,),
                params=(
                    query_param(
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
            "get": operation(
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
            "get": operation(
                "Search questions and answers",
                "search",
                (200, ref("SearchHitList"), "Hits; total may be an estimate."),
                errors=(400, RATE_LIMITED),
                params=("SearchQuery", "SearchSort", "Page", "SearchPerPage"),
            ),
        },
        "/similar": {
            "get": operation(
                "Questions similar to a draft",
                "search",
                (
                    200,
                    ref("SimilarQuestionList"),
                    f"At most {SIMILAR_MAX}, most similar first.",
                ),
                errors=(400, RATE_LIMITED),
                params=(
                    query_param(
                        "title", TEXT, "The draft's title; empty: an empty list."
                    ),
                    query_param(
                        "body",
                        TEXT,
                        "Optional: the draft's body (its first "
                        f"{SIMILAR_BODY_LENGTH} characters are read).",
                    ),
                    "Page",
                    "SimilarPerPage",
                ),
            ),
        },
        "/openapi.json": {
            "get": {
                "summary": "This description",
                "tags": ["meta"],
                "responses": {"200": json_response({"type": "object"}, "OpenAPI 3.1.")},
            },
        },
    }


def _synonym_paths() -> dict:
    """The synonyms staff keep for search and tagging."""
    staff = "Staff only: 401 without a token, 403 for anyone but staff."
    return {
        "/synonyms": {
            "get": operation(
                "List synonyms",
                "synonyms",
                (200, ref("SynonymList"), "Every synonym, by term."),
            ),
            "post": operation(
                "Add a synonym",
                "synonyms",
                (201, ref("Synonym"), "The new synonym."),
                errors=(*WRITE_ERRORS, 403),
                body=body_schema(
                    {
                        "term": {
                            **TEXT,
                            "description": "1-60 characters: up to 3 words or tag "
                            "names of lowercase letters, digits and + # . -",
                        },
                        "replacement": {
                            **TEXT,
                            "description": "What the term also means; same rules.",
                        },
                        "two_way": {"type": "boolean", "default": False},
                    },
                    ("term", "replacement"),
                ),
                auth=True,
                description=f"{staff} A listed pair is a 422. The change applies "
                "to the next search, without rebuilding the index.",
            ),
        },
        "/synonyms/{synonym_id}": {
            "delete": operation(
                "Delete a synonym",
                "synonyms",
                (204, None, "Deleted."),
                errors=(401, 403, 404),
                params=("SynonymId",),
                auth=True,
                description=staff,
            ),
        },
    }


@bp.get("/openapi.json")
def openapi_document():
    """The OpenAPI 3.1 description of this API."""
    return document(current_app.config)
