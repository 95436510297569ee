"""Fixtures: a fresh database and search index per test, a client, a CLI runner.

``FORUM_TEST_DATABASE_URL`` runs the suite on another database (PostgreSQL);
otherwise each test gets its own SQLite file.
"""

import os
import re
import shutil
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from forum import create_app
from forum.extensions import db
from forum.search import close_searchers
from tests.factories import PASSWORD

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
    db.session.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    db.session.commit()


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
        # Tests count and relate right after each change (tests/test_caches.py
        # checks the caches themselves).
        "LIST_COUNT_CACHE_SECONDS": 0,
        "RELATED_CACHE_SECONDS": 0,
    }
    config.update(overrides)
    if not TEST_DATABASE_URL and "DATABASE_URL" not in overrides:
        shutil.copyfile(sqlite_template(), tmp_path / "forum.sqlite")
    return create_app(config, instance_path=str(tmp_path / "instance"))


def _forget_request_globals():
    """Empty ``g`` at the start of each request, as a real server's fresh context.

    The ``app`` fixture keeps one app context pushed and Flask reuses it for
    test requests, so Flask-Login's cached user and Flask-WTF's token would
    otherwise leak from one test client (one browser) to the next.
    """
    from flask import g

    for name in list(vars(g)):
        delattr(g, name)


@pytest.fixture
def app(tmp_path):
    """A fresh app, database and index for one test; yields inside an app context."""
    app = make_app(tmp_path)
    app.before_request_funcs.setdefault(None, []).insert(0, _forget_request_globals)
    with app.app_context():
        reset_database()
        yield app
        db.session.remove()
        db.engine.dispose()
    close_searchers()  # their index files go with the test's temporary folder


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``app``."""
    return app.test_cli_runner()


CSRF_RE = re.compile(r'name="csrf_token" type="hidden" value="([^"]+)"')


def csrf_from(client, url: str = "/login") -> str:
    """GET a page and return the CSRF token of its first form."""
    html = client.get(url).get_data(as_text=True)
    match = CSRF_RE.search(html) or re.search(
        r'name="csrf-token" content="([^"]+)"', html
    )
    assert match, f"no CSRF token on {url}"
    return match.group(1)


class AuthActions:
    """Log in and out through the real forms, CSRF included."""

    def __init__(self, client):
        self.client = client

    def login(self, username: str, password: str = PASSWORD, remember=False):
        """Submit the login form."""
        data = {
            "login": username,
            "password": password,
            "csrf_token": csrf_from(self.client, "/login"),
        }
        if remember:
            data["remember"] = "y"
        return self.client.post("/login", data=data)

    def logout(self):
        """Submit the log-out form."""
        token = csrf_from(self.client, "/")
        return self.client.post("/logout", data={"csrf_token": token})

    def post(self, url: str, data: dict | None = None, token_from: str = "/", **kw):
        """POST a form with a valid CSRF token taken from ``token_from``."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_from(self.client, token_from))
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def auth(client):
    """Helpers that log in through the real login form."""
    return AuthActions(client)
