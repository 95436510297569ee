"""Fixtures in flaskr's shape: a fresh app, database and index per test, a client,
a CLI runner, the real login form, and an app context for the test body.

``FORUM_TEST_DATABASE_URL`` runs the suite on another database (PostgreSQL);
otherwise each test gets its own SQLite file. No fixture leaves an app context
pushed unless the test asks for ``app_ctx``; each client request and each CLI
command runs in its own one, as on a real server.
"""

import pytest

from forum.caching import CLOCK
from forum.extensions import db
from forum.search import close_searchers
from tests.factories import PASSWORD
from tests.helpers import Clock, csrf_from, make_app, reset_database


@pytest.fixture
def app(tmp_path):
    """A fresh app, database and index for one test (no app context pushed)."""
    app = make_app(tmp_path)
    with app.app_context():
        reset_database()
    yield app
    with app.app_context():
        db.engine.dispose()
    close_searchers()  # their index files go with the test's temporary folder


@pytest.fixture
def app_ctx(app):
    """The test body runs like a script, as in ``flask shell``: in an app context."""
    with app.app_context():
        yield app


@pytest.fixture
def clock(app):
    """The app's clock (caches, the view window), moved only by ``advance``."""
    app.extensions[CLOCK] = fake = Clock()
    return fake


@pytest.fixture
def indexed(app):
    """Apply every commit to the search index right away."""
    app.config["SEARCH_INDEXING"] = "sync"
    return app


@pytest.fixture
def client(app):
    """A test client for ``app``."""
    return app.test_client()


@pytest.fixture
def runner(app):
    """A CLI runner for ``app``."""
    return app.test_cli_runner()


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

    def change_password(self, new: str, current: str = PASSWORD, confirm=None):
        """Submit the password form (``confirm`` defaults to ``new``)."""
        data = {
            "current_password": current,
            "new_password": new,
            "confirm_password": new if confirm is None else confirm,
        }
        return self.post("/users/password", data, token_from="/users/password")

    def post(self, url: str, data: dict | None = None, token_from: str = "/", **kw):
        """POST a form with a valid CSRF token taken from ``token_from``."""
        data = dict(data or {})
        data.setdefault("csrf_token", csrf_from(self.client, token_from))
        return self.client.post(url, data=data, **kw)


@pytest.fixture
def auth(client):
    """Helpers that log in through the real login form."""
    return AuthActions(client)
