"""Where the index lives on disk: generations, the current pointer, state.

Layout under SEARCH_INDEX_DIR::

    CURRENT            name of the live generation ("gen-000003")
    gen-000003/        a Whoosh index
    gen-000003.state   JSON: the outbox watermark and recently applied row ids

A rebuild writes a new generation beside the live one and then replaces
CURRENT atomically (os.replace), so searches keep working meanwhile.
"""

import fcntl
import json
import logging
import os
import shutil
import time
from contextlib import contextmanager
from pathlib import Path

from whoosh import index as windex
from whoosh.index import EmptyIndexError

from forum.search.schema import make_schema

log = logging.getLogger(__name__)

POINTER = "CURRENT"


class IndexStore:
    """One index directory: open, create, swap generations, read/write state."""

    def __init__(self, root: str | os.PathLike):
        self.root = Path(root)

    # -- generations -------------------------------------------------------
    def current_name(self) -> str | None:
        """The live generation's name, or None when there is none."""
        try:
            name = (self.root / POINTER).read_text().strip()
        except FileNotFoundError:
            return None
        return name if name and (self.root / name).is_dir() else None

    def new_generation(self) -> str:
        """Create an empty index as a new (not yet live) generation."""
        self.root.mkdir(parents=True, exist_ok=True)
        existing = [
            int(p.name.split("-")[1])
            for p in self.root.glob("gen-*")
            if p.is_dir() and p.name.split("-")[1].isdigit()
        ]
        name = f"gen-{max(existing, default=0) + 1:06d}"
        path = self.root / name
        path.mkdir()
        windex.create_in(str(path), make_schema())
        return name

    def publish(self, name: str, state: dict) -> None:
        """Make ``name`` the live generation (atomically) and drop old ones."""
        self.write_state(name, state)
        tmp = self.root / f"{POINTER}.{os.getpid()}.tmp"
        tmp.write_text(name)
        os.replace(tmp, self.root / POINTER)
        self.remove_old(keep=name)

    def remove_old(self, keep: str, grace_seconds: float = 60.0) -> None:
        """Delete generations other than ``keep`` once nobody can be starting on
        them (older than a grace period)."""
        now = time.time()
        for path in self.root.glob("gen-*"):
            if path.name.startswith(keep):
                continue
            if now - path.stat().st_mtime < grace_seconds:
                continue
            if path.is_dir():
                shutil.rmtree(path, ignore_errors=True)
            else:
                path.unlink(missing_ok=True)

    def open(self, name: str | None = None):
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

    @contextmanager
    def exclusive(self):
        """Hold the store's rebuild lock (one rebuild at a time, across processes)."""
        self.root.mkdir(parents=True, exist_ok=True)
        with open(self.root / "rebuild.lock", "w") as handle:
            fcntl.flock(handle, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(handle, fcntl.LOCK_UN)

    # -- state -------------------------------------------------------------
    def state_path(self, name: str) -> Path:
        """The JSON state file of a generation."""
        return self.root / f"{name}.state"

    def read_state(self, name: str) -> dict:
        """The generation's outbox watermark and recent ids (defaults if unset)."""
        try:
            data = json.loads(self.state_path(name).read_text())
        except (FileNotFoundError, ValueError):
            data = {}
        return {
            "watermark": int(data.get("watermark", 0)),
            "recent": [int(i) for i in data.get("recent", [])],
        }

    def write_state(self, name: str, state: dict) -> None:
        """Replace the generation's state file atomically."""
        path = self.state_path(name)
        tmp = path.with_suffix(f".{os.getpid()}.tmp")
        tmp.write_text(json.dumps(state))
        os.replace(tmp, path)
