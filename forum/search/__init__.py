"""Search: a Whoosh index that follows the database's outbox.

``enqueue`` (in a service's transaction), ``drain``/``rebuild``/``check``
(maintenance), ``search``/``similar``/``related`` (reading),
``close_searchers`` (shutdown). The engine stays behind this package:
nothing else imports whoosh.
"""

from forum.search.background import init_app
from forum.search.indexer import (
    BUSY,
    check,
    drain,
    enqueue,
    ensure_index,
    rebuild,
    tables_ready,
)
from forum.search.searchers import close_searchers
from forum.search.searching import SORTS, Hit, SearchResult, search
from forum.search.similarity import related, similar

__all__ = [
    "BUSY",
    "Hit",
    "SORTS",
    "SearchResult",
    "check",
    "close_searchers",
    "drain",
    "enqueue",
    "ensure_index",
    "init_app",
    "rebuild",
    "related",
    "search",
    "similar",
    "tables_ready",
]
