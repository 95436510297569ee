"""Backups that restore: `flask backup` while the site runs, `flask restore`
in place, and a search index that notices it follows another state of the
database and rebuilds (a restored database hands out outbox ids again that
the old index counts as applied)."""

import logging
import shutil

import pytest
from sqlalchemy import select

from forum import search
from forum.extensions import db
from forum.models import DatabaseIdentity, Question
from forum.services import backups
from tests.factories import make_question
from tests.helpers import TEST_DATABASE_URL, found

pytestmark = pytest.mark.usefixtures("app_ctx")

if TEST_DATABASE_URL and not (shutil.which("pg_dump") and shutil.which("pg_restore")):
    pytest.skip("no PostgreSQL client tools", allow_module_level=True)


def ask(title: str) -> int:
    question = make_question(title=title)
    search.drain()
    return question.id


def test_a_restored_backup_brings_back_the_database_and_its_index(
    runner, tmp_path, caplog
):
    kept = ask("Kumquat printer jams on envelopes")
    target = tmp_path / "backups" / "forum.backup"
    result = runner.invoke(args=["backup", str(target)])
    assert result.exit_code == 0, result.output
    assert f"Backed up the database to {target}." in result.output
    later = [ask(f"Papaya scanner model {n} skips pages") for n in range(3)]
    assert sorted(found("papaya")) == sorted(later)

    db.session.remove()  # as `flask restore` runs alone, in its own process
    result = runner.invoke(args=["restore", str(target), "--yes"])
    assert result.exit_code == 0, result.output
    assert "Rebuilt the search index from the restored database." in result.output
    db.session.remove()
    assert db.session.scalars(select(Question.id)).all() == [kept]
    assert found("papaya") == [] and found("kumquat") == [kept]
    # New posts after the restore reuse outbox ids the old index had applied:
    # the rebuilt index follows the restored database, so they are found.
    new = ask("Papaya toaster burns the bread")
    assert found("papaya") == [new]
    assert search.check() == []


def test_an_index_of_another_database_state_rebuilds_at_the_next_drain(caplog):
    first = ask("Kumquat printer jams on envelopes")
    old = db.session.scalar(select(DatabaseIdentity.token))
    # A restore by other means, then the identity renewed by hand.
    assert backups.renew_identity() != old
    with caplog.at_level(logging.WARNING, logger="forum.search"):
        second = ask("Papaya scanner skips pages")
    assert "built from another state of the database" in caplog.text
    assert found("kumquat") == [first] and found("papaya") == [second]


def test_bad_backups_and_targets_are_refused(runner, tmp_path):
    make_question()
    target = tmp_path / "forum.backup"
    assert runner.invoke(args=["backup", str(target)]).exit_code == 0
    again = runner.invoke(args=["backup", str(target)])
    assert again.exit_code == 1
    assert "exists already; choose a new file" in again.output
    missing = runner.invoke(args=["restore", str(tmp_path / "nothing"), "--yes"])
    assert missing.exit_code == 1 and "is not a file" in missing.output
    if not TEST_DATABASE_URL:
        junk = tmp_path / "junk.backup"
        junk.write_bytes(b"not a database at all" * 100)
        refused = runner.invoke(args=["restore", str(junk), "--yes"])
        assert refused.exit_code == 1
        assert "is not a backup of a forum database" in refused.output
    # Without --yes, the question is asked and "no" changes nothing.
    asked = runner.invoke(args=["restore", str(target)], input="n\n")
    assert asked.exit_code == 1 and "Aborted" in asked.output
