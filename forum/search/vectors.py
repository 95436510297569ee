"""Sentence vectors of the questions, kept beside the Whoosh index.

Each live question has two vectors of the sentence model (forum.search.encoder):
its title, and its title with the start of its body. They live in an SQLite
file beside the index generations (``vectors.sqlite3`` under
SEARCH_INDEX_DIR), a cache of the database like the index itself:

    encoded(digest, vector)      a vector per distinct text (by its hash), so a
                                 rebuild, restart or re-import never encodes an
                                 unchanged text again
    questions(id, title, full, seq)
                                 the digests of each question's two texts; a
                                 removed question keeps a row without digests
                                 (readers learn of it by ``seq``)
    meta(key, value)             the model, the outbox state, the build cursor

The indexer fills it (``sync``): it follows the same outbox as the index with
its own watermark and, until a first full pass over the questions is done
(``built``), walks them by id, a batch per call, so a big site is encoded in
the background and resumes where it stopped. A web request never encodes a
stored question; it reads the vectors a process holds in memory (``Space``),
refreshed by the indexer thread, and encodes only its own query.
"""

import fcntl
import hashlib
import json
import logging
import sqlite3
import threading
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np
from cachetools import LRUCache
from flask import Flask, current_app
from sqlalchemy import func, select

from forum.extensions import db
from forum.markup import plain_text
from forum.models import Question
from forum.search import outbox
from forum.search.encoder import Encoder, ModelMissing, model_files_present
from forum.search.store import IndexState, empty_state

log = logging.getLogger("forum.search")

# A row of the store read back: (seq, question id, title vector, full vector);
# a removed question has no vectors.
Change = tuple[int, int, bytes | None, bytes | None]

FILENAME = "vectors.sqlite3"
BUSY = -1
# Questions encoded per sync call: the indexer thread goes back to the index
# between batches, so new posts stay searchable during a long build.
BATCH = 64
# The body text a "full" vector reads: the model reads 256 tokens at most.
BODY_CHARS = 1500
# A space serves once its questions are all encoded but this many changes.
READY_BACKLOG = 100
# Query vectors a process remembers (a title is re-sent as the asker types).
QUERY_CACHE_SIZE = 512

_SCHEMA = """
CREATE TABLE IF NOT EXISTS encoded (digest BLOB PRIMARY KEY, vector BLOB NOT NULL);
CREATE TABLE IF NOT EXISTS questions (
    id INTEGER PRIMARY KEY, title BLOB, full BLOB, seq INTEGER NOT NULL);
CREATE INDEX IF NOT EXISTS questions_seq ON questions (seq);
CREATE TABLE IF NOT EXISTS meta (key TEXT PRIMARY KEY, value TEXT NOT NULL);
"""


def enabled(app: Flask | None = None) -> bool:
    """Whether the operator wants sentence vectors (SEARCH_EMBEDDINGS)."""
    config = (app or current_app).config
    return bool(config.get("SEARCH_EMBEDDINGS"))


def digest(model: str, text: str) -> bytes:
    """The cache key of a text's vector under a model."""
    return hashlib.sha256(f"{model}\0{text}".encode()).digest()[:16]


def texts_of(title: str, body_html: str | None) -> tuple[str, str]:
    """The two texts a question is encoded by: its title, and its title with
    the start of its body."""
    title = title or ""
    body = plain_text(body_html or "")[:BODY_CHARS]
    return title, f"{title}\n{body}".strip()


class VectorStore:
    """The SQLite file of vectors under one index directory."""

    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.path = self.root / FILENAME

    @contextmanager
    def connect(self) -> Iterator[sqlite3.Connection]:
        """A short-lived connection (one per call: threads and processes share
        the file through SQLite's own locking)."""
        self.root.mkdir(parents=True, exist_ok=True)
        con = sqlite3.connect(self.path, timeout=30, isolation_level=None)
        try:
            con.execute("PRAGMA journal_mode=WAL")
            con.execute("PRAGMA synchronous=NORMAL")
            con.executescript(_SCHEMA)
            yield con
        finally:
            con.close()

    @contextmanager
    def writing(self) -> Iterator[bool]:
        """Hold the store's writer lock without waiting: yields False when
        another process or thread is writing (it will do the work)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "vectors.lock", "w") as handle:
            try:
                fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
            except BlockingIOError:
                yield False
                return
            try:
                yield True
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- meta ----------------------------------------------------------------
    @staticmethod
    def get(con: sqlite3.Connection, key: str) -> str | None:
        """A meta value."""
        row = con.execute("SELECT value FROM meta WHERE key = ?", (key,)).fetchone()
        return None if row is None else str(row[0])

    @staticmethod
    def put(con: sqlite3.Connection, key: str, value: object) -> None:
        """Set (or, for None, delete) a meta value."""
        if value is None:
            con.execute("DELETE FROM meta WHERE key = ?", (key,))
        else:
            con.execute(
                "INSERT INTO meta (key, value) VALUES (?, ?) "
                "ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                (key, str(value)),
            )

    def status(self) -> dict[str, object]:
        """Model, epoch, whether built, build cursor, backlog, texts encoded,
        questions held."""
        with self.connect() as con:
            live = con.execute(
                "SELECT count(*) FROM questions WHERE full IS NOT NULL"
            ).fetchone()[0]
            return {
                "model": self.get(con, "model"),
                "epoch": int(self.get(con, "epoch") or 0),
                "built": self.get(con, "built") == "1",
                "cursor": self.get(con, "cursor"),
                "backlog": int(self.get(con, "backlog") or 0),
                "encoded": int(self.get(con, "encoded") or 0),
                "questions": int(live),
            }

    # -- writing -------------------------------------------------------------
    def reset(self, con: sqlite3.Connection, model: str) -> None:
        """Forget everything (another model's vectors mean nothing to this one)."""
        epoch = int(self.get(con, "epoch") or 0) + 1
        con.execute("DELETE FROM encoded")
        con.execute("DELETE FROM questions")
        con.execute("DELETE FROM meta")
        self.put(con, "model", model)
        self.put(con, "epoch", epoch)

    def start_build(self, con: sqlite3.Connection, state: IndexState) -> None:
        """Begin a pass over every question (resumable: the cursor is stored)."""
        self.put(con, "cursor", 0)
        self.put(con, "state", json.dumps(_dump_state(state)))

    def read_state(self, con: sqlite3.Connection) -> IndexState:
        """The outbox rows these vectors have followed."""
        raw = self.get(con, "state")
        if raw is None:
            return empty_state()
        data = json.loads(raw)
        return {
            "watermark": int(data["watermark"]),
            "gaps": {int(i): float(t) for i, t in data["gaps"]},
        }

    def write_state(self, con: sqlite3.Connection, state: IndexState) -> None:
        """Store the outbox state."""
        self.put(con, "state", json.dumps(_dump_state(state)))

    def missing(self, con: sqlite3.Connection, digests: Sequence[bytes]) -> set[bytes]:
        """The digests that have no vector yet."""
        wanted = list(dict.fromkeys(digests))
        have: set[bytes] = set()
        for start in range(0, len(wanted), 500):
            chunk = wanted[start : start + 500]
            marks = ",".join("?" * len(chunk))
            have.update(
                bytes(row[0])
                for row in con.execute(
                    f"SELECT digest FROM encoded WHERE digest IN ({marks})", chunk
                )
            )
        return set(wanted) - have

    def save(
        self,
        con: sqlite3.Connection,
        vectors: dict[bytes, np.ndarray],
        rows: dict[int, tuple[bytes, bytes] | None],
    ) -> None:
        """Store new vectors and the questions' digests (None: removed), in one
        transaction; only questions whose digests changed get a new seq."""
        con.execute("BEGIN IMMEDIATE")
        try:
            con.executemany(
                "INSERT OR IGNORE INTO encoded (digest, vector) VALUES (?, ?)",
                [(d, v.astype(np.float32).tobytes()) for d, v in vectors.items()],
            )
            seq = con.execute("SELECT coalesce(max(seq), 0) FROM questions").fetchone()
            next_seq = int(seq[0]) + 1
            for qid, pair in rows.items():
                old = con.execute(
                    "SELECT title, full FROM questions WHERE id = ?", (qid,)
                ).fetchone()
                new = (None, None) if pair is None else pair
                if old is None and pair is None:
                    continue
                if old is not None and tuple(old) == new:
                    continue
                con.execute(
                    "INSERT INTO questions (id, title, full, seq) VALUES (?, ?, ?, ?) "
                    "ON CONFLICT (id) DO UPDATE SET title = excluded.title, "
                    "full = excluded.full, seq = excluded.seq",
                    (qid, new[0], new[1], next_seq),
                )
                next_seq += 1
            con.execute("COMMIT")
        except BaseException:
            con.execute("ROLLBACK")
            raise

    def prune_encoded(self, con: sqlite3.Connection) -> int:
        """Drop vectors no question uses any more (after a full pass)."""
        cursor = con.execute(
            "DELETE FROM encoded WHERE digest NOT IN "
            "(SELECT title FROM questions WHERE title IS NOT NULL "
            "UNION SELECT full FROM questions WHERE full IS NOT NULL)"
        )
        return int(cursor.rowcount)

    # -- reading -------------------------------------------------------------
    def changes(self, con: sqlite3.Connection, after: int) -> list[Change]:
        """(seq, id, title vector, full vector) of rows changed after ``after``."""
        return [
            (int(seq), int(qid), title, full)
            for seq, qid, title, full in con.execute(
                "SELECT q.seq, q.id, t.vector, f.vector FROM questions q "
                "LEFT JOIN encoded t ON t.digest = q.title "
                "LEFT JOIN encoded f ON f.digest = q.full "
                "WHERE q.seq > ? ORDER BY q.seq",
                (after,),
            )
        ]

    def last_seq(self) -> int:
        """The newest change's number (about the rows a reader must read)."""
        with self.connect() as con:
            row = con.execute("SELECT coalesce(max(seq), 0) FROM questions").fetchone()
            return int(row[0])

    def full_vector(self, con: sqlite3.Connection, qid: int) -> np.ndarray | None:
        """A stored question's "full" vector (title and body start)."""
        row = con.execute(
            "SELECT f.vector FROM questions q JOIN encoded f ON f.digest = q.full "
            "WHERE q.id = ?",
            (qid,),
        ).fetchone()
        return None if row is None else np.frombuffer(row[0], dtype=np.float32)


def _dump_state(state: IndexState) -> dict[str, object]:
    return {
        "watermark": int(state["watermark"]),
        "gaps": sorted([int(i), float(t)] for i, t in state["gaps"].items()),
    }


def store() -> VectorStore:
    """The vector store of the current app."""
    return VectorStore(current_app.config["SEARCH_INDEX_DIR"])


# -- the model, once per process ---------------------------------------------
_encoders: dict[str, Encoder | None] = {}
_encoder_lock = threading.Lock()


def encoder() -> Encoder | None:
    """The sentence model of the current app, loaded once per process; None
    when switched off or missing (logged once)."""
    if not enabled():
        return None
    folder = str(current_app.config["SEARCH_MODEL_DIR"])
    with _encoder_lock:
        if folder not in _encoders:
            try:
                _encoders[folder] = Encoder.load(folder)
            except ModelMissing as error:
                log.warning("no sentence model, similar questions use BM25: %s", error)
                _encoders[folder] = None
        return _encoders[folder]


# -- filling the store (the indexer's part) ----------------------------------
def _question_texts(ids: Sequence[int]) -> dict[int, tuple[str, str]]:
    """The two texts of each live question among ``ids``."""
    if not ids:
        return {}
    rows = db.session.execute(
        select(Question.id, Question.title, Question.body_html).where(
            Question.id.in_(list(ids)), Question.deleted_at.is_(None)
        )
    )
    return {qid: texts_of(title, html) for qid, title, html in rows}


def _update(
    vstore: VectorStore, con: sqlite3.Connection, model: Encoder, ids: Sequence[int]
) -> int:
    """Encode what these questions need and store their digests; returns how
    many texts were encoded."""
    texts = _question_texts(ids)
    rows: dict[int, tuple[bytes, bytes] | None] = dict.fromkeys(ids)
    by_digest: dict[bytes, str] = {}
    for qid, (title, full) in texts.items():
        pair = (digest(model.name, title), digest(model.name, full))
        rows[qid] = pair
        by_digest[pair[0]] = title
        by_digest[pair[1]] = full
    todo = sorted(vstore.missing(con, list(by_digest)))
    vectors: dict[bytes, np.ndarray] = {}
    if todo:
        encoded = model.encode([by_digest[d] for d in todo])
        vectors = dict(zip(todo, encoded, strict=True))
    vstore.save(con, vectors, rows)
    if todo:  # `search check` reports it: a rebuild should add nothing
        total = int(vstore.get(con, "encoded") or 0) + len(todo)
        vstore.put(con, "encoded", total)
    return len(todo)


def sync(limit: int = BATCH) -> int:
    """One step of keeping the vectors up to date: apply up to ``limit``
    pending outbox rows, then encode the next ``limit`` questions of a full
    pass if one is running. Returns how many questions it went through (0:
    nothing to do), or BUSY when another process is at it. Rolls back the
    session (call it with nothing uncommitted)."""
    model = encoder()
    if model is None:
        return 0
    vstore = store()
    with vstore.writing() as mine:
        if not mine:
            return BUSY
        try:
            return _sync_step(vstore, model, limit)
        finally:
            db.session.rollback()


def _sync_step(vstore: VectorStore, model: Encoder, limit: int) -> int:
    with vstore.connect() as con:
        stored = vstore.get(con, "model")
        if stored is None:  # a new store (it may be seeded with vectors)
            vstore.put(con, "model", model.name)
            vstore.put(con, "epoch", 1)
        elif stored != model.name:
            vstore.reset(con, model.name)
        if vstore.get(con, "built") != "1" and vstore.get(con, "cursor") is None:
            vstore.start_build(con, outbox.snapshot())
        state = vstore.read_state(con)
        rows = outbox.pending_rows(state, limit)
        done = 0
        if rows:
            _update(vstore, con, model, sorted({qid for _, qid in rows}))
            state = outbox.advance(
                state, [r for r, _ in rows], time.time(), outbox.lookback()
            )
            vstore.write_state(con, state)
            done += len(rows)
        cursor = vstore.get(con, "cursor")
        if cursor is not None:
            done += _build_step(vstore, con, model, int(cursor), limit)
        vstore.put(con, "backlog", outbox.count_pending(state))
        return done


def _build_step(
    vstore: VectorStore, con: sqlite3.Connection, model: Encoder, after: int, limit: int
) -> int:
    """Encode the next questions of a full pass; finish the pass at the end."""
    ids = list(
        db.session.scalars(
            select(Question.id)
            .where(Question.id > after, Question.deleted_at.is_(None))
            .order_by(Question.id)
            .limit(limit)
        )
    )
    if ids:
        _update(vstore, con, model, ids)
        vstore.put(con, "cursor", ids[-1])
        return len(ids)
    # The pass is over: questions no longer live lose their vectors.
    live = set(
        db.session.scalars(select(Question.id).where(Question.deleted_at.is_(None)))
    )
    stored = [
        int(row[0])
        for row in con.execute("SELECT id FROM questions WHERE full IS NOT NULL")
    ]
    gone = [qid for qid in stored if qid not in live]
    if gone:
        vstore.save(con, {}, dict.fromkeys(gone))
    vstore.prune_encoded(con)
    vstore.put(con, "cursor", None)
    vstore.put(con, "built", "1")
    log.info("sentence vectors complete: %d questions", len(live))
    return 0


# -- reading (each process holds the vectors in memory) ----------------------
class Space:
    """A process's copy of the vectors: one matrix with a row per question,
    ``title_weight * title + full_weight * full``, so one product with a
    query gives the weighted sum of both cosines (half the memory, and half
    the time of two products). Updated in place from the store's changes
    (readers may see a row being replaced: one score slightly off for one
    call, never an error)."""

    def __init__(self, dimensions: int, weights: tuple[float, float]) -> None:
        self.dimensions = dimensions
        self.weights = weights
        self.lock = threading.RLock()  # re-entered by its own thread only
        self.epoch = -1
        self.loading = False  # a thread is reading the store (``current``)
        self._clear()

    def _clear(self) -> None:
        """Hold nothing (a new epoch: the store was reset)."""
        self.seq = 0
        self.size = 0
        self.ids = np.full(1024, -1, dtype=np.int64)
        self.mixed = np.zeros((1024, self.dimensions), dtype=np.float32)
        self.slot: dict[int, int] = {}
        self.ready = False
        self.checked = 0.0

    def _grow(self, needed: int) -> None:
        capacity = len(self.ids)
        if needed <= capacity:
            return
        capacity = max(needed, capacity + capacity // 2)
        ids = np.full(capacity, -1, dtype=np.int64)
        ids[: self.size] = self.ids[: self.size]
        mixed = np.zeros((capacity, self.dimensions), dtype=np.float32)
        mixed[: self.size] = self.mixed[: self.size]
        self.ids, self.mixed = ids, mixed

    def refresh(self, vstore: VectorStore) -> None:
        """Read the store's changes since the last refresh."""
        with self.lock:
            status = vstore.status()
            epoch = int(str(status["epoch"]))
            if epoch != self.epoch:
                self._clear()
                self.epoch = epoch
            with vstore.connect() as con:
                changes = vstore.changes(con, self.seq)
            if changes:
                self._apply(changes)
                self.seq = changes[-1][0]
            backlog = int(str(status["backlog"]))
            self.ready = bool(status["built"]) and backlog <= READY_BACKLOG
            self.checked = time.monotonic()

    def _apply(self, changes: list[Change]) -> None:
        """Write changed rows (a question appears once: the store keeps a row
        per question), all in one matrix operation."""
        rows: list[int] = []
        ids: list[int] = []
        titles: list[bytes] = []
        fulls: list[bytes] = []
        next_row = self.size
        for _, qid, title, full in changes:
            row = self.slot.get(qid)
            if title is None or full is None:
                if row is not None:  # removed: its row scores 0 as id -1
                    self.ids[row] = -1
                    self.mixed[row] = 0.0
                    del self.slot[qid]
                continue
            if row is None:
                row = next_row
                next_row += 1
            rows.append(row)
            ids.append(qid)
            titles.append(title)
            fulls.append(full)
        if not rows:
            return
        self._grow(next_row)
        shape = (len(rows), self.dimensions)
        title_weight, full_weight = self.weights
        title_vectors = np.frombuffer(b"".join(titles), np.float32).reshape(shape)
        full_vectors = np.frombuffer(b"".join(fulls), np.float32).reshape(shape)
        index = np.array(rows, dtype=np.int64)
        self.mixed[index] = title_weight * title_vectors + full_weight * full_vectors
        self.ids[index] = ids
        # Readers find a row by the map, and check its id (hybrid.mix).
        self.slot.update(zip(ids, rows, strict=True))
        self.size = next_row

    def reweigh(self, vstore: VectorStore, weights: tuple[float, float]) -> None:
        """Hold the vectors mixed with other weights (the relevance bench's
        grid; a served app keeps its weights)."""
        if weights == self.weights:
            return
        with self.lock:
            self.weights = weights
            self.epoch = -1  # the next refresh reads everything again
        self.refresh(vstore)

    def scores(self, query: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """(question ids, weighted title and full cosines with ``query``) of the
        held rows; a removed question's row has id -1 and scores 0."""
        size = self.size
        return self.ids[:size], self.mixed[:size] @ query


_spaces: dict[str, Space] = {}
_spaces_lock = threading.Lock()


def space() -> Space | None:
    """The current app's in-memory vectors (None when off or no model)."""
    model = encoder()
    if model is None:
        return None
    root = str(current_app.config["SEARCH_INDEX_DIR"])
    with _spaces_lock:
        held = _spaces.get(root)
        if held is None:
            from forum.search.hybrid import WEIGHTS  # hybrid imports this module

            pair = (WEIGHTS["title"], WEIGHTS["full"])
            held = _spaces[root] = Space(model.dimensions, pair)
    return held


def refresh() -> None:
    """Bring this process's vectors up to date with the store (the indexer
    thread calls it; the first reader too, once)."""
    held = space()
    if held is not None:
        held.refresh(store())


_query_cache: LRUCache = LRUCache(QUERY_CACHE_SIZE)
_query_lock = threading.Lock()


def query_vector(text: str) -> np.ndarray | None:
    """The vector of a query's text (the one encoding a request may do)."""
    model = encoder()
    if model is None:
        return None
    key = (model.name, text)
    with _query_lock:
        cached = _query_cache.get(key)
    if cached is not None:
        return cached
    vector = model.encode([text])[0]
    with _query_lock:
        _query_cache[key] = vector
    return vector


# A reader refreshes its process's vectors itself when nobody did lately (the
# indexer thread keeps them fresh in a served app; tests and scripts have none).
REFRESH_SECONDS = 1.0
UNREADABLE = "sentence vectors unreadable, using BM25 alone: %r"


# A reader reads a store of up to this many rows into a process's empty space
# itself (about 0.25 s); a larger one is read by a thread while requests use
# BM25 alone, so a new worker's first request never waits for it.
INLINE_LOAD_ROWS = 20_000


def current() -> Space | None:
    """This process's vectors when they are complete, else None (BM25 alone)."""
    held = space()
    if held is None:
        return None
    if time.monotonic() - held.checked > REFRESH_SECONDS:
        vstore = store()
        try:
            if held.seq == 0 and vstore.last_seq() > INLINE_LOAD_ROWS:
                _load_in_background(held, vstore)
                return None
            held.refresh(vstore)
        except (sqlite3.Error, OSError) as error:
            log.warning(UNREADABLE, error)
            return None
    return held if held.ready else None


_loading_lock = threading.Lock()


def _load_in_background(held: Space, vstore: VectorStore) -> None:
    """Read the whole store into ``held`` on a thread (one at a time)."""
    with _loading_lock:
        if held.loading:
            return
        held.loading = True

    def load() -> None:
        try:
            held.refresh(vstore)
        except (sqlite3.Error, OSError) as error:
            log.warning(UNREADABLE, error)
        finally:
            held.loading = False

    threading.Thread(target=load, name="forum-vectors-load", daemon=True).start()


def start_pass(state: IndexState) -> None:
    """After an index rebuild: go through every question again (the database
    may hold questions no outbox row names, after an import); similar
    questions use BM25 alone until the pass ends. Without the model there is
    nothing to do (the first sync with one starts a pass)."""
    if not enabled() or not model_files_present(current_app.config["SEARCH_MODEL_DIR"]):
        return
    vstore = store()
    with vstore.connect() as con:
        vstore.start_build(con, state)
        vstore.put(con, "built", None)
    held = _spaces.get(str(current_app.config["SEARCH_INDEX_DIR"]))
    if held is not None:
        held.checked = 0.0  # this process's readers learn of it at once


def progress_counts() -> tuple[int, int] | None:
    """(questions done, live questions) of a running pass, else None."""
    if not enabled():
        return None
    vstore = store()
    with vstore.connect() as con:
        if vstore.get(con, "built") == "1":
            return None
        cursor = int(vstore.get(con, "cursor") or 0)
    total = db.session.scalar(
        select(func.count(Question.id)).where(Question.deleted_at.is_(None))
    )
    done = db.session.scalar(
        select(func.count(Question.id)).where(
            Question.deleted_at.is_(None), Question.id <= cursor
        )
    )
    return int(done or 0), int(total or 0)


def notes() -> tuple[list[str], list[str]]:
    """What `search check` says of the vectors: (problems, remarks)."""
    if not enabled():
        return [], ["sentence vectors are off (SEARCH_EMBEDDINGS): BM25 alone"]
    if encoder() is None:
        folder = current_app.config["SEARCH_MODEL_DIR"]
        return [], [
            f"no sentence model in {folder} (`flask --app forum search model "
            "install`): similar questions use BM25 alone"
        ]
    status = store().status()
    counts = progress_counts()
    if counts is not None:
        done, total = counts
        return [
            f"sentence vectors: {done} of {total} questions gone through; similar "
            "questions use BM25 alone until all are (`search sync` finishes it)"
        ], []
    backlog = int(str(status["backlog"]))
    if backlog > READY_BACKLOG:
        return [
            f"sentence vectors: {backlog} changes not encoded yet; similar "
            "questions use BM25 alone until they are (`search sync`)"
        ], []
    return [], [
        f"sentence vectors: {status['questions']} questions "
        f"({status['encoded']} texts encoded since the store began)"
    ]


def sync_until_done(deadline: float, progress=None) -> int:
    """Encode until nothing is left, or ``deadline`` (time.monotonic) passes;
    returns how many questions were gone through (BUSY: another process held
    the store all along)."""
    total = 0
    while True:
        done = sync(BATCH)
        if done == BUSY:
            if time.monotonic() >= deadline:
                return BUSY if total == 0 else total
            time.sleep(0.05)
            continue
        total += done
        if progress is not None and done:
            progress(done)
        if done == 0 or time.monotonic() >= deadline:
            refresh()
            return total
