"""The searcher a process's threads share, re-opened when the index changed."""

import logging
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from whoosh.searching import Searcher

from forum.search.indexer import ensure_index, live_name, store
from forum.search.store import IndexStore
from forum.services.errors import SearchUnavailable

log = logging.getLogger("forum.search")
REBUILDING = (
    "Search is being rebuilt. Try again in a minute; the rest of the site works."
)

_lock = threading.Lock()


class _Lease:
    """The searcher shared by a process's threads, and how many use it now."""

    def __init__(self, name: str, shared: Searcher) -> None:
        self.name = name
        self.searcher = shared
        self.users = 0
        self.retired = False

    def retire(self) -> None:
        """No new users; close it once the current ones are done (under _lock)."""
        self.retired = True
        if self.users == 0:
            self.searcher.close()


_leases: dict[str, _Lease] = {}


def _open(idx_store: IndexStore) -> tuple[str, Searcher]:
    """The live generation's name and a new searcher on it."""
    name = live_name(idx_store)
    try:
        return name, idx_store.open(name).searcher()
    except Exception:  # damaged on disk since start: rebuild it, logged
        if not ensure_index():
            raise
        name = live_name(idx_store)
        return name, idx_store.open(name).searcher()


@contextmanager
def searcher() -> Iterator[Searcher]:
    """Use the searcher on the live generation (a new one when the index changed).

    Threads share one; a replaced searcher is closed when its last user is
    done (a segment's files stay open as long as a searcher is). Never
    ``Searcher.refresh()``: it keeps stale segments in every Whoosh fork.
    """
    idx_store = store()
    key = str(idx_store.root)
    with _lock:
        lease = _leases.get(key)
        if (
            lease is None
            or lease.name != idx_store.current_name()
            or not lease.searcher.up_to_date()
        ):
            name, fresh = _open(idx_store)
            if lease is not None:
                lease.retire()
            lease = _leases[key] = _Lease(name, fresh)
        lease.users += 1
    try:
        if idx_store.damage(lease.name):
            raise SearchUnavailable(REBUILDING)
        yield lease.searcher
    except Exception as error:
        if isinstance(error, SearchUnavailable) or not _from_index(error):
            raise
        # Whoosh failed reading the index: tell the indexer, answer 503.
        log.error("search index %s failed while read: %r", lease.name, error)
        idx_store.mark_damaged(lease.name, repr(error)[:500])
        raise SearchUnavailable(REBUILDING) from error
    finally:
        with _lock:
            lease.users -= 1
            if lease.retired and lease.users == 0:
                lease.searcher.close()


def _from_index(error: BaseException) -> bool:
    """Whether ``error`` was raised inside Whoosh (damage, not our bug)."""
    tb = error.__traceback__
    while tb is not None and tb.tb_next is not None:
        tb = tb.tb_next
    return tb is not None and "whoosh" in Path(tb.tb_frame.f_code.co_filename).parts


def close_searchers() -> None:
    """Close every shared searcher once unused (tests, shutdown)."""
    with _lock:
        for lease in _leases.values():
            lease.retire()
        _leases.clear()
