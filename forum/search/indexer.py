"""Keeping the index in step with the database through the outbox.

The database is the source of truth. Every change to indexed content adds a
``SearchOutbox`` row in its own transaction (``enqueue``); after the commit the
row is applied to the index by whichever process gets the Whoosh write lock
first (``drain``, never waiting for it). Re-applying a row is harmless:
documents are rebuilt from the database, not from the row.

Each index remembers which rows it applied (forum.search.outbox), so every
process and every host with its own index follows the same outbox. When a
running app drains is forum.search.background's part.
"""

import logging
import threading
import time
from collections.abc import Callable

from flask import current_app
from sqlalchemy import inspect
from sqlalchemy.exc import SQLAlchemyError
from whoosh.codec.base import Segment
from whoosh.filedb.filestore import Storage
from whoosh.index import TOC, EmptyIndexError, Index, LockError
from whoosh.reading import SegmentReader
from whoosh.writing import IndexWriter, SegmentWriter

from forum.extensions import db
from forum.models import SearchOutbox, utcnow
from forum.search import consistency, outbox, vectors
from forum.search.documents import all_question_ids, documents_for
from forum.search.outbox import BATCH
from forum.search.store import GRACE_SECONDS, IndexState, IndexStore, empty_state
from forum.services import backups

log = logging.getLogger("forum.search")

# Called with how many questions a rebuild has just indexed (a progress bar).
Progress = Callable[[int], object]

# Segments stay separate files, read in place: Whoosh copies each part of a
# compound segment (.seg) into memory whenever a searcher opens.
WRITER_OPTIONS = {"compound": False}

BUSY = -1
# Memory a rebuild's writer (each process's) may use for postings before it
# sorts runs on disk: enough for SEARCH_REBUILD_SEGMENT_DOCS questions.
REBUILD_LIMIT_MB = 512


def store() -> IndexStore:
    """The index store of the current app."""
    return IndexStore(current_app.config["SEARCH_INDEX_DIR"])


def enqueue(question_id: int) -> None:
    """Record, in the current transaction, that a question must be re-indexed."""
    db.session.add(SearchOutbox(question_id=question_id, created_at=utcnow()))
    db.session.info["search_pending"] = True


def apply_ids(writer: IndexWriter, question_ids: list[int]) -> None:
    """Re-index (or remove) these questions with an open writer.

    Their old documents are deleted through one searcher, then the new ones
    added, as Whoosh advises for batches (``update_document`` opens a
    searcher per document; the same speed for a few, not for thousands).
    """
    with writer.searcher() as searcher:
        for question_id in question_ids:
            writer.delete_by_term("id", str(question_id), searcher=searcher)
    for start in range(0, len(question_ids), 500):
        for doc in documents_for(question_ids[start : start + 500]):
            writer.add_document(**doc)


def _size_level(docs: int, base: int) -> int:
    """0 for under ``base`` documents, 1 for under base**2, and so on."""
    level = 0
    while docs >= base:
        docs //= base
        level += 1
    return level


def merge_small_segments(
    writer: SegmentWriter, segments: list[Segment]
) -> list[Segment]:
    """Whoosh merge policy of the outbox drains, by size levels (as Lucene's
    log merge policy): once SEARCH_MERGE_MIN_SEGMENTS segments of one level
    exist (level 0: under that many questions, level 1: under its square...),
    they are merged into one, of the next level, if together they hold at
    most SEARCH_MERGE_MAX_DOCS questions. Each question is so rewritten a
    few times, not at every drain, and the write lock is held briefly.
    Larger segments, such as a rebuild's, are never touched (merging them
    would hold the lock for minutes); a rebuild compacts everything.
    """
    config = current_app.config
    limit = config["SEARCH_MERGE_MAX_DOCS"]
    group = max(2, config["SEARCH_MERGE_MIN_SEGMENTS"])
    levels: dict[int, list[Segment]] = {}
    for seg in segments:
        docs = seg.doc_count_all()
        if docs < limit:
            levels.setdefault(_size_level(docs, group), []).append(seg)
    merged: list[Segment] = []
    for level in sorted(levels):
        candidates = sorted(levels[level], key=lambda seg: seg.doc_count_all())
        if len(candidates) < group:
            continue
        chosen: list[Segment] = []
        total = 0
        for seg in candidates:
            if total + seg.doc_count_all() > limit:
                break
            chosen.append(seg)
            total += seg.doc_count_all()
        if len(chosen) >= 2:
            merged.extend(chosen)
    for seg in merged:
        reader = SegmentReader(writer.storage, writer.schema, seg)
        writer.add_reader(reader)
        reader.close()
    return [seg for seg in segments if seg not in merged]


class _GraceWriter(SegmentWriter):
    """The drains' writer: it leaves the files of the segments a commit
    merged away for GRACE_SECONDS (``remove_unused``), where Whoosh deletes
    them at once. A searcher opened before the commit opens a segment's
    columns (stored fields, lengths, sort keys) only when a query first
    reads them, and found them gone: a 500 now and then under load."""

    def _commit_toc(self, segments: list[Segment]) -> None:
        TOC(self.schema, segments, self.generation).write(self.storage, self.indexname)
        remove_unused(self.storage, self.indexname, segments)


def remove_unused(storage: Storage, indexname: str, segments: list[Segment]) -> None:
    """Delete the index files no searcher can still read: the segments of
    neither ``segments`` (the commit's) nor a table of contents replaced less
    than GRACE_SECONDS ago, and the tables of contents replaced before that."""
    now = time.time()
    toc_name = TOC._pattern(indexname)
    segment_name = TOC._segment_pattern(indexname)
    tocs = sorted(
        (int(match.group(1)), filename)
        for filename in storage
        if (match := toc_name.match(filename))
    )
    keep = {seg.segment_id() for seg in segments}
    for (gen, filename), (_, successor) in zip(tocs, tocs[1:], strict=False):
        try:
            if now - storage.file_modified(successor) < GRACE_SECONDS:
                toc = TOC.read(storage, indexname, gen)
                keep.update(seg.segment_id() for seg in toc.segments)
                continue
            storage.delete_file(filename)
        except OSError:
            continue  # another writer's commit removed it first
    for filename in list(storage):
        match = segment_name.match(filename)
        if match and match.group(1) not in keep and not filename.startswith("."):
            try:
                storage.delete_file(filename)
            except OSError:
                pass


def _drain_batch(idx_store: IndexStore, name: str, limit: int) -> int:
    """Apply up to ``limit`` pending rows to generation ``name`` (or BUSY)."""
    # Idle polls stay off the write lock (a writer creates segment files). The
    # state may be older than the one read under the lock below: an older state
    # only sees more rows as pending, never fewer.
    idle = not outbox.pending_rows(idx_store.read_state(name), 1)
    db.session.rollback()
    if idle:
        return 0
    ix = idx_store.open(name)
    try:
        writer = _GraceWriter(ix, timeout=0, **WRITER_OPTIONS)
    except LockError:
        return BUSY
    try:
        state = idx_store.read_state(name)
        rows = outbox.pending_rows(state, limit)
        if rows:
            apply_ids(writer, sorted({qid for _, qid in rows}))
            writer.commit(mergetype=merge_small_segments)
        else:
            writer.cancel()
    except BaseException:
        if not writer.is_closed:
            writer.cancel()
        raise
    finally:
        db.session.rollback()  # end the read transaction; nothing was written
    # Written after the lock is released: a drain that slipped in between read
    # the older state, so at worst it re-applies rows (never skips any).
    applied = [row_id for row_id, _ in rows]
    new_state = outbox.advance(state, applied, time.time(), outbox.lookback())
    if new_state != state:
        idx_store.write_state(name, new_state)
    return len(rows)


def drain(limit: int = BATCH) -> int:
    """Apply pending outbox rows to the live index, a batch per index commit.

    Returns how many rows were applied, or BUSY when another writer holds the
    lock (it, or a later drain, will apply them). Never blocks on the lock.
    Rolls back the session's transaction (call it with nothing uncommitted).
    """
    idx_store = store()
    name = idx_store.current_name()
    if name is not None and (
        idx_store.damage(name) or _other_database(idx_store, name) is not None
    ):
        ensure_index()  # rebuilt (damaged, or from a restored database), logged
    applied = 0
    while True:
        name = live_name(idx_store)
        done = _drain_batch(idx_store, name, limit)
        if done == BUSY:
            return BUSY
        applied += done
        # A rebuild may have swapped generations meanwhile: catch the new one up.
        if done < limit and idx_store.current_name() == name:
            return applied


def drain_until_done(deadline: float, stop: threading.Event | None = None) -> int:
    """Drain, retrying while another writer holds the lock, until ``deadline``
    (time.monotonic) or ``stop``; returns rows applied or BUSY if time ran out."""
    while True:
        done = drain()
        if done != BUSY or time.monotonic() >= deadline:
            return done
        if stop is not None and stop.is_set():
            return BUSY
        time.sleep(0.05)


def _build(idx_store: IndexStore, progress: Progress | None, procs: int) -> int:
    """Write a new generation from the database and publish it."""
    # Rows up to the snapshot are covered by reading the database afterwards.
    state = outbox.snapshot()
    database = database_identity()
    name = idx_store.new_generation()
    per_segment = current_app.config["SEARCH_REBUILD_SEGMENT_DOCS"]
    count = 0
    writer: IndexWriter | None = None
    in_writer = 0
    try:
        ix = idx_store.open(name)
        for ids in all_question_ids():
            docs = documents_for(ids)
            for doc in docs:
                if writer is None:
                    writer = _segment_writer(ix, procs, per_segment)
                writer.add_document(**doc)
                in_writer += 1
                if in_writer >= per_segment * procs:
                    _commit_segments(writer)
                    writer, in_writer = None, 0
            count += len(docs)
            if progress:
                progress(len(ids))
        if writer is not None:
            _commit_segments(writer)
    except BaseException:
        if writer is not None and not writer.is_closed:
            writer.cancel()
        idx_store.discard(name)
        raise
    if database is not None:
        idx_store.write_identity(name, database)
    idx_store.publish(name, state)
    vectors.start_pass(state)
    log.info("search index rebuilt: %d questions in %s", count, name)
    return count


def _segment_writer(ix: Index, procs: int, per_segment: int) -> IndexWriter:
    """A writer for the next ``procs`` segments of a rebuild.

    Segments are kept small enough for Whoosh to sort their postings in
    memory: a writer that outgrows ``limitmb`` sorts runs on disk and merges
    them, several times slower per question.
    """
    if procs > 1:
        # One batch per process: each writes one segment of per_segment.
        return ix.writer(
            procs=procs,
            multisegment=True,
            batchsize=per_segment,
            limitmb=REBUILD_LIMIT_MB,
            **WRITER_OPTIONS,
        )
    return ix.writer(limitmb=REBUILD_LIMIT_MB, **WRITER_OPTIONS)


def _commit_segments(writer: IndexWriter) -> None:
    """Commit a rebuild's segments as they are."""
    # merge=False: a rebuild's segments are final; merging them would re-sort
    # every posting written so far.
    writer.commit(merge=False)


def rebuild(progress: Progress | None = None, procs: int = 1) -> int:
    """Build a new generation from the database and make it live atomically.

    Searches keep using the old generation until the swap; one build runs at a
    time. Returns how many questions were indexed; ``progress(n)`` is called
    after each batch of ``n`` questions; ``procs`` > 1 uses Whoosh's
    multiprocess writer.
    """
    idx_store = store()
    with _process_lock, idx_store.exclusive():
        return _build(idx_store, progress, procs)


def _readable(idx_store: IndexStore) -> bool:
    """Whether the live generation can serve; logs why not."""
    name = idx_store.current_name()
    if name is None:
        return False
    problem = (
        _reported(idx_store, name)
        or idx_store.problem(name)
        or _other_database(idx_store, name)
    )
    if problem is not None:
        log.warning("search index %s is %s", name, problem)
    return problem is None


def _reported(idx_store: IndexStore, name: str) -> str | None:
    """Damage a reader reported for generation ``name`` (see searchers)."""
    damage = idx_store.damage(name)
    return f"reported damaged while read ({damage})" if damage else None


def database_identity() -> str | None:
    """The database's identity (``backups.identity``); None before the
    migrations made its table."""
    try:
        return backups.identity()
    except SQLAlchemyError:
        db.session.rollback()
        return None


def _other_database(idx_store: IndexStore, name: str) -> str | None:
    """Why generation ``name`` follows another state of the database (a
    restored backup: its outbox ids start again below the index's), or None.
    A generation built before identities were recorded adopts the current."""
    current = database_identity()
    recorded = idx_store.read_identity(name)
    if current is None or recorded == current:
        return None
    if recorded is None:
        idx_store.write_identity(name, current)
        return None
    return "built from another state of the database (a restored backup)"


def index_ready() -> bool:
    """Whether the live index can serve as it is (no build needed)."""
    return _readable(store())


def ensure_index() -> bool:
    """Rebuild a missing, unreadable or outdated index (logged). True if rebuilt.

    One process rebuilds; the others wait for it and then use its index.
    """
    idx_store = store()
    if _readable(idx_store):
        return False
    with _process_lock, idx_store.exclusive():
        if _readable(idx_store):
            return False
        log.warning("building the search index in %s from the database", idx_store.root)
        _build(idx_store, None, 1)
    return True


def live_name(idx_store: IndexStore) -> str:
    """The live generation's name, built from the database if there is none."""
    name = idx_store.current_name()
    if name is None:
        ensure_index()
        name = idx_store.current_name()
    if name is None:  # only if another process removed it meanwhile
        raise EmptyIndexError("no live search index")
    return name


_process_lock = threading.RLock()


def tables_ready() -> bool:
    """Whether the database has the schema (before migrations, it may not)."""
    try:
        return inspect(db.engine).has_table(SearchOutbox.__tablename__)
    except SQLAlchemyError:
        return False


def live_state() -> IndexState:
    """The outbox state of the live index (nothing applied when there is none)."""
    idx_store = store()
    name = idx_store.current_name()
    return idx_store.read_state(name) if name else empty_state()


def pending_count() -> int:
    """How many outbox rows the live index has not applied yet."""
    return outbox.count_pending(live_state())


def prune(days: float) -> int:
    """Delete outbox rows older than ``days`` that the live index has applied.

    Other hosts' replicas must have applied them too (see docs/operations.md,
    "Pruning the outbox").
    """
    if store().current_name() is None:
        return 0
    return outbox.prune(live_state(), days)


def check() -> list[str]:
    """Differences between the database and the live index, then the outbox
    rows not applied yet; an empty list when the index is up to date."""
    idx_store = store()
    name = idx_store.current_name()
    if name is None:
        return ["there is no search index (`flask --app forum search rebuild`)"]
    problem = idx_store.problem(name)
    if problem is not None:
        return [f"the search index {name} is {problem} (`search rebuild`)"]
    with idx_store.open(name).searcher() as searcher:
        problems = consistency.differences(searcher)
    pending = pending_count()
    if pending:
        problems.append(
            f"{pending} outbox row{'s are' if pending > 1 else ' is'} not applied "
            "to the index yet (`flask --app forum search sync` applies them)"
        )
    return problems
