"""A database that cannot answer: 503 with Retry-After on pages (rendered
without the database) and in the API's error shape, one log line, and
service again as soon as it is back."""

import logging
import os
import socket
import sqlite3

import pytest

from forum.extensions import db
from forum.models import Comment, Vote
from tests.factories import make_question, make_user
from tests.helpers import API, bearer, count, make_app, reset_database


def closed_port() -> int:
    """A local port nothing listens on (bound, then released)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def down(tmp_path):
    """An app whose PostgreSQL server does not answer (connection refused)."""
    url = f"postgresql+psycopg://postgres@127.0.0.1:{closed_port()}/forum"
    app = make_app(tmp_path, DATABASE_URL=url)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    yield app
    with app.app_context():
        db.engine.dispose()


def assert_unavailable(response, seconds: int = 5) -> None:
    assert response.status_code == 503
    assert response.headers["Retry-After"] == str(seconds)


def test_pages_answer_503_without_the_database(down, caplog):
    client = down.test_client()
    with caplog.at_level(logging.WARNING):
        response = client.get("/")
    assert_unavailable(response)
    page = response.get_data(as_text=True)
    assert "503 · Temporarily unavailable" in page
    assert "Nothing you sent was saved" in page
    assert "css/base.css" in page  # styled, not a bare error
    # One line in the log, no traceback.
    records = [r for r in caplog.records if r.levelno >= logging.WARNING]
    assert len(records) == 1 and records[0].exc_info is None
    assert records[0].getMessage().startswith("Database unavailable:")
    # A signed-in user's page loads their account first: the same 503 page.
    with client.session_transaction() as session:
        session["_user_id"] = "1"
        session["_fresh"] = True
    response = client.get("/questions/1")
    assert_unavailable(response)
    assert "Temporarily unavailable" in response.get_data(as_text=True)
    down.config["UNAVAILABLE_RETRY_AFTER"] = 30
    assert_unavailable(client.get("/search?q=printer"), 30)


def test_the_api_answers_503_in_its_error_shape(down):
    client = down.test_client()
    response = client.get(f"{API}/questions")
    assert_unavailable(response)
    assert response.json["error"]["code"] == "service_unavailable"
    assert "Nothing you sent was saved" in response.json["error"]["message"]
    response = client.post(
        f"{API}/questions",
        json={"title": "Printer offline", "body": "x" * 40, "tags": ["printer"]},
        headers={"Authorization": "Bearer nonsense-token"},
    )
    assert_unavailable(response)
    assert response.json["error"]["code"] == "service_unavailable"


@pytest.mark.skipif(
    bool(os.environ.get("FORUM_TEST_DATABASE_URL")), reason="moves a SQLite file"
)
def test_service_comes_back_with_the_database(app, client):
    app.config["PROPAGATE_EXCEPTIONS"] = False
    with app.app_context():
        qid = make_question(title="Printer shows offline after every reboot").id
        path = db.engine.url.database
        db.engine.dispose()
    # The files are gone (a volume lost for a while): no table to read.
    files = [f"{path}{suffix}" for suffix in ("", "-wal", "-shm")]
    moved = [name for name in files if os.path.exists(name)]
    for name in moved:
        os.rename(name, f"{name}.away")
    try:
        assert_unavailable(client.get(f"/questions/{qid}"))
        assert_unavailable(client.get(f"{API}/questions/{qid}"))
    finally:
        with app.app_context():
            db.engine.dispose()
        for name in files:  # what the empty stand-in left
            if os.path.exists(name):
                os.remove(name)
        for name in moved:
            os.replace(f"{name}.away", name)
    # Back: the next request is served, nothing to restart.
    assert client.get(f"/questions/{qid}", follow_redirects=True).status_code == 200
    assert client.get(f"{API}/questions/{qid}").status_code == 200


@pytest.mark.skipif(
    bool(os.environ.get("FORUM_TEST_DATABASE_URL")), reason="SQLite's write lock"
)
def test_a_long_held_sqlite_lock_answers_503_within_the_waits(tmp_path):
    # Another writer holds the lock longer than a request may wait: a write
    # waits SQLITE_BUSY_SECONDS at most twice (with_retry: one retry), then
    # answers 503, saving nothing; once the lock is free, the write works.
    app = make_app(tmp_path, SQLITE_BUSY_SECONDS=0.2)
    app.config["PROPAGATE_EXCEPTIONS"] = False
    client = app.test_client()
    with app.app_context():
        reset_database()
        question = make_question()
        qid, voter = question.id, make_user(reputation=50)
        headers = bearer(client, voter)
        path = db.engine.url.database
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # the other writer's lock
        try:
            response = client.put(
                f"{API}/posts/{qid}/vote", json={"value": 1}, headers=headers
            )
            assert response.status_code == 503
            assert response.headers["Retry-After"] == "5"
            assert response.json["error"]["code"] == "service_unavailable"
            assert "Nothing you sent was saved" in response.json["error"]["message"]
            # A write outside the retried ones: the same answer.
            response = client.post(
                f"{API}/posts/{qid}/comments",
                json={"body": "Which printer model is it exactly?"},
                headers=headers,
            )
            assert response.status_code == 503
        finally:
            other.execute("ROLLBACK")
            other.close()
        assert count(Vote) == 0 and count(Comment) == 0
        response = client.put(
            f"{API}/posts/{qid}/vote", json={"value": 1}, headers=headers
        )
        assert response.status_code == 200
        assert count(Vote) == 1
        db.engine.dispose()
