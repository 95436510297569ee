"""Where the index lives on disk: generations, the current pointer, state.

Layout under SEARCH_INDEX_DIR::

    CURRENT            name of the live generation ("gen-000003")
    gen-000003/        a Whoosh index
    gen-000003.state   JSON: the outbox watermark and the ids still awaited
    rebuild.lock       held while a generation is built (one build at a time)

A rebuild writes a new generation beside the live one and then replaces
CURRENT atomically (os.replace), so searches keep working meanwhile.
"""

import fcntl
import gc
import json
import logging
import os
import shutil
import threading
import time
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import TypedDict

from whoosh import index as windex
from whoosh.fields import Schema
from whoosh.index import EmptyIndexError, Index

from forum.search.schema import make_schema

log = logging.getLogger(__name__)

POINTER = "CURRENT"
PREFIX = "gen-"
# An old generation is deleted once untouched this long: a process that read
# CURRENT just before the swap may still be opening it.
GRACE_SECONDS = 60.0


def _unique() -> str:
    """A temporary-file suffix no other process or thread uses at the same time."""
    return f"{os.getpid()}-{threading.get_ident()}"


def _analysis(field: object) -> str:
    """A field's analyzer chain, with each step's version where it has one."""
    steps = getattr(getattr(field, "analyzer", None), "items", [])
    return "|".join(
        f"{type(step).__name__}/{getattr(step, 'version', '')}" for step in steps
    )


def _signature(schema: Schema) -> list[tuple[str, str, str]]:
    """The fields of a schema, their types and analyzers: what a generation
    must match (an index analyzed otherwise is rebuilt)."""
    return sorted(
        (name, type(field).__name__, _analysis(field)) for name, field in schema.items()
    )


class IndexState(TypedDict):
    """Which outbox rows a generation applied (see forum.search.outbox)."""

    watermark: int  # every row id up to it is applied, but the gaps
    gaps: dict[int, float]  # row id -> when it was first awaited (epoch seconds)


def empty_state() -> IndexState:
    """The state of an index that has applied no outbox row."""
    return {"watermark": 0, "gaps": {}}


class IndexStore:
    """One index directory: open, create, swap generations, read/write state."""

    def __init__(self, root: str | os.PathLike[str]) -> None:
        self.root = Path(root)

    # -- generations -------------------------------------------------------
    def current_name(self) -> str | None:
        """The live generation's name, or None when there is none."""
        try:
            name = (self.root / POINTER).read_text().strip()
        except (FileNotFoundError, UnicodeDecodeError):
            return None
        if not name.startswith(PREFIX) or "/" in name:
            return None
        return name if (self.root / name).is_dir() else None

    def new_generation(self) -> str:
        """Create an empty index as a new (not yet live) generation."""
        self.root.mkdir(parents=True, exist_ok=True)
        while True:
            existing = [
                int(p.name[len(PREFIX) :])
                for p in self.root.glob(f"{PREFIX}*")
                if p.is_dir() and p.name[len(PREFIX) :].isdigit()
            ]
            name = f"{PREFIX}{max(existing, default=0) + 1:06d}"
            try:
                (self.root / name).mkdir()
            except FileExistsError:
                continue  # another process took this number first
            windex.create_in(str(self.root / name), make_schema())
            return name

    def publish(self, name: str, state: IndexState) -> None:
        """Make ``name`` the live generation (atomically) and drop old ones."""
        self.write_state(name, state)
        tmp = self.root / f"{POINTER}.{_unique()}.tmp"
        tmp.write_text(name)
        os.replace(tmp, self.root / POINTER)
        self.remove_old(keep=name)

    def discard(self, name: str) -> None:
        """Delete a generation that was never published (a failed build)."""
        shutil.rmtree(self.root / name, ignore_errors=True)
        self.state_path(name).unlink(missing_ok=True)
        self.identity_path(name).unlink(missing_ok=True)
        self.damage_path(name).unlink(missing_ok=True)

    def remove_old(self, keep: str) -> None:
        """Delete generations other than ``keep`` once nobody can be starting on
        them (untouched for a grace period: open searchers keep their files)."""
        now = time.time()
        for path in self.root.glob(f"{PREFIX}*"):
            if path.name == keep or path.name.startswith(f"{keep}."):
                continue
            try:
                if now - path.stat().st_mtime < GRACE_SECONDS:
                    continue
            except FileNotFoundError:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def open(self, name: str | None = None) -> Index:
        """Open a generation's Whoosh index (the live one by default)."""
        name = name or self.current_name()
        if name is None:
            raise EmptyIndexError("no live search index")
        for attempt in range(5):
            try:
                return windex.open_dir(str(self.root / name))
            except FileNotFoundError:
                # A writer replaced the table of contents while we read it.
                if attempt == 4:
                    raise
                time.sleep(0.02 * (attempt + 1))
        raise AssertionError("unreachable")

    def problem(self, name: str) -> str | None:
        """Why generation ``name`` cannot serve (None when it opens, reads, and
        has the current schema)."""
        with warnings.catch_warnings():
            # Whoosh leaves files open when it fails on garbage: close them
            # here, quietly, rather than in some later garbage collection.
            warnings.simplefilter("ignore", ResourceWarning)
            try:
                ix = self.open(name)
                if _signature(ix.schema) != _signature(make_schema()):
                    return "an older schema"
                with ix.searcher() as searcher:
                    searcher.doc_count()
                    next(searcher.all_stored_fields(), None)
                    searcher.document_number(id="0")
                return None
            except Exception as error:  # whatever garbage makes Whoosh raise
                problem = f"unreadable: {error!r}"
            gc.collect()
            return problem

    @contextmanager
    def exclusive(self) -> Iterator[None]:
        """Hold the store's rebuild lock (one build at a time, across processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "rebuild.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- damage found while reading ----------------------------------------
    def damage_path(self, name: str) -> Path:
        """The file saying generation ``name`` failed while being read."""
        return self.root / f"{name}.damaged"

    def mark_damaged(self, name: str, reason: str) -> None:
        """Report that reading generation ``name`` failed: it is rebuilt by
        the next drain (the indexer's, or the index thread's)."""
        tmp = self.root / f"{name}.damaged.{_unique()}.tmp"
        tmp.write_text(reason)
        os.replace(tmp, self.damage_path(name))

    def damage(self, name: str) -> str | None:
        """Why generation ``name`` was reported damaged (None: it was not)."""
        try:
            return self.damage_path(name).read_text() or "damaged"
        except FileNotFoundError:
            return None

    # -- which database state it follows -----------------------------------
    def identity_path(self, name: str) -> Path:
        """The file naming the database state generation ``name`` follows."""
        return self.root / f"{name}.database"

    def read_identity(self, name: str) -> str | None:
        """The database identity ``name`` was built from (None: unrecorded)."""
        try:
            return self.identity_path(name).read_text().strip() or None
        except FileNotFoundError:
            return None

    def write_identity(self, name: str, token: str) -> None:
        """Record the database identity of generation ``name`` atomically."""
        tmp = self.root / f"{name}.database.{_unique()}.tmp"
        tmp.write_text(token)
        os.replace(tmp, self.identity_path(name))

    # -- state -------------------------------------------------------------
    def state_path(self, name: str) -> Path:
        """The JSON state file of a generation."""
        return self.root / f"{name}.state"

    def read_state(self, name: str) -> IndexState:
        """The generation's outbox watermark and awaited ids (defaults if unset).

        ``gaps`` maps an outbox id below the watermark that was not committed
        yet when the watermark passed it to the time (epoch seconds) that was
        first noticed.
        """
        try:
            data = json.loads(self.state_path(name).read_text())
            return {
                "watermark": int(data.get("watermark", 0)),
                "gaps": {int(i): float(t) for i, t in data.get("gaps", [])},
            }
        except (FileNotFoundError, ValueError, TypeError, AttributeError) as error:
            if not isinstance(error, FileNotFoundError):
                log.warning("search state of %s is unreadable (%s)", name, error)
            return empty_state()

    def write_state(self, name: str, state: IndexState) -> None:
        """Replace the generation's state file atomically."""
        path = self.state_path(name)
        tmp = self.root / f"{name}.state.{_unique()}.tmp"
        data = {
            "watermark": int(state["watermark"]),
            "gaps": sorted([int(i), float(t)] for i, t in state["gaps"].items()),
        }
        tmp.write_text(json.dumps(data))
        os.replace(tmp, path)
