"""The search index follows the database: every change, a missing or corrupt
index, atomic rebuilds, a held write lock, out-of-order outbox ids, replicas."""

import gc
import logging
import math
import os
import threading
import time
from pathlib import Path

import pytest
from sqlalchemy import func, select, update
from sqlalchemy.orm import Session
from whoosh import query as wq

from forum import search
from forum.extensions import db
from forum.models import Comment, Post, Question, SearchOutbox, User, utcnow
from forum.search import background, indexer, outbox, searchers, store
from forum.services import comments, posts, voting
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import TEST_DATABASE_URL, found, live_name, make_app

pytestmark = pytest.mark.usefixtures("app_ctx")

on_postgresql = pytest.mark.skipif(
    not (TEST_DATABASE_URL or "").startswith("postgresql"),
    reason="ids commit out of order only on PostgreSQL",
)


class Records(logging.Handler):
    """Collects the messages logged by forum.search (works without caplog)."""

    def __init__(self):
        super().__init__(logging.INFO)
        self.messages: list[str] = []

    def emit(self, record):
        """Keep the formatted message."""
        self.messages.append(record.getMessage())


@pytest.fixture
def search_log():
    """The messages forum.search logs during the test."""
    handler = Records()
    logger = logging.getLogger("forum.search")
    old_level = logger.level
    logger.setLevel(logging.INFO)
    logger.addHandler(handler)
    yield handler.messages
    logger.removeHandler(handler)
    logger.setLevel(old_level)


@pytest.fixture
def restart(app):
    """Start another app on the same database and index (another process
    starting); its connections are closed after the test."""
    started = []

    def start(**overrides):
        config = {
            "DATABASE_URL": app.config["DATABASE_URL"],
            "SEARCH_INDEX_DIR": app.config["SEARCH_INDEX_DIR"],
        }
        config.update(overrides)
        other = make_app(Path(app.instance_path).parent, **config)
        started.append(other)
        return other

    yield start
    for other in started:
        indexer_of = other.extensions.get("forum_search_indexer")
        if indexer_of is not None:
            indexer_of.stop()
        with other.app_context():
            db.engine.dispose()


def commenter() -> User:
    """A user allowed to comment anywhere."""
    return make_user(reputation=50)


# -- every change reaches the index ------------------------------------------


def test_asking_makes_a_question_findable(indexed):
    question = make_question(title="Kumquat printer jams on envelopes")
    assert found("kumquat") == [question.id]
    assert search.check() == []


def test_answering_and_commenting_make_their_words_findable(indexed):
    question = make_question()
    answer = make_answer(question, body="Clean the xylophone roller with alcohol.")
    assert found("xylophone") == [question.id]
    make_comment(answer, commenter(), body="The marimba tray also needs cleaning.")
    make_comment(question, commenter(), body="Which gazebo model exactly?")
    assert found("marimba") == [question.id] and found("gazebo") == [question.id]
    assert search.check() == []


def test_editing_updates_the_index(indexed):
    question = make_question(title="Kumquat printer jams on envelopes")
    posts.edit_post(question.owner, question, title="Papaya printer jams on cards")
    assert found("kumquat") == []
    assert found("papaya") == [question.id]
    answer = make_answer(question, body="Use the xylophone tray for thick ones.")
    posts.edit_post(answer.owner, answer, body="Use the marimba tray for thick ones.")
    assert (found("xylophone"), found("marimba")) == ([], [question.id])
    assert search.check() == []


def test_editing_and_deleting_comments_update_the_index(indexed):
    question = make_question()
    comment = make_comment(question, commenter(), body="Which gazebo model exactly?")
    comments.edit_comment(comment.owner, comment, "Which pergola model exactly?")
    assert (found("gazebo"), found("pergola")) == ([], [question.id])
    comments.delete_comment(comment.owner, comment)
    assert found("pergola") == []


def test_votes_and_accepts_update_score_and_solved_state(indexed):
    question = make_question()
    answer = make_answer(question)
    voting.cast_vote(make_user(reputation=20), question, 1)
    voting.accept_answer(question.owner, question, answer)
    assert search.check() == []
    with indexer.store().open().searcher() as searcher:
        fields = searcher.document(id=str(question.id))
    assert (fields["score"], fields["accepted"]) == (1, True)
    voting.accept_answer(question.owner, question, None)
    assert search.check() == []


def test_deleted_posts_leave_the_index_and_undeleted_ones_return(indexed):
    staff = make_user(staff=True)
    question = make_question(title="Kumquat printer jams on envelopes")
    answer = make_answer(question, body="Clean the xylophone roller with some alcohol.")
    posts.delete_post(answer.owner, answer)
    assert found("xylophone") == []
    posts.delete_post(staff, question)
    assert found("kumquat") == []
    assert search.check() == []
    posts.undelete_post(staff, question)
    posts.undelete_post(staff, answer)
    assert found("kumquat xylophone") == [question.id]
    assert search.check() == []


# -- staleness is never silent ------------------------------------------------


def test_check_reports_what_the_index_has_not_seen(app):
    """Manual mode: nothing is applied until a drain, and check says so."""
    search.drain()  # an empty index, up to date
    question = make_question()
    assert search.check() == [
        f"question {question.id} is missing from the index",
        "1 outbox row is not applied to the index yet "
        "(`flask --app forum search sync` applies them)",
    ]
    assert search.drain() == 1
    assert search.check() == []


def test_check_finds_changes_made_behind_the_outbox(app):
    kept, hidden = make_question(), make_question()
    search.drain()
    db.session.execute(update(Question).where(Question.id == kept.id).values(score=7))
    db.session.execute(
        update(Question).where(Question.id == hidden.id).values(deleted_at=utcnow())
    )
    db.session.commit()
    assert search.check() == [
        f"question {kept.id} differs: score 7 in the database, 0 in the index",
        f"question {hidden.id} is in the index but deleted or gone",
    ]


def test_check_compares_closed_state_and_answer_count(app):
    question = make_question()
    make_answer(question)
    search.drain()
    db.session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(closed_at=utcnow(), closed_reason="duplicate", answer_count=4)
    )
    db.session.commit()
    assert search.check() == [
        f"question {question.id} differs: closed True in the database, False in "
        "the index; answers 4 in the database, 1 in the index"
    ]
    search.enqueue(question.id)
    db.session.commit()
    search.drain()
    assert search.check() == []


def test_check_compares_what_each_document_holds(app):
    # Counts and dates match, the text does not: a comment (and an edited
    # answer) that never reached the index used to pass as clean.
    question = make_question(title="Kumquat printer jams on envelopes")
    answer = make_answer(
        question, body="Clean the rollers with a dry cloth, then retry."
    )
    other = make_question(title="Papaya scanner skips pages")
    search.drain()
    assert search.check() == []
    db.session.add(
        Comment(
            post_id=answer.id,
            owner_id=other.owner_id,
            body_markdown="Mango trays jam too.",
            body_html="<p>Mango trays jam too.</p>",
            created_at=utcnow(),
        )
    )
    db.session.execute(
        update(Post)
        .where(Post.id == other.id)
        .values(body_html="<p>The papaya scanner now skips every second page.</p>")
    )
    db.session.commit()
    text = "its text (title, body, answers, comments, tags or names) is not what "
    assert search.check() == [
        f"question {question.id} differs: {text}the index holds",
        f"question {other.id} differs: {text}the index holds",
    ]
    for qid in (question.id, other.id):
        search.enqueue(qid)
    db.session.commit()
    search.drain()
    assert search.check() == []
    assert found("mango") == [question.id]


def test_drain_applies_rows_in_batches(app):
    search.drain()
    questions = [make_question() for _ in range(5)]
    assert search.drain(limit=2) == 5
    assert sorted(found("printer")) == sorted(q.id for q in questions)


# -- start-up: a missing, corrupt or outdated index is rebuilt ---------------


@pytest.mark.parametrize("mode", ["manual", "thread"])
def test_a_start_without_an_index_does_not_wait_for_it(app, restart, search_log, mode):
    # The start says so and goes on: the indexer process ("manual") or the
    # process's index thread ("thread") builds it; a big site's build takes
    # minutes that no process start (or `flask` command) should wait for.
    question = make_question(title="Kumquat printer jams on envelopes")
    assert live_name() is None
    started = restart(SEARCH_CHECK_ON_START=True, SEARCH_INDEXING=mode)
    assert any("missing or unreadable: it is being rebuilt" in m for m in search_log)
    with started.app_context():
        if mode == "manual":
            assert live_name() is None  # the start built nothing
            search.drain()  # what `search sync --follow` does next
        else:
            deadline = time.monotonic() + 30
            while live_name() is None and time.monotonic() < deadline:
                time.sleep(0.05)
            started.extensions["forum_search_indexer"].stop()
        assert any("building the search index" in m for m in search_log)
        assert found("kumquat") == [question.id]
        assert search.check() == []


@pytest.mark.parametrize("damaged", ["every file", "table of contents", "segments"])
def test_corrupt_index_is_rebuilt_after_start(app, restart, search_log, damaged):
    question = make_question(title="Kumquat printer jams on envelopes")
    search.drain()
    old = live_name()
    for path in (Path(app.config["SEARCH_INDEX_DIR"]) / old).iterdir():
        if (
            damaged == "every file"
            or (damaged == "table of contents" and path.suffix == ".toc")
            or (damaged == "segments" and path.suffix in (".seg", ".trm", ".pst"))
        ):
            path.write_bytes(b"\x00garbage\xff" * 300)
    restart(SEARCH_CHECK_ON_START=True)
    assert any(f"search index {old} is unreadable" in m for m in search_log)
    assert any("missing or unreadable: it is being rebuilt" in m for m in search_log)
    assert live_name() == old  # the start did not wait for a build
    search.ensure_index()  # what `search sync` does first
    assert any("building the search index" in m for m in search_log)
    assert live_name() != old
    assert found("kumquat") == [question.id]
    assert search.check() == []


def test_search_rebuilds_an_index_damaged_after_start(app, search_log):
    question = make_question(title="Kumquat printer jams on envelopes")
    search.drain()
    old = live_name()
    for path in (Path(app.config["SEARCH_INDEX_DIR"]) / old).iterdir():
        path.write_bytes(b"\x00garbage\xff" * 300)
    assert found("kumquat") == [question.id]  # the first search rebuilds it
    assert any("building the search index" in m for m in search_log)
    assert live_name() != old
    assert search.check() == []


def test_index_with_another_schema_is_rebuilt_after_start(app, restart, search_log):
    from whoosh import fields, index

    make_question()
    root = Path(app.config["SEARCH_INDEX_DIR"])
    (root / "gen-000001").mkdir(parents=True)
    index.create_in(str(root / "gen-000001"), fields.Schema(id=fields.ID))
    (root / "CURRENT").write_text("gen-000001")
    restart(SEARCH_CHECK_ON_START=True)
    assert "search index gen-000001 is an older schema" in search_log
    search.ensure_index()  # what `search sync` (the indexer) does first
    assert live_name() == "gen-000002"
    assert search.check() == []


def test_start_with_a_good_index_does_not_rebuild(app, restart, search_log):
    make_question()
    search.drain()
    name = live_name()
    search_log.clear()
    restart(SEARCH_CHECK_ON_START=True)
    assert live_name() == name
    assert search_log == []


# -- rebuilds -----------------------------------------------------------------


@pytest.mark.parametrize("procs", [1, 2])
def test_segments_are_written_as_separate_files(app, procs):
    # A compound segment (.seg) is copied into memory by every searcher.
    question = make_question(title="Kumquat printer jams on envelopes")
    search.rebuild(procs=procs)
    make_answer(question, body="Clean the kumquat rollers with a dry cloth.")
    search.drain()
    folder = Path(app.config["SEARCH_INDEX_DIR"]) / live_name()
    suffixes = {path.suffix for path in folder.iterdir()}
    assert ".seg" not in suffixes
    assert {".toc", ".trm", ".pst"} <= suffixes
    assert found("rollers") == [question.id]


@pytest.mark.parametrize("procs", [1, 2])
def test_rebuild_writes_segments_of_the_configured_size(app, procs):
    # Small segments sort in memory; the build does not merge them afterwards.
    app.config["SEARCH_REBUILD_SEGMENT_DOCS"] = 2
    made = [make_question(title=f"Kumquat printer model {n}") for n in range(7)]
    make_answer(made[5], body="Descale the papaya nozzle first.")
    assert search.rebuild(procs=procs) == 7
    with searchers.searcher() as s:
        sizes = sorted(r.doc_count_all() for r, _ in s.reader().leaf_readers())
    # A writer takes 2 questions per process; a process that is done early may
    # take another's share, so segments hold at most 2 * procs.
    assert sum(sizes) == 7
    assert max(sizes) <= 2 * procs and len(sizes) >= math.ceil(7 / (2 * procs))
    assert sorted(found("kumquat")) == sorted(q.id for q in made)
    assert found("papaya nozzle") == [made[5].id]
    assert search.check() == []


def test_drains_merge_their_small_segments_but_never_a_rebuild_s(app):
    app.config.update(
        SEARCH_REBUILD_SEGMENT_DOCS=3,
        SEARCH_MERGE_MAX_DOCS=3,
        SEARCH_MERGE_MIN_SEGMENTS=3,
    )
    made = [make_question(title=f"Kumquat printer model {n}") for n in range(6)]
    search.rebuild()

    def sizes() -> list[int]:
        with searchers.searcher() as s:
            return sorted(r.doc_count_all() for r, _ in s.reader().leaf_readers())

    assert sizes() == [3, 3]
    for n, question in enumerate(made[:4]):
        posts.edit_post(question.owner, question, title=f"Papaya scanner fails {n}")
        assert search.drain() == 1
    # Each drain wrote a 1-question segment; with three small ones, the fourth
    # drain merged them with its own question. The rebuild's two segments
    # stayed (their replaced documents only marked deleted).
    assert sizes() == [3, 3, 4]
    assert sorted(found("papaya")) == sorted(q.id for q in made[:4])
    assert sorted(found("kumquat")) == sorted(q.id for q in made[4:])
    assert search.check() == []


def test_drains_merge_segments_of_one_size_level_only(app):
    # Before levels, every segment under the limit merged whenever enough
    # existed: a large one was rewritten again and again (seconds each time).
    app.config.update(SEARCH_MERGE_MAX_DOCS=100, SEARCH_MERGE_MIN_SEGMENTS=3)
    made = [make_question(title=f"Kumquat printer model {n}") for n in range(13)]
    search.drain()  # one 13-question segment (level 2: 9 to 26 questions)

    def sizes() -> list[int]:
        with searchers.searcher() as s:
            return sorted(r.doc_count_all() for r, _ in s.reader().leaf_readers())

    assert sizes() == [13]
    for n, question in enumerate(made[:4]):
        posts.edit_post(question.owner, question, title=f"Papaya scanner fails {n}")
        assert search.drain() == 1
    # The fourth drain merged the three 1-question segments (level 0) with its
    # own question; the 13-question segment was not rewritten.
    assert sizes() == [4, 13]
    assert sorted(found("papaya")) == sorted(q.id for q in made[:4])
    assert search.check() == []


def test_a_searcher_reads_segments_a_drain_merged_away_meanwhile(app, client):
    # A request's searcher opens a segment's columns (stored fields, sort
    # keys) when a query first reads them; the indexer's drain merging that
    # segment away used to delete them first: a 500 now and then under load.
    app.config.update(SEARCH_MERGE_MAX_DOCS=100, SEARCH_MERGE_MIN_SEGMENTS=3)
    made = []
    for n in range(3):
        made.append(make_question(title=f"Kumquat printer model {n}"))
        search.drain()
    folder = Path(app.config["SEARCH_INDEX_DIR"]) / live_name()
    with searchers.searcher() as held:
        made.append(make_question(title="Kumquat printer model 3"))
        search.drain()  # merges the three 1-question segments with its own
        with searchers.searcher() as fresh:
            assert len(fresh.reader().leaf_readers()) == 1
        assert len(held.reader().leaf_readers()) == 3
        hits = held.search(wq.Term("title", "kumquat"))
        assert sorted(int(hit["id"]) for hit in hits) == [q.id for q in made[:3]]
    assert client.get("/search?q=kumquat").status_code == 200
    # Once no searcher can be on them (the grace period passed), the next
    # commit deletes the merged segments' files and the old tables.
    files = {path.name for path in folder.iterdir()}
    past = time.time() - 2 * store.GRACE_SECONDS
    for path in folder.glob("_MAIN_*.toc"):
        os.utime(path, (past, past))
    posts.edit_post(made[0].owner, made[0], title="Papaya scanner fails")
    search.drain()
    left = {path.name for path in folder.iterdir()}
    # The tables of the first three drains go; the fourth's was replaced
    # just now, so it stays for the grace period.
    assert sorted(name for name in files - left if name.endswith(".toc")) == [
        "_MAIN_1.toc",
        "_MAIN_2.toc",
        "_MAIN_3.toc",
    ]
    assert len({name for name in files - left if name.endswith(".trm")}) == 3
    with searchers.searcher() as s:
        assert len(s.reader().leaf_readers()) == 2
    assert found("papaya") == [made[0].id]
    assert sorted(found("kumquat")) == [q.id for q in made[1:]]
    assert search.check() == []


def test_rebuild_swaps_generations_atomically(app):
    first = make_question(title="Kumquat printer jams on envelopes")
    search.drain()
    old_name = live_name()
    old_searcher = indexer.store().open().searcher()
    second = make_question(title="Papaya scanner skips pages")
    seen_during_build = []

    def progress(count):
        # Mid-build: the old generation is still live and still answers.
        seen_during_build.append((live_name(), found("kumquat"), count))

    try:
        assert search.rebuild(progress=progress) == 2
        assert seen_during_build == [(old_name, [first.id], 2)]
        assert live_name() != old_name
        # A searcher opened before the swap keeps working on its generation.
        assert old_searcher.doc_count() == 1
        assert old_searcher.document(id=str(first.id)) is not None
    finally:
        old_searcher.close()
    assert found("papaya") == [second.id]
    assert search.check() == []


def test_rebuild_covers_rows_written_while_it_runs(app):
    make_question()
    search.drain()
    late = []

    def progress(count):
        if not late:
            late.append(make_question(title="Papaya scanner skips pages"))

    search.rebuild(progress=progress)
    # Its outbox row is after the build's snapshot: applied (again) by a drain.
    assert search.drain() == 1
    assert found("papaya") == [late[0].id]
    assert search.check() == []


def test_failed_rebuild_leaves_the_live_index_alone(app):
    make_question()
    search.drain()
    name = live_name()

    def progress(count):
        raise RuntimeError("disk full")

    with pytest.raises(RuntimeError):
        search.rebuild(progress=progress)
    assert live_name() == name
    gens = sorted(p.name for p in Path(app.config["SEARCH_INDEX_DIR"]).glob("gen-*"))
    assert gens == [name, f"{name}.database", f"{name}.state"]
    assert search.check() == []


# -- the write lock -----------------------------------------------------------


def test_drain_returns_busy_while_another_writer_holds_the_lock(app):
    search.drain()
    question = make_question(title="Kumquat printer jams on envelopes")
    holder = indexer.store().open().writer()  # another writer, as another process
    try:
        assert search.drain() == indexer.BUSY
        assert found("kumquat") == []
    finally:
        holder.cancel()
    assert search.drain() == 1
    assert found("kumquat") == [question.id]


def test_thread_mode_never_makes_the_committer_wait_for_the_lock(app, restart):
    """A commit returns at once while the lock is held; the background thread
    applies the row after the holder lets go."""
    search.drain()
    server = restart(SEARCH_INDEXING="thread", SEARCH_POLL_SECONDS=0.1)
    background = server.extensions["forum_search_indexer"]
    holder = indexer.store().open().writer()
    try:
        with server.app_context():
            started = time.monotonic()
            question = make_question(title="Kumquat printer jams on envelopes")
            assert time.monotonic() - started < 2
            assert background.thread.is_alive()
            time.sleep(0.3)
            assert found("kumquat") == []
            holder.cancel()
            assert wait_for(lambda: found("kumquat") == [question.id])
    finally:
        if not holder.is_closed:
            holder.cancel()
        background.stop()
    assert not background.thread.is_alive()


def test_thread_mode_gathers_commits_into_one_index_commit(app, restart):
    search.drain()
    before = indexer.store().open().latest_generation()
    server = restart(
        SEARCH_INDEXING="thread", SEARCH_POLL_SECONDS=60, SEARCH_GATHER_SECONDS=1.0
    )
    background = server.extensions["forum_search_indexer"]
    try:
        with server.app_context():
            made = []
            for n in range(4):  # each drain would be done before the next
                made.append(make_question(title=f"Kumquat printer {n}"))
                time.sleep(0.15)
            assert wait_for(lambda: len(found("kumquat")) == 4)
    finally:
        background.stop()
    # The first commit woke the thread; the others came while it waited.
    commits = indexer.store().open().latest_generation() - before
    assert 1 <= commits <= 2, commits
    assert sorted(found("kumquat")) == sorted(q.id for q in made)


def test_thread_mode_starts_following_on_the_first_request(app, restart):
    """A server that commits nothing itself still follows the outbox."""
    search.drain()
    question = make_question(title="Kumquat printer jams on envelopes")
    server = restart(SEARCH_INDEXING="thread", SEARCH_POLL_SECONDS=0.1)
    assert server.extensions["forum_search_indexer"].thread is None
    server.test_client().get("/")
    assert wait_for(lambda: found("kumquat") == [question.id])


# Whoosh leaves files open when it fails on a damaged index (closed by gc here).
@pytest.mark.filterwarnings("ignore::pytest.PytestUnraisableExceptionWarning")
def test_thread_rebuilds_an_index_damaged_while_running(app, restart, search_log):
    search.drain()
    old = live_name()
    for path in (Path(app.config["SEARCH_INDEX_DIR"]) / old).glob("*.toc"):
        path.write_bytes(b"garbage" * 50)
    server = restart(SEARCH_INDEXING="thread", SEARCH_POLL_SECONDS=0.1)
    with server.app_context():
        question_id = make_question(title="Kumquat printer jams on envelopes").id
    assert wait_for(lambda: live_name() != old)
    assert wait_for(lambda: found("kumquat") == [question_id])
    assert any("search indexing failed, will retry" in m for m in search_log)
    server.extensions["forum_search_indexer"].stop()
    gc.collect()


def test_stopping_the_thread_applies_what_was_committed(app):
    search.drain()
    app.config["SEARCH_POLL_SECONDS"] = 60
    thread = background.BackgroundIndexer(app)
    thread.start()
    question = make_question(title="Kumquat printer jams on envelopes")
    thread.stop()
    assert found("kumquat") == [question.id]


def wait_for(condition, seconds: float = 15.0) -> bool:
    """Poll ``condition`` (ending each try's transaction) until true or timeout."""
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        db.session.rollback()
        if condition():
            return True
        time.sleep(0.05)
    return False


# -- outbox ids that commit out of order -------------------------------------


def add_row(question_id: int, row_id: int | None = None) -> None:
    """Commit an outbox row (with an explicit id: one that committed late)."""
    db.session.add(
        SearchOutbox(id=row_id, question_id=question_id, created_at=utcnow())
    )
    db.session.commit()


def retitle_behind_the_index(question: Question, title: str) -> None:
    """Change a title without an outbox row (the row comes separately)."""
    db.session.execute(
        update(Question).where(Question.id == question.id).values(title=title)
    )
    db.session.commit()


def test_row_below_the_watermark_within_the_lookback_is_applied(app):
    late, other = make_question(), make_question()
    search.drain()
    top = db.session.scalar(select(func.max(SearchOutbox.id)))
    add_row(other.id, top + 2)  # top + 1 is still "in flight"
    search.drain()
    state = indexer.live_state()
    assert state["watermark"] == top + 2 and set(state["gaps"]) == {top + 1}
    retitle_behind_the_index(late, "Papaya scanner skips pages")
    add_row(late.id, top + 1)  # commits after the watermark passed it
    assert search.drain() == 1
    assert found("papaya") == [late.id]
    assert indexer.live_state()["gaps"] == {}


def test_skipped_ids_are_given_up_after_the_lookback(app):
    question = make_question()
    search.drain()
    app.config["SEARCH_LOOKBACK_SECONDS"] = 0
    top = db.session.scalar(select(func.max(SearchOutbox.id)))
    add_row(question.id, top + 2)
    search.drain()
    assert indexer.live_state() == {"watermark": top + 2, "gaps": {}}


def test_advance_awaits_skipped_ids_until_they_come_or_time_runs_out():
    state = {"watermark": 10, "gaps": {}}
    state = outbox.advance(state, [11, 14], now=100.0, wait=60)
    assert state == {"watermark": 14, "gaps": {12: 100.0, 13: 100.0}}
    state = outbox.advance(state, [12, 15], now=130.0, wait=60)
    assert state == {"watermark": 15, "gaps": {13: 100.0}}
    assert outbox.advance(state, [], now=161.0, wait=60) == {
        "watermark": 15,
        "gaps": {},
    }
    huge = outbox.advance(state, [10**7], now=161.0, wait=60)
    assert len(huge["gaps"]) == outbox.MAX_GAPS and max(huge["gaps"]) == 10**7 - 1


@on_postgresql
def test_out_of_order_commits_on_postgresql_are_applied(app):
    """A transaction that took its outbox id first but commits last."""
    slow_q, fast_q = make_question(), make_question()
    search.drain()
    with Session(db.engine) as slow:
        slow.execute(
            update(Question)
            .where(Question.id == slow_q.id)
            .values(title="Papaya scanner skips pages")
        )
        slow.add(SearchOutbox(question_id=slow_q.id, created_at=utcnow()))
        slow.flush()  # takes the lower id, not committed yet
        retitle_behind_the_index(fast_q, "Kumquat printer jams on envelopes")
        add_row(fast_q.id)  # a higher id, committed first
        assert search.drain() == 1
        assert found("kumquat") == [fast_q.id]
        slow.commit()
    assert search.drain() == 1
    assert found("papaya") == [slow_q.id]
    assert search.check() == []


@on_postgresql
def test_rebuild_awaits_ids_still_in_flight_on_postgresql(app):
    slow_q = make_question()
    search.drain()
    with Session(db.engine) as slow:
        slow.execute(
            update(Question)
            .where(Question.id == slow_q.id)
            .values(title="Papaya scanner skips pages")
        )
        slow.add(SearchOutbox(question_id=slow_q.id, created_at=utcnow()))
        slow.flush()
        add_row(make_question().id)
        search.rebuild()
        slow.commit()
    search.drain()
    assert found("papaya") == [slow_q.id]
    assert search.check() == []


# -- replicas -------------------------------------------------------------------


def test_a_second_index_follows_the_same_outbox(app, restart, tmp_path):
    """Another host keeps its own index from the same database's outbox."""
    question = make_question(title="Kumquat printer jams on envelopes")
    search.drain()
    replica = restart(SEARCH_INDEX_DIR=str(tmp_path / "replica-index"))
    with replica.app_context():
        assert found("kumquat") == [question.id]  # built on first use
    posts.edit_post(question.owner, question, title="Papaya printer jams on cards")
    comments.add_comment(commenter(), question, "Which gazebo model exactly?")
    with replica.app_context():
        assert search.drain() == 2
        assert found("papaya gazebo") == [question.id]
        assert search.check() == []
    assert found("papaya") == []  # this index has not drained yet
    search.drain()
    assert search.check() == []


def test_concurrent_drains_in_threads_apply_every_row(app):
    search.drain()
    app.config["SEARCH_INDEXING"] = "sync"
    errors = []

    def ask(n: int) -> None:
        with app.app_context():
            try:
                author = db.session.get(User, owner_id)
                for i in range(3):
                    make_question(
                        author, title=f"Thread {n} question {i} kumquat", tags="x"
                    )
            except Exception as error:  # reported below
                errors.append(error)
            finally:
                db.session.remove()

    owner_id = make_question(tags="x").owner_id  # the tag exists: no race on it
    threads = [threading.Thread(target=ask, args=(n,)) for n in range(3)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=60)
    assert errors == []
    assert len(found("kumquat")) == 9
    assert search.check() == []
