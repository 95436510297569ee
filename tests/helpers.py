"""Helpers shared by the test modules: apps, pages, rows, the API, settings.

The fixtures built from them live in conftest.py.
"""

import os
import re
import shutil
import tempfile
import time
from pathlib import Path

from flask.testing import FlaskClient, FlaskCliRunner
from sqlalchemy import event, func, select
from sqlalchemy import text as sql

from forum import create_app, search
from forum.extensions import db
from forum.search import indexer
from forum.services import sessions
from tests.factories import PASSWORD

# -- apps ---------------------------------------------------------------------

TEST_DATABASE_URL = os.environ.get("FORUM_TEST_DATABASE_URL")
_schema_ready = False
_sqlite_template: Path | None = None


def sqlite_template() -> Path:
    """A SQLite file with the empty schema, made once per run and copied per test
    (creating the tables anew costs ~0.2 s of fsyncs each time)."""
    global _sqlite_template
    if _sqlite_template is None:
        folder = Path(tempfile.mkdtemp(prefix="forum-schema-"))
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": "x",
                "DATABASE_URL": f"sqlite:///{folder / 'schema.sqlite'}",
            },
            instance_path=str(folder / "instance"),
        )
        with app.app_context():
            db.create_all()
            db.engine.dispose()
        _sqlite_template = folder / "schema.sqlite"
    return _sqlite_template


def reset_database() -> None:
    """Empty the database: a new schema on SQLite, truncated tables elsewhere."""
    global _schema_ready
    if db.engine.dialect.name == "sqlite":
        db.create_all()
        return
    if not _schema_ready:
        db.drop_all()
        db.create_all()
        _schema_ready = True
        return
    names = ", ".join(f'"{t.name}"' for t in db.metadata.sorted_tables)
    db.session.execute(sql(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


class RequestClient(FlaskClient):
    """A test client whose every request runs in its own application context.

    As on a real server, a request never sees the test body's ``g`` or database
    session, even when the test body holds an app context of its own.
    """

    def open(self, *args, **kwargs):
        """Run the request (and each redirect it follows) in a new app context."""
        with self.application.app_context():
            return super().open(*args, **kwargs)


class CommandRunner(FlaskCliRunner):
    """A CLI runner whose every command runs in its own application context,
    as ``flask <command>`` does in its own process."""

    def invoke(self, *args, **kwargs):
        """Run the command in a new app context."""
        with self.app.app_context():
            return super().invoke(*args, **kwargs)


class Clock:
    """A clock the test moves forward by hand, in seconds since the epoch."""

    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        """Move the clock ``seconds`` forward."""
        self.now += seconds


def make_app(tmp_path, **overrides):
    """Create an app with test settings under ``tmp_path``."""
    config = {
        "TESTING": True,
        "SECRET_KEY": "test-secret",
        "DATABASE_URL": TEST_DATABASE_URL or f"sqlite:///{tmp_path / 'forum.sqlite'}",
        "SEARCH_INDEX_DIR": str(tmp_path / "search-index"),
        "PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
        # Leave outbox rows for an explicit drain (a Whoosh commit per write
        # would triple the suite's time); search tests switch to "sync".
        "SEARCH_INDEXING": "manual",
        "SEARCH_CHECK_ON_START": False,
        # Words only; tests of the embeddings turn them on.
        "SEARCH_EMBEDDINGS": False,
        # Tests count and relate right after each change (tests/test_caches.py
        # checks the caches themselves).
        "LIST_COUNT_CACHE_SECONDS": 0,
        "RELATED_CACHE_SECONDS": 0,
        # Rate limits would refuse the suite's bursts; tests/test_rate_limits.py
        # turns them on with small limits.
        "RATELIMIT_ENABLED": False,
    }
    config.update(overrides)
    if not TEST_DATABASE_URL and "DATABASE_URL" not in overrides:
        shutil.copyfile(sqlite_template(), tmp_path / "forum.sqlite")
    app = create_app(config, instance_path=str(tmp_path / "instance"))
    app.test_client_class = RequestClient
    app.test_cli_runner_class = CommandRunner
    return app


def installed_model_dir() -> Path:
    """SEARCH_MODEL_DIR as `flask --app forum search model install` sees it
    (`make test` fills it)."""
    app = create_app(
        {
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": "sqlite://",
            "SEARCH_CHECK_ON_START": False,
            "RATELIMIT_ENABLED": False,
        }
    )
    return Path(app.config["SEARCH_MODEL_DIR"])


# -- pages --------------------------------------------------------------------

CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(client, url: str = "/login") -> str:
    """GET a page and return the CSRF token of its first form."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


def canonical(question) -> str:
    """The canonical path of a question."""
    return f"/questions/{question.id}/{question.slug}"


def session_owner(client) -> int | None:
    """The id of the user whose live sign-in the client's session cookie names."""
    with client.session_transaction() as session:
        key = session.get("_user_id")
    user = sessions.load_session_user(key) if key else None
    return user.id if user else None


def text(client, url: str, status: int = 200) -> str:
    """GET ``url`` and return its HTML, checking the status."""
    response = client.get(url)
    assert response.status_code == status, (url, response.status_code)
    return response.get_data(as_text=True)


def article(html: str, element_id: str) -> str:
    """The HTML of one post card (up to its closing tag)."""
    return html.split(f'id="{element_id}"', 1)[1].split("</article>", 1)[0]


# -- rows ---------------------------------------------------------------------


def count(model) -> int:
    """How many rows a table holds now."""
    db.session.expire_all()
    return db.session.scalar(select(func.count()).select_from(model))


def fresh(model, row_id: int):
    """The row as the database holds it now (the requests used other sessions)."""
    db.session.expire_all()
    return db.session.get(model, row_id)


def count_statements(client, url: str) -> int:
    """How many SQL statements one GET of ``url`` runs."""
    statements = []

    def record(conn, cursor, statement, parameters, context, executemany):
        statements.append(statement)

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        response = client.get(url)
    finally:
        event.remove(db.engine, "before_cursor_execute", record)
    assert response.status_code == 200
    return len(statements)


# -- search -------------------------------------------------------------------


def found(words: str, sort: str = "relevance") -> list[int]:
    """Ids of the questions a search finds."""
    return [hit.question.id for hit in search.search(words, sort).hits]


def found_all(words: str, sort: str = "relevance") -> list[int]:
    """Ids of the questions a search finds holding every word (no partial tier)."""
    hits = search.search(words, sort).hits
    return [hit.question.id for hit in hits if hit.match == "all"]


def live_name() -> str | None:
    """The live generation's name."""
    return indexer.store().current_name()


# -- settings -----------------------------------------------------------------


def thresholds(app, **changes) -> None:
    """Lower badge thresholds for one test (a new dict: the default is shared)."""
    app.config["BADGES"] = {
        **app.config["BADGES"],
        **{k.replace("_", "-"): v for k, v in changes.items()},
    }


# -- the JSON API -------------------------------------------------------------

API = "/api/v1"

# The exact keys of each resource shape (see /api/v1/openapi.json); a
# question's in the order the contract lists them.
QUESTION_ORDER = [
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
]
QUESTION_KEYS = set(QUESTION_ORDER)
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
