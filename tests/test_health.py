"""The probes: /healthz (alive) and /readyz (database, migrations, search
outbox lag), cheap, unauthenticated, without private detail."""

import socket

import pytest
from flask_migrate import downgrade, upgrade

from forum import search
from forum.extensions import db
from tests.factories import make_question
from tests.helpers import make_app

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def migrated(tmp_path):
    """An app on a SQLite database built by the migrations (as `make run`)."""
    app = make_app(tmp_path, DATABASE_URL=f"sqlite:///{tmp_path / 'migrated.sqlite'}")
    with app.app_context():
        upgrade()
        yield app
        db.engine.dispose()


def test_ready_on_a_migrated_database_with_the_outbox_lag(migrated):
    client = migrated.test_client()
    assert client.get("/healthz").json == {"alive": True}
    response = client.get("/readyz")
    assert response.status_code == 200
    assert response.headers["Cache-Control"] == "no-store"
    body = response.json
    assert body["ready"] is True
    assert body["database"] == "ok" and body["migrations"] == "head"
    assert body["search_outbox"] == {"rows": 0, "seconds": 0.0}
    make_question()  # indexing is manual here: its outbox row waits
    lag = client.get("/readyz").json["search_outbox"]
    assert lag["rows"] == 1 and lag["seconds"] >= 0
    search.drain()
    assert client.get("/readyz").json["search_outbox"]["rows"] == 0
    # A database behind the code's migrations is not ready.
    downgrade(revision="-1")
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["migrations"] == "behind"


def test_not_ready_without_migrations(client):
    # The test database is made from the models, with no migration recorded.
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["ready"] is False
    assert response.json["migrations"] == "not applied"


def test_alive_but_not_ready_while_the_database_is_down(tmp_path):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    url = f"postgresql+psycopg://secret-user:secret-password@127.0.0.1:{port}/forum"
    app = make_app(tmp_path, DATABASE_URL=url)
    client = app.test_client()
    assert client.get("/healthz").status_code == 200
    response = client.get("/readyz")
    assert response.status_code == 503
    assert response.json["database"] == "unreachable"
    assert "secret" not in response.get_data(as_text=True)
    assert str(port) not in response.get_data(as_text=True)
