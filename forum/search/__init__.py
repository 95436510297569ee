"""Search: a Whoosh index that follows the database's outbox.

``enqueue`` (in a service's transaction), ``drain``/``rebuild``/``check``
(maintenance), ``search``/``similar`` (reading). The engine stays behind this
package: nothing else imports whoosh.
"""

from forum.search.indexer import (
    BUSY,
    check,
    drain,
    enqueue,
    ensure_index,
    init_app,
    rebuild,
    tables_ready,
)
from forum.search.searching import (
    SORTS,
    Hit,
    SearchResult,
    related,
    search,
    similar,
)

__all__ = [
    "BUSY",
    "Hit",
    "SORTS",
    "SearchResult",
    "check",
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
