"""Backups that restore: a consistent copy of the database (SQLite's online
backup, or pg_dump), restored in place, and a restored database told apart
from the one the search index followed (``identity``)."""

import os
import secrets
import shutil
import sqlite3
import subprocess
from contextlib import closing
from pathlib import Path

from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import DatabaseIdentity, utcnow
from forum.services.errors import ServiceError

# How long pg_dump and pg_restore wait for a table another session locks.
LOCK_TIMEOUT = "10s"
# A file holding these tables is a forum database (a restore refuses others).
FORUM_TABLES = {"user", "post", "comment", "search_outbox"}


class BackupError(ServiceError):
    """A backup or restore that cannot be done; the message says why."""


def identity() -> str:
    """This database state's token, made on first use."""
    token = db.session.scalar(select(DatabaseIdentity.token))
    if token is not None:
        return token
    db.session.add(DatabaseIdentity(id=1, token=secrets.token_hex(16)))
    try:
        db.session.commit()
    except IntegrityError:  # another process made it first
        db.session.rollback()
    return db.session.scalars(select(DatabaseIdentity.token)).one()


def renew_identity() -> str:
    """A new token: the database now holds another state (a restore)."""
    db.session.query(DatabaseIdentity).delete()
    token = secrets.token_hex(16)
    db.session.add(DatabaseIdentity(id=1, token=token, created_at=utcnow()))
    db.session.commit()
    return token


def backup(target: Path) -> None:
    """Copy the database to ``target`` (a new file) while the site runs:
    SQLite's online backup (the write-ahead log's commits included), or
    pg_dump's custom format for PostgreSQL."""
    if target.exists():
        raise BackupError(f"{target} exists already; choose a new file.")
    target.parent.mkdir(parents=True, exist_ok=True)
    url = db.engine.url
    partial = target.with_name(f".{target.name}.partial")
    try:
        if url.get_backend_name() == "sqlite":
            with _sqlite(_sqlite_path()) as source, _sqlite(partial) as copy:
                source.backup(copy)
        else:
            _run(["pg_dump", "--format=custom", f"--file={partial}", _libpq(url)])
        os.replace(partial, target)
    finally:
        partial.unlink(missing_ok=True)


def restore(source: Path) -> str:
    """Replace the database's content with the backup in ``source``, then
    give it a new identity (the search index rebuilds from it). The app
    servers and indexers should be stopped meanwhile. Returns the token."""
    if not source.is_file():
        raise BackupError(f"{source} is not a file.")
    url = db.engine.url
    db.session.remove()
    db.engine.dispose()
    if url.get_backend_name() == "sqlite":
        with _sqlite(source) as backup_db:
            if not _is_forum_database(backup_db):
                raise BackupError(f"{source} is not a backup of a forum database.")
            with _sqlite(_sqlite_path()) as live:
                backup_db.backup(live)
    else:
        _run(
            [
                "pg_restore",
                "--clean",
                "--if-exists",
                "--no-owner",
                "--single-transaction",
                f"--dbname={_libpq(url)}",
                str(source),
            ]
        )
    db.engine.dispose()
    return renew_identity()


def _sqlite_path() -> Path:
    database = db.engine.url.database
    if not database or database == ":memory:":
        raise BackupError("This SQLite database is in memory: nothing to copy.")
    return Path(database)


def _sqlite(path: Path) -> "closing[sqlite3.Connection]":
    """A plain connection, closed at the end of its ``with`` block."""
    try:
        return closing(sqlite3.connect(path))
    except sqlite3.Error as error:
        raise BackupError(f"{path}: {error}") from error


def _is_forum_database(con: sqlite3.Connection) -> bool:
    try:
        names = {row[0] for row in con.execute("SELECT name FROM sqlite_master")}
    except sqlite3.DatabaseError:
        return False
    return FORUM_TABLES <= names


def _libpq(url) -> str:
    """The URL as libpq tools take it (no SQLAlchemy driver name)."""
    return (
        make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    )


def _run(command: list[str]) -> None:
    """Run a PostgreSQL client tool; its complaint becomes the error. A lock
    held by a server still running fails it after LOCK_TIMEOUT, not never."""
    if shutil.which(command[0]) is None:
        raise BackupError(
            f"{command[0]} is not installed (the PostgreSQL client tools)."
        )
    env = {**os.environ, "PGOPTIONS": f"-c lock_timeout={LOCK_TIMEOUT}"}
    done = subprocess.run(command, capture_output=True, text=True, check=False, env=env)
    if done.returncode != 0:
        raise BackupError(f"{command[0]} failed: {done.stderr.strip()[-500:]}")
