"""Several processes on one database and one index: none loses an index update.

The children are real processes (``python -m tests.test_search_processes ...``
or ``flask --app forum search sync --follow``) configured through FORUM_*
variables; each is bounded in time and killed at teardown if still running.
"""

import json
import os
import select
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from forum import search
from forum.extensions import db
from forum.search import indexer
from tests.factories import make_question, make_user
from tests.helpers import found

pytestmark = pytest.mark.usefixtures("app_ctx")

PROJECT_ROOT = Path(__file__).resolve().parent.parent
TIMEOUT = 60
DIED_AFTER_COMMIT = 17


# -- the children ---------------------------------------------------------------


def child_app():
    """The app a child process builds from its FORUM_* environment."""
    from forum import create_app

    return create_app()


def child_ask(user_id: str, count: str, go_file: str) -> None:
    """Wait for ``go_file``, then ask ``count`` questions as the user."""
    from forum.models import User
    from forum.services import questions

    app = child_app()
    deadline = time.monotonic() + TIMEOUT
    while not os.path.exists(go_file) and time.monotonic() < deadline:
        time.sleep(0.01)
    with app.app_context():
        author = db.session.get(User, int(user_id))
        for n in range(int(count)):
            questions.ask_question(
                author,
                f"Kumquat {os.getpid()} number {n} jams the printer",
                # Each body differs: the same text twice is refused.
                f"The printer jams on every kumquat envelope, case {n}.",
                "printer",
            )


def child_commit_then_die(user_id: str) -> None:
    """Ask a question and die right after its commit, before the index write."""
    from sqlalchemy import event
    from sqlalchemy.orm import Session

    from forum.models import User
    from forum.services import questions

    app = child_app()
    with app.app_context():
        author = db.session.get(User, int(user_id))

        def die_after_the_outermost_commit(session):
            if not session.in_nested_transaction():  # not a savepoint's end
                os._exit(DIED_AFTER_COMMIT)

        event.listen(Session, "after_commit", die_after_the_outermost_commit)
        questions.ask_question(
            author,
            "Papaya scanner skips every other page",
            "Since the update the scanner skips every other page of a stack.",
            "scanner",
        )
    os._exit(1)  # not reached: the commit ends the process


def child_hold_lock() -> None:
    """Hold the index's write lock until stdin closes."""
    app = child_app()
    with app.app_context():
        writer = indexer.store().open().writer()
        print("locked", flush=True)
        sys.stdin.read()
        writer.cancel()


# -- the parent's helpers ------------------------------------------------------


def child_env(app, **settings) -> dict:
    """The environment that points a child at the test's database and index."""
    env = dict(os.environ)
    env.update(
        {
            "PYTHONUNBUFFERED": "1",
            "FORUM_INSTANCE_PATH": app.instance_path,
            "FORUM_DATABASE_URL": app.config["DATABASE_URL"],
            "FORUM_SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
            "FORUM_SECRET_KEY": "test-secret",
            "FORUM_PASSWORD_HASH_METHOD": "scrypt:1024:8:1",
            "FORUM_SEARCH_CHECK_ON_START": "false",
            "FORUM_SEARCH_INDEXING": "manual",
        }
    )
    for key, value in settings.items():
        env[f"FORUM_{key}"] = value if isinstance(value, str) else json.dumps(value)
    return env


@pytest.fixture
def spawn(app, app_ctx):
    """Start child processes; any still running at teardown is killed."""
    started: list[subprocess.Popen] = []
    # The children must see what the test committed, and not wait on its locks.
    db.session.commit()

    def start(args: list[str], stdin=subprocess.DEVNULL, **settings):
        proc = subprocess.Popen(
            [sys.executable, *args],
            cwd=PROJECT_ROOT,
            env=child_env(app, **settings),
            stdin=stdin,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        started.append(proc)
        return proc

    yield start
    for proc in started:
        if proc.poll() is None:
            proc.kill()
        proc.communicate(timeout=TIMEOUT)


def child(*args: str) -> list[str]:
    """The arguments that run one of this module's child functions."""
    return ["-m", "tests.test_search_processes", *args]


def finish(proc: subprocess.Popen) -> tuple[int, str, str]:
    """Wait for a child; its exit code, stdout and stderr."""
    out, err = proc.communicate(timeout=TIMEOUT)
    return proc.returncode, out, err


def read_line(proc: subprocess.Popen, seconds: float = TIMEOUT) -> str:
    """The child's next line of output (fails after ``seconds``)."""
    ready, _, _ = select.select([proc.stdout], [], [], seconds)
    assert ready, f"no output from {proc.args} in {seconds}s"
    return proc.stdout.readline()


def wait_until_consistent(seconds: float = TIMEOUT) -> list[str]:
    """Poll ``check()`` until it is clean (or time runs out); its last answer."""
    deadline = time.monotonic() + seconds
    while True:
        db.session.rollback()
        problems = search.check()
        if not problems or time.monotonic() > deadline:
            return problems
        time.sleep(0.1)


# -- the tests ----------------------------------------------------------------


def test_killed_between_commit_and_index_write_then_sync_restores(app, runner, spawn):
    search.drain()
    user_id = make_user().id
    proc = spawn(child("commit-then-die", str(user_id)), SEARCH_INDEXING="sync")
    code, _, err = finish(proc)
    assert code == DIED_AFTER_COMMIT, err
    db.session.rollback()
    problems = search.check()
    assert len(problems) == 2
    assert problems[0].endswith("is missing from the index")
    assert problems[1].startswith("1 outbox row is not applied")

    result = runner.invoke(args=["search", "sync"])
    assert result.exit_code == 0, result.output
    assert "Applied 1 outbox row(s)" in result.output
    assert search.check() == []
    assert len(found("papaya scanner")) == 1


def test_concurrent_posting_from_several_processes_loses_no_update(
    app, runner, spawn, tmp_path
):
    search.drain()
    make_question(tags="printer")  # the tag exists: the children only reuse it
    users = [make_user().id for _ in range(3)]
    go = tmp_path / "go"
    procs = [
        spawn(child("ask", str(uid), "5", str(go)), SEARCH_INDEXING="sync")
        for uid in users
    ]
    time.sleep(0.2)
    go.touch()
    for proc in procs:
        code, _, err = finish(proc)
        assert code == 0, err
    db.session.rollback()
    result = runner.invoke(args=["search", "check"])
    assert result.exit_code == 0, result.output
    assert len(found("kumquat")) == 15


def test_lock_held_by_another_process_makes_drain_busy_not_wait(app, runner, spawn):
    search.drain()
    holder = spawn(child("hold-lock"), stdin=subprocess.PIPE)
    assert read_line(holder) == "locked\n"
    question = make_question(title="Kumquat printer jams on envelopes")
    started = time.monotonic()
    assert search.drain() == indexer.BUSY
    assert time.monotonic() - started < 1
    result = runner.invoke(args=["search", "sync", "--wait", "0.2"])
    assert result.exit_code == 1
    code, _, err = finish(holder)  # closes its stdin: it lets go
    assert code == 0, err
    assert search.drain() == 1
    assert found("kumquat") == [question.id]


def test_dedicated_indexers_follow_and_stop_cleanly_on_signals(app, spawn):
    search.drain()
    followers = [
        spawn(
            ["-m", "flask", "--app", "forum", "search", "sync", "--follow"],
            SEARCH_POLL_SECONDS=0.1,
        )
        for _ in range(2)
    ]
    for follower in followers:
        assert read_line(follower).startswith("Following the outbox every 0.1s")
    first = make_question(title="Kumquat printer jams on envelopes")
    assert wait_until_consistent() == []
    second = make_question(title="Papaya scanner skips pages")
    assert wait_until_consistent() == []
    assert (found("kumquat"), found("papaya")) == ([first.id], [second.id])
    for follower, sig in zip(followers, (signal.SIGTERM, signal.SIGINT), strict=True):
        follower.send_signal(sig)
    for follower in followers:
        code, out, err = finish(follower)
        assert code == 0, err
        assert out.rstrip().endswith("Stopped following the outbox.")


if __name__ == "__main__":
    commands = {
        "ask": child_ask,
        "commit-then-die": child_commit_then_die,
        "hold-lock": child_hold_lock,
    }
    commands[sys.argv[1]](*sys.argv[2:])
