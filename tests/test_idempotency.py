"""API writes with an Idempotency-Key: a retry gets the first response, not
a second write; another request under a used key, or a retry while the first
has not answered, is refused; a failed write releases its key."""

import json
from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import IdempotencyKey, Question, Vote, utcnow
from forum.services import idempotency
from tests.factories import make_question, make_user
from tests.helpers import API, bearer, count

pytestmark = pytest.mark.usefixtures("app_ctx")

QUESTION = {
    "title": "Printer shows offline after every reboot",
    "body": "Since the update my office printer shows offline after each reboot.",
    "tags": ["printer"],
}


def test_a_retried_post_returns_the_first_result(client):
    headers = {**bearer(client, make_user()), "Idempotency-Key": "ask-1"}
    first = client.post(f"{API}/questions", json=QUESTION, headers=headers)
    assert first.status_code == 201
    again = client.post(f"{API}/questions", json=QUESTION, headers=headers)
    assert again.status_code == 201
    assert again.json == first.json
    assert again.headers["Idempotent-Replayed"] == "true"
    assert "Idempotent-Replayed" not in first.headers
    assert count(Question) == 1
    # Without a key, or with a new one, the same body is a new write (here
    # refused as a repeat of the same text, as any second post would be).
    fresh = {**headers, "Idempotency-Key": "ask-2"}
    other = {**QUESTION, "title": "Scanner shows offline after every reboot"}
    other["body"] = (
        "Since the update my office scanner shows offline after each reboot."
    )
    assert client.post(f"{API}/questions", json=other, headers=fresh).status_code == 201
    assert count(Question) == 2


def test_a_used_key_with_another_request_is_refused(client):
    question = make_question()
    headers = {**bearer(client, make_user(reputation=50)), "Idempotency-Key": "k"}
    assert (
        client.put(
            f"{API}/posts/{question.id}/vote", json={"value": 1}, headers=headers
        ).status_code
        == 200
    )
    response = client.put(
        f"{API}/posts/{question.id}/vote", json={"value": -1}, headers=headers
    )
    assert response.status_code == 422
    assert response.json["error"]["code"] == "idempotency_key_reused"
    assert db.session.scalars(db.select(Vote.value)).all() == [1]
    # Keys are per user: another user's "k" is theirs.
    other = {**bearer(client, make_user(reputation=50)), "Idempotency-Key": "k"}
    assert (
        client.put(
            f"{API}/posts/{question.id}/vote", json={"value": 1}, headers=other
        ).status_code
        == 200
    )


def test_a_failed_write_releases_its_key(client):
    headers = {**bearer(client, make_user()), "Idempotency-Key": "ask-1"}
    short = {**QUESTION, "title": "Too short"}
    assert (
        client.post(f"{API}/questions", json=short, headers=headers).status_code == 422
    )
    assert count(IdempotencyKey) == 0
    response = client.post(f"{API}/questions", json=QUESTION, headers=headers)
    assert response.status_code == 201 and count(Question) == 1


def test_a_retry_while_the_first_has_not_answered_is_a_conflict(client, runner):
    user = make_user()
    headers = {**bearer(client, user), "Idempotency-Key": "ask-1"}
    # The first request reserved the key and never answered (a crash).
    db.session.add(
        IdempotencyKey(
            user_id=user.id,
            key="ask-1",
            method="POST",
            path=f"{API}/questions",
            request_hash=_hash(QUESTION),
            created_at=utcnow(),
        )
    )
    db.session.commit()
    response = client.post(f"{API}/questions", json=QUESTION, headers=headers)
    assert response.status_code == 409
    assert "has not finished" in response.json["error"]["message"]
    assert count(Question) == 0
    # Kept IDEMPOTENCY_KEY_HOURS, then `sessions prune` deletes it.
    db.session.execute(
        update(IdempotencyKey).values(created_at=utcnow() - timedelta(hours=25))
    )
    db.session.commit()
    result = runner.invoke(args=["sessions", "prune"])
    assert "Deleted 1 Idempotency-Key(s)" in result.output
    assert count(IdempotencyKey) == 0


def test_bad_keys_and_anonymous_writes(client):
    headers = {**bearer(client, make_user()), "Idempotency-Key": "x" * 201}
    response = client.post(f"{API}/questions", json=QUESTION, headers=headers)
    assert response.status_code == 422 and count(Question) == 0
    # Anonymous writes (sign up) ignore the header: there is no user to key by.
    signup = {
        "username": "newbie",
        "email": "n@example.com",
        "password": "a long password 42",
    }
    response = client.post(
        f"{API}/users", json=signup, headers={"Idempotency-Key": "signup-1"}
    )
    assert response.status_code == 201 and count(IdempotencyKey) == 0


def test_openapi_offers_the_key_on_every_write(client):
    document = client.get(f"{API}/openapi.json").json
    writes = [
        (path, method, op)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if method in ("post", "put", "patch", "delete") and "security" in op
    ]
    assert len(writes) >= 10
    for path, method, op in writes:
        refs = [p.get("$ref") for p in op.get("parameters", [])]
        assert "#/components/parameters/IdempotencyKey" in refs, (path, method)
        assert {"409", "422"} <= set(op["responses"]), (path, method)


def _hash(body: dict) -> str:
    """The fingerprint of a body as the test client sends it."""
    return idempotency.fingerprint(json.dumps(body).encode())
