"""When the outbox is drained in a running app (SEARCH_INDEXING).

"thread" drains on a background thread after each commit and every
SEARCH_POLL_SECONDS (rows other processes or hosts wrote); "sync" drains
before the committing call returns (tests); "manual" leaves rows to
``drain()`` / ``flask search sync``.
"""

import atexit
import logging
import threading
import time

from flask import Flask, current_app
from sqlalchemy import event
from sqlalchemy.orm import Session, SessionTransaction

from forum.extensions import db
from forum.search import vectors
from forum.search.indexer import BUSY, drain_until_done, ensure_index

log = logging.getLogger("forum.search")

# Questions the thread encodes between two looks at the outbox: a new post
# waits for at most one such batch before it is indexed.
BACKGROUND_BATCH = 8


class BackgroundIndexer:
    """One thread per process that drains the outbox after local commits and
    every SEARCH_POLL_SECONDS (rows written by other processes or hosts)."""

    def __init__(self, app: Flask) -> None:
        self.app = app
        self.wake = threading.Event()
        self.stopping = threading.Event()
        self.thread: threading.Thread | None = None
        self.lock = threading.Lock()
        self.failed = False

    def start(self) -> None:
        """Start the thread unless it runs (also after a fork, or if it died)."""
        with self.lock:
            if self.stopping.is_set():
                return
            if self.thread is None or not self.thread.is_alive():
                self.thread = threading.Thread(
                    target=self.run, name="forum-search-indexer", daemon=True
                )
                self.thread.start()
                atexit.register(self.stop)

    def notify(self) -> None:
        """Ask for a drain soon (starts the thread on first use)."""
        self.start()
        self.wake.set()

    def stop(self, timeout: float = 10.0) -> None:
        """Apply what is committed so far, then end the thread (waits ``timeout``)."""
        atexit.unregister(self.stop)
        self.stopping.set()
        self.wake.set()
        thread = self.thread
        if thread is not None and thread is not threading.current_thread():
            thread.join(timeout)

    def run(self) -> None:
        """Drain on start, SEARCH_GATHER_SECONDS after a wake-up, and every
        poll interval."""
        poll = self.app.config["SEARCH_POLL_SECONDS"]
        gather = self.app.config["SEARCH_GATHER_SECONDS"]
        while not self.stopping.is_set():
            self.wake.clear()
            self.drain_once(time.monotonic() + 3600, self.stopping)
            if self.wake.wait(timeout=poll) and gather > 0:
                # Let the commits of the next moment join this index commit:
                # under a stream of votes, one Whoosh commit applies many.
                self.stopping.wait(gather)
        # A drain that starts now sees every commit made before stop().
        self.drain_once(time.monotonic() + 5)

    def drain_once(self, deadline: float, stop: threading.Event | None = None) -> None:
        """Drain in an app context of our own; failures are logged and retried."""
        with self.app.app_context():
            try:
                if self.failed:
                    ensure_index()  # a damaged index is rebuilt, not retried forever
                drain_until_done(deadline, stop)
                self.failed = False
                if vectors.enabled(self.app):
                    self.encode_between_drains(stop)
            except Exception as error:  # the thread must outlive any failure
                self.failed = True
                log.warning("search indexing failed, will retry: %r", error)
            finally:
                db.session.remove()

    def encode_between_drains(self, stop: threading.Event | None) -> None:
        """Encode new or changed questions a small batch at a time, going back
        to the index as soon as a commit wakes the thread."""
        while True:
            done = vectors.sync(BACKGROUND_BATCH)
            vectors.refresh()
            if done in (0, BUSY) or self.wake.is_set():
                return
            if stop is not None and stop.is_set():
                return


def init_app(app: Flask) -> None:
    """Choose how this app indexes after commits: "thread" (a background thread,
    started by the first request or commit), "sync" (before the committing call
    returns: tests) or "manual" (``drain()`` or ``flask search sync``)."""
    mode = app.config["SEARCH_INDEXING"]
    if mode not in ("thread", "sync", "manual"):
        raise ValueError(f"SEARCH_INDEXING must be thread, sync or manual: {mode!r}")
    indexer = BackgroundIndexer(app) if mode == "thread" else None
    app.extensions["forum_search_indexer"] = indexer
    if indexer is not None:
        # Servers follow the outbox from their first request on, even before
        # they commit anything themselves (another host may be writing).
        app.before_request(indexer.start)


@event.listens_for(Session, "after_commit")
def _after_commit(session: Session) -> None:
    """A commit of enqueued rows makes a drain due once the session has handed
    its connection back (a drain needs one of its own)."""
    if session.in_nested_transaction():
        return  # a savepoint released: the rows are not committed yet
    if session.info.pop("search_pending", False):
        session.info["search_due"] = True


@event.listens_for(Session, "after_transaction_end")
def _after_transaction_end(session: Session, transaction: SessionTransaction) -> None:
    """Get due rows applied: by the background thread, or now (sync mode)."""
    if transaction.parent is not None:
        return  # a savepoint: wait for the outermost transaction
    # Rows enqueued by a transaction that rolled back do not exist.
    session.info.pop("search_pending", None)
    if not session.info.pop("search_due", False):
        return
    # The app itself, not the proxy: the drain runs on another thread.
    app = current_app._get_current_object()  # type: ignore[attr-defined]  # LocalProxy
    indexer = app.extensions.get("forum_search_indexer")
    if indexer is not None:
        indexer.notify()
    elif app.config["SEARCH_INDEXING"] == "sync":
        drain_in_thread(app)


def drain_in_thread(app: Flask, timeout: float = 30.0) -> None:
    """Drain now and wait for it, on another thread with its own session."""

    def work() -> None:
        with app.app_context():
            try:
                if drain_until_done(time.monotonic() + timeout) == BUSY:
                    log.warning("search index stayed locked; rows left pending")
                if vectors.enabled(app):
                    vectors.sync_until_done(time.monotonic() + timeout)
            except Exception as error:
                # The change is committed and its outbox row stays: the next
                # drain or `flask search sync` applies it.
                log.warning("search indexing failed, will retry: %r", error)
            finally:
                db.session.remove()

    thread = threading.Thread(target=work, name="forum-search-sync")
    thread.start()
    thread.join()
