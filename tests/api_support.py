"""Helpers shared by the API tests (tests/test_api_*.py)."""

from sqlalchemy import func, select

from forum.extensions import db
from tests.factories import PASSWORD

API = "/api/v1"

# The exact keys of each resource shape (../shared/API.md).
QUESTION_KEYS = {
    "id",
    "title",
    "body_markdown",
    "body_html",
    "tags",
    "score",
    "answer_count",
    "view_count",
    "accepted_answer_id",
    "accepted_by",
    "is_closed",
    "closed_reason",
    "duplicate_of",
    "owner",
    "created_at",
    "last_activity_at",
}
ANSWER_KEYS = {
    "id",
    "question_id",
    "body_markdown",
    "body_html",
    "score",
    "is_accepted",
    "owner",
    "created_at",
}
COMMENT_KEYS = {"id", "post_id", "body_markdown", "body_html", "owner", "created_at"}
SUMMARY_KEYS = {"id", "username", "display_name", "reputation"}


def bearer(client, user) -> dict:
    """Get a token for ``user`` through the API; return the Authorization header."""
    response = client.post(
        f"{API}/tokens", json={"username": user.username, "password": PASSWORD}
    )
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}


def assert_error(response, status: int, code: str | None = None) -> dict:
    """Check an API error response and return its ``error`` object."""
    assert response.status_code == status, (response.status_code, response.data)
    assert response.mimetype == "application/json"
    error = response.json["error"]
    assert set(error) <= {"code", "message", "fields"}
    assert isinstance(error["message"], str) and error["message"]
    if code is not None:
        assert error["code"] == code, error
    return error


def count(model) -> int:
    """How many rows ``model`` has."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))
