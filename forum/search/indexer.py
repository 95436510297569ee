"""Keeping the index in step with the database through the outbox.

The database is the source of truth. Every change to indexed content adds a
``SearchOutbox`` row in its own transaction (``enqueue``); after the commit the
row is applied to the index by whichever process gets the Whoosh write lock
first (``drain``, never waiting for it). Each index remembers the last row it
applied (its watermark) plus the ids applied in the last
SEARCH_LOOKBACK_SECONDS, because on PostgreSQL ids can commit out of order;
re-applying a row is harmless (documents are rebuilt from the database).
"""

import logging
import threading
from datetime import timedelta

from flask import Flask, current_app
from sqlalchemy import event, func, inspect, or_, select
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session
from whoosh.index import EmptyIndexError, LockError

from forum.extensions import db
from forum.models import SearchOutbox, utcnow
from forum.search.documents import all_question_ids, documents_for
from forum.search.store import IndexStore

log = logging.getLogger("forum.search")

BUSY = -1


def store() -> IndexStore:
    """The index store of the current app."""
    return IndexStore(current_app.config["SEARCH_INDEX_DIR"])


def enqueue(question_id: int) -> None:
    """Record, in the current transaction, that a question must be re-indexed."""
    db.session.add(SearchOutbox(question_id=question_id, created_at=utcnow()))
    db.session.info["search_pending"] = True


def pending_rows(state: dict, limit: int = 5000) -> list[SearchOutbox]:
    """Outbox rows this index has not applied yet."""
    since = utcnow() - timedelta(seconds=current_app.config["SEARCH_LOOKBACK_SECONDS"])
    recent = state["recent"]
    late = SearchOutbox.created_at > since
    if recent:
        late = late & SearchOutbox.id.not_in(recent)
    stmt = (
        select(SearchOutbox)
        .where(or_(SearchOutbox.id > state["watermark"], late))
        .order_by(SearchOutbox.id)
        .limit(limit)
    )
    return list(db.session.scalars(stmt))


def apply_ids(writer, question_ids: list[int]) -> None:
    """Re-index (or remove) these questions with an open writer."""
    for start in range(0, len(question_ids), 500):
        docs, gone = documents_for(question_ids[start : start + 500])
        for doc in docs:
            writer.update_document(**doc)
        for doc_id in gone:
            writer.delete_by_term("id", doc_id)


def drain() -> int:
    """Apply pending outbox rows to the live index.

    Returns how many rows were applied, or BUSY when another writer holds the
    lock (it, or a later drain, will apply them). Never blocks on the lock.
    """
    idx_store = store()
    name = idx_store.current_name()
    if name is None:
        ensure_index()
        name = idx_store.current_name()
    ix = idx_store.open(name)
    try:
        writer = ix.writer(timeout=0)
    except LockError:
        return BUSY
    try:
        state = idx_store.read_state(name)
        rows = pending_rows(state)
        if not rows:
            writer.cancel()
            return 0
        apply_ids(writer, sorted({row.question_id for row in rows}))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    finally:
        db.session.rollback()  # end the read transaction; nothing was written
    since = utcnow() - timedelta(seconds=current_app.config["SEARCH_LOOKBACK_SECONDS"])
    recent = set(state["recent"]) | {r.id for r in rows if r.created_at > since}
    watermark = max(state["watermark"], max(r.id for r in rows))
    idx_store.write_state(name, {"watermark": watermark, "recent": sorted(recent)})
    return len(rows)


def rebuild(progress=None, procs: int = 1) -> int:
    """Build a new generation from the database and make it live atomically.

    Searches keep using the old generation until the swap. Returns how many
    questions were indexed; ``progress(n)`` is called after each batch.
    """
    idx_store = store()
    # Rows up to here are covered by reading the database afterwards.
    watermark = db.session.scalar(select(func.max(SearchOutbox.id))) or 0
    name = idx_store.new_generation()
    ix = idx_store.open(name)
    writer = (
        ix.writer(procs=procs, limitmb=256, multisegment=True)
        if procs > 1
        else ix.writer(limitmb=256)
    )
    count = 0
    try:
        for ids in all_question_ids():
            docs, _ = documents_for(ids)
            for doc in docs:
                writer.add_document(**doc)
            count += len(docs)
            if progress:
                progress(len(ids))
        writer.commit()
    except BaseException:
        writer.cancel()
        raise
    idx_store.publish(name, {"watermark": watermark, "recent": []})
    log.info("search index rebuilt: %d questions in %s", count, name)
    return count


def _readable(idx_store: IndexStore) -> bool:
    name = idx_store.current_name()
    if name is None:
        return False
    try:
        idx_store.open(name).close()
    except (EmptyIndexError, OSError, ValueError, EOFError) as error:
        log.warning("search index %s is unreadable (%s)", name, error)
        return False
    return True


def ensure_index() -> bool:
    """Rebuild a missing or unreadable index (logged). Returns True if rebuilt.

    One process rebuilds; the others wait for it and then use its index.
    """
    idx_store = store()
    if _readable(idx_store):
        return False
    with _process_lock, idx_store.exclusive():
        if _readable(idx_store):
            return False
        log.warning("building the search index in %s from the database", idx_store.root)
        rebuild()
    return True


_process_lock = threading.Lock()


class BackgroundIndexer:
    """One thread per process that drains the outbox after commits and polls it
    for rows written by other processes or hosts."""

    def __init__(self, app: Flask):
        self.app = app
        self.wake = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()

    def notify(self) -> None:
        """Ask for a drain soon (starts the thread on first use)."""
        with self.lock:
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self.run, name="forum-search-indexer", daemon=True
                )
                self.thread.start()
        self.wake.set()

    def run(self) -> None:
        """Drain on every wake-up and every poll interval, forever."""
        poll = self.app.config["SEARCH_POLL_SECONDS"]
        while True:
            self.wake.wait(timeout=poll)
            self.wake.clear()
            with self.app.app_context():
                try:
                    while drain() == BUSY:
                        # Another process is writing: try again shortly so
                        # rows it did not see are still applied.
                        self.wake.wait(timeout=0.25)
                        self.wake.clear()
                except (SQLAlchemyError, OSError, EmptyIndexError) as error:
                    log.warning("search indexing failed, will retry: %s", error)
                finally:
                    db.session.remove()


def init_app(app: Flask) -> None:
    """Choose how this app indexes after commits ("thread" or "sync")."""
    mode = app.config["SEARCH_INDEXING"]
    app.extensions["forum_search_indexer"] = (
        BackgroundIndexer(app) if mode == "thread" else None
    )


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """A commit that enqueued rows makes a drain due once the session has
    handed its connection back (a drain needs one of its own)."""
    if session.info.pop("search_pending", False):
        session.info["search_due"] = True


@event.listens_for(Session, "after_rollback")
def _after_rollback(session: Session) -> None:
    session.info.pop("search_pending", None)


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction) -> None:
    """Get due rows applied: by the background thread, or now (sync mode)."""
    if transaction.parent is not None or not session.info.pop("search_due", False):
        return
    app = current_app._get_current_object()
    indexer = app.extensions.get("forum_search_indexer")
    if indexer is not None:
        indexer.notify()
    elif app.config["SEARCH_INDEXING"] == "sync":
        drain_in_thread(app)


def drain_in_thread(app: Flask) -> None:
    """Drain now and wait for it, on another thread with its own session."""

    def work() -> None:
        with app.app_context():
            try:
                while drain() == BUSY:
                    threading.Event().wait(0.05)
            except (SQLAlchemyError, OSError, EmptyIndexError) as error:
                # The change is committed and its outbox row stays: the next
                # drain or `flask search sync` applies it.
                log.warning("search indexing failed, will retry: %s", error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name="forum-search-sync")
    thread.start()
    thread.join()


def tables_ready() -> bool:
    """Whether the database has the schema (before migrations, it may not)."""
    try:
        return inspect(db.engine).has_table(SearchOutbox.__tablename__)
    except SQLAlchemyError:
        return False


def check() -> list[str]:
    """Differences between the database and the live index (empty when equal)."""
    from sqlalchemy import select as _select

    from forum.models import Question

    live = {
        str(qid): (score, accepted is not None, dup is not None)
        for qid, score, accepted, dup in db.session.execute(
            _select(
                Question.id, Question.score, Question.accepted_answer_id,
                Question.duplicate_of_id,
            ).where(Question.deleted_at.is_(None))
        )
    }  # fmt: skip
    ix = store().open()
    with ix.searcher() as s:
        indexed = {
            f["id"]: (f.get("score"), f.get("accepted"), f.get("duplicate"))
            for f in s.all_stored_fields()
        }
    problems = [
        f"question {i} is missing from the index" for i in live.keys() - indexed.keys()
    ]
    problems += [
        f"question {i} is in the index but not live"
        for i in indexed.keys() - live.keys()
    ]
    for qid in live.keys() & indexed.keys():
        if live[qid] != indexed[qid]:
            problems.append(
                f"question {qid} differs: database (score, solved, duplicate) "
                f"{live[qid]}, index {indexed[qid]}"
            )
    return sorted(problems, key=lambda p: int(p.split()[1]))
