"""Probes for load balancers and process managers: cheap, unauthenticated,
and without private detail (no versions, hosts or error text)."""

import time
from pathlib import Path

from alembic.config import Config
from alembic.script import ScriptDirectory
from flask import Blueprint, jsonify
from sqlalchemy import func, select, text
from sqlalchemy.exc import SQLAlchemyError

from forum.extensions import db
from forum.models import SearchOutbox, utcnow
from forum.search import outbox
from forum.search.indexer import live_state

bp = Blueprint("health", __name__)

MIGRATIONS = Path(__file__).resolve().parents[2] / "migrations"
_heads: dict[str, frozenset[str]] = {}


@bp.get("/healthz")
def healthz():
    """Alive: the process answers (the database is not asked)."""
    return jsonify(alive=True)


@bp.get("/readyz")
def readyz():
    """Ready to serve: the database answers and its schema is at the
    migrations' head (503 otherwise), with the search outbox's lag."""
    started = time.monotonic()
    body: dict[str, object] = {"ready": False}
    try:
        db.session.execute(text("SELECT 1"))
        body["database"] = "ok"
        body["migrations"] = _migrations()
        body["search_outbox"] = _lag()
    except SQLAlchemyError:
        db.session.rollback()
        body.setdefault("database", "unreachable")
    body["ready"] = body.get("database") == "ok" and body.get("migrations") == "head"
    body["checked_in_ms"] = round((time.monotonic() - started) * 1000, 1)
    response = jsonify(body)
    response.status_code = 200 if body["ready"] else 503
    response.headers["Cache-Control"] = "no-store"
    return response


def _migrations() -> str:
    """ "head" when the database is at the migrations' head, "behind" when it
    is at another revision, "not applied" when it has none."""
    try:
        applied = set(
            db.session.scalars(text("SELECT version_num FROM alembic_version"))
        )
    except SQLAlchemyError:
        db.session.rollback()
        return "not applied"
    if not applied:
        return "not applied"
    return "head" if applied == _head_revisions() else "behind"


def _head_revisions() -> frozenset[str]:
    """The migrations folder's heads (read once per process)."""
    folder = str(MIGRATIONS)
    if folder not in _heads:
        config = Config()
        config.set_main_option("script_location", folder)
        _heads[folder] = frozenset(ScriptDirectory.from_config(config).get_heads())
    return _heads[folder]


def _lag() -> dict[str, float]:
    """Outbox rows the live search index has not applied, and how long the
    oldest of them has waited."""
    condition = outbox.pending_condition(live_state())
    rows, oldest = db.session.execute(
        select(func.count(), func.min(SearchOutbox.created_at)).where(condition)
    ).one()
    seconds = (utcnow() - oldest).total_seconds() if oldest is not None else 0.0
    return {"rows": int(rows), "seconds": round(max(seconds, 0.0), 1)}
