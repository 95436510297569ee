"""``flask --app forum search rebuild|sync|check``."""

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import func, select, update

from forum import search
from forum.extensions import db
from forum.models import Question, SearchOutbox, utcnow
from forum.search import indexer
from tests.factories import make_question
from tests.helpers import live_name

pytestmark = pytest.mark.usefixtures("app_ctx")

PENDING = "outbox row is not applied to the index yet"


def run(runner, *args):
    """Invoke ``flask search ARGS``."""
    return runner.invoke(args=["search", *args])


def test_check_is_clean_on_an_up_to_date_index(runner):
    make_question()
    search.drain()
    result = run(runner, "check")
    assert result.exit_code == 0, result.output
    assert "matches the database; no outbox rows are pending" in result.output


def test_check_lists_differences_and_pending_rows_then_sync_fixes_them(runner):
    search.drain()
    question = make_question()
    result = run(runner, "check")
    assert result.exit_code == 1
    assert f"question {question.id} is missing from the index" in result.output
    assert f"1 {PENDING}" in result.output
    assert "2 problem(s)" in result.output

    result = run(runner, "sync")
    assert result.exit_code == 0, result.output
    assert "Applied 1 outbox row(s); the index is up to date." in result.output
    assert run(runner, "check").exit_code == 0


def test_check_without_an_index_fails(runner):
    result = run(runner, "check")
    assert result.exit_code == 1
    assert "there is no search index" in result.output


def test_check_reports_an_unreadable_index(runner, app):
    search.drain()
    for path in (Path(app.config["SEARCH_INDEX_DIR"]) / live_name()).glob("*.toc"):
        path.write_bytes(b"garbage" * 50)
    result = run(runner, "check")
    assert result.exit_code == 1
    assert "is unreadable" in result.output


def test_rebuild_builds_a_new_generation_with_a_progress_bar(runner):
    questions = [make_question() for _ in range(3)]
    search.drain()
    old = live_name()
    db.session.execute(
        update(Question).where(Question.id == questions[0].id).values(score=5)
    )
    db.session.commit()  # behind the outbox's back: only a rebuild sees it
    assert run(runner, "check").exit_code == 1

    result = run(runner, "rebuild")
    assert result.exit_code == 0, result.output
    assert "Indexing questions" in result.output
    assert f"Indexed 3 question(s); {live_name()} is the live index now." in (
        result.output
    )
    assert live_name() != old
    assert run(runner, "check").exit_code == 0


def test_rebuild_with_several_processes(runner):
    for n in range(12):
        make_question(title=f"Printer {n} kumquat jams")
    result = run(runner, "rebuild", "--procs", "2")
    assert result.exit_code == 0, result.output
    assert "Indexed 12 question(s)" in result.output
    assert len(search.search("kumquat").hits) == 12
    assert run(runner, "check").exit_code == 0


def test_sync_rebuilds_a_missing_index(runner):
    make_question()
    result = run(runner, "sync")
    assert result.exit_code == 0, result.output
    assert "missing or unreadable: rebuilt from the database" in result.output
    assert "Applied 0 outbox row(s)" in result.output
    assert run(runner, "check").exit_code == 0


def test_sync_gives_up_while_another_writer_holds_the_lock(runner):
    search.drain()
    make_question()
    holder = indexer.store().open().writer()
    try:
        result = run(runner, "sync", "--wait", "0.2")
    finally:
        holder.cancel()
    assert result.exit_code == 1
    assert "held the index's write lock" in result.output
    assert run(runner, "sync").exit_code == 0
    assert run(runner, "check").exit_code == 0


def age_rows(days: int) -> None:
    """Make every outbox row ``days`` old."""
    db.session.execute(
        update(SearchOutbox).values(created_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


def outbox_ids() -> list[int]:
    """The ids of the outbox rows left."""
    return list(db.session.scalars(select(SearchOutbox.id).order_by(SearchOutbox.id)))


def test_sync_prunes_old_rows_the_index_has_applied(runner):
    search.drain()
    for _ in range(3):
        make_question()
    search.drain()
    pending = make_question()
    age_rows(10)
    newest = outbox_ids()[-1]
    # The pending row is applied by this sync, then pruned with the others,
    # except that the newest row stays (so SQLite never hands out its id again).
    result = run(runner, "sync", "--prune-days", "7")
    assert result.exit_code == 0, result.output
    assert "Applied 1 outbox row(s)" in result.output
    assert "Pruned 3 outbox row(s) older than 7 days." in result.output
    assert outbox_ids() == [newest]
    assert [h.question.id for h in search.search(pending.title).hits][:1] == [
        pending.id
    ]
    assert run(runner, "check").exit_code == 0


def test_prune_keeps_rows_the_index_has_not_applied(app):
    search.drain()
    make_question()
    make_question()
    age_rows(10)
    assert indexer.prune(1) == 0  # not applied yet
    search.drain()
    assert indexer.prune(30) == 0  # applied, but younger than 30 days
    assert db.session.scalar(select(func.count(SearchOutbox.id))) == 2
    assert indexer.prune(1) == 1


@pytest.mark.parametrize("command", ["rebuild", "sync", "check"])
def test_search_commands_have_help(runner, command):
    result = run(runner, command, "--help")
    assert result.exit_code == 0
    assert "Usage:" in result.output
