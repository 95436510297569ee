"""Migrations: a fresh database upgrades to head, matches the models, downgrades.

Runs on a temporary SQLite file, and, when ``FORUM_TEST_DATABASE_URL`` points at
PostgreSQL, on a temporary database created beside it (and dropped afterwards),
so the shared test database is never touched.
"""

import uuid
import warnings
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade
from sqlalchemy import create_engine, inspect, make_url, text
from sqlalchemy.exc import IntegrityError

from forum import PROJECT_ROOT
from forum.extensions import db
from forum.models import User
from tests.helpers import TEST_DATABASE_URL, make_app

BACKENDS = ["sqlite"]
if TEST_DATABASE_URL and make_url(TEST_DATABASE_URL).get_backend_name() != "sqlite":
    BACKENDS.append("server")


@pytest.fixture(params=BACKENDS)
def database_url(request, tmp_path: Path):
    """An empty database: a SQLite file, or a new database on the test server."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'migrations.sqlite'}"
        return
    server = make_url(TEST_DATABASE_URL)
    name = f"forum_migr_{uuid.uuid4().hex[:12]}"
    admin = create_engine(server, isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield server.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def schema_differences() -> list:
    """What autogenerate would change to make the database match the models."""
    with db.engine.connect() as conn, warnings.catch_warnings():
        # SQLite cannot reflect expression indexes; the test checks that one apart.
        warnings.filterwarnings("ignore", message=".*expression-based index")
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        return compare_metadata(context, db.metadata)


def test_one_head():
    script = ScriptDirectory(str(PROJECT_ROOT / "migrations"))
    assert len(script.get_heads()) == 1, "merge the migration branches"


def test_upgrade_matches_models_and_downgrade_empties(tmp_path, database_url):
    app = make_app(tmp_path, DATABASE_URL=database_url)
    with app.app_context():
        try:
            upgrade()
            assert schema_differences() == []

            # The functional unique index on lower(username) exists and works.
            db.session.add(User(username="Alice", display_name="A", email=None))
            db.session.commit()
            db.session.add(User(username="ALICE", display_name="B", email=None))
            with pytest.raises(IntegrityError):
                db.session.commit()
            db.session.rollback()
            db.session.close()

            with warnings.catch_warnings():
                # SQLite's batch mode reflects tables and cannot reflect the
                # expression index; the downgrade itself is what is tested.
                warnings.filterwarnings("ignore", message=".*expression-based index")
                downgrade(revision="base")
            assert set(inspect(db.engine).get_table_names()) == {"alembic_version"}
        finally:
            db.session.remove()
            db.engine.dispose()
