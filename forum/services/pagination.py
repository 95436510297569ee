"""One page of a list, as pages and the API both show it."""

import math
from collections.abc import Hashable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, func, select

from forum.caching import app_cache
from forum.extensions import db


class Paged:
    """Page arithmetic for a page of anything: its number, size and total."""

    page: int
    per_page: int
    total: int

    @property
    def has_more(self) -> bool:
        """Whether a later page exists."""
        return self.page * self.per_page < self.total

    @property
    def pages(self) -> int:
        """How many pages there are (at least 1)."""
        return max(1, math.ceil(self.total / self.per_page))


@dataclass
class Page(Paged):
    """Items of one page plus what is needed to link to the others."""

    items: list[Any]
    page: int
    per_page: int
    total: int


def count_rows(count_stmt: Select) -> int:
    """Run a count, or reuse the same count made in the last
    LIST_COUNT_CACHE_SECONDS by this process (0 turns the cache off).

    Counting every live question of a large tag costs more than the rest of
    its page; a list's total may lag a new post by that many seconds, as on
    Stack Overflow.
    """
    counts = app_cache("list_counts", "LIST_COUNT_CACHE_SECONDS")
    if counts is None:
        return db.session.scalar(count_stmt) or 0
    key = _statement_key(count_stmt)
    total = counts.get(key)
    if total is None:
        total = db.session.scalar(count_stmt) or 0
        counts.put(key, total)
    return total


def _statement_key(stmt: Select[Any]) -> Hashable:
    """What identifies a statement and its parameter values: SQLAlchemy's own
    cache key (cheaper than compiling the statement to SQL), else the compiled
    SQL and parameters."""
    cache_key = stmt._generate_cache_key()
    if cache_key is not None:
        values = [bind.effective_value for bind in cache_key.bindparams]
        return (cache_key.key, repr(values))
    compiled = stmt.compile(dialect=db.engine.dialect)
    return f"{compiled}|{sorted(compiled.params.items(), key=repr)!r}"


def paginate(stmt: Select, page: int, per_page: int, scalars: bool = True) -> Page:
    """Run ``stmt`` for one page, with a separate count of all rows
    (see ``count_rows``)."""
    total = count_rows(select(func.count()).select_from(stmt.order_by(None).subquery()))
    rows = db.session.execute(stmt.limit(per_page).offset((page - 1) * per_page))
    items = list(rows.scalars().unique()) if scalars else list(rows)
    return Page(items=items, page=page, per_page=per_page, total=total or 0)
