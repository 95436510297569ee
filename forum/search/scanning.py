"""Collecting a query's first matches: newest segments first, in bands.

Whoosh matches and scores in Python, so scoring every thread that holds a
few common words would cost a search most of its time on a large index.
A relevance search therefore reads segments newest first in bands: a band
ends with the segment where it reached ``scan`` matches and ranks after the
bands before it (so every page of a search ranks the same bands). The scan
stops once the bands fill the page, and the count is then extrapolated
from the share of the index searched.
"""

from collections.abc import Callable, Mapping, Set
from dataclasses import dataclass, field
from typing import Any

from whoosh import collectors
from whoosh import query as wq
from whoosh.columns import ColumnReader
from whoosh.searching import Searcher

from forum.search.query import Range

# A band's best text scores re-ranked by the boost: at least this many.
RERANK_DEPTH = 200

# A hit's final relevance from its text score and stored fields.
Boost = Callable[[float, Mapping[str, Any]], float]


class _RangeGate(collectors.WrappingCollector):
    """Passes on the matches whose column values pass the ranges and that are
    not excluded (global document numbers), and counts them."""

    def __init__(
        self, child: collectors.Collector, ranges: list[Range], exclude: Set[int]
    ) -> None:
        super().__init__(child)
        self.ranges = ranges
        self.exclude = exclude
        self.columns: list[tuple[ColumnReader, Range]] = []
        self.matched = 0

    def set_subsearcher(self, subsearcher: Searcher, offset: int) -> None:
        """Open the columns of this segment."""
        super().set_subsearcher(subsearcher, offset)
        reader = subsearcher.reader()
        self.columns = [(reader.column_reader(r.column), r) for r in self.ranges]

    def collect_matches(self) -> None:
        """Pass on (and count) the matches in every range, not excluded."""
        child, columns, exclude, base = (
            self.child,
            self.columns,
            self.exclude,
            self.offset,
        )
        matched = 0
        for sub_docnum in child.matches():
            if exclude and base + sub_docnum in exclude:
                continue
            if all(r.accepts(column[sub_docnum]) for column, r in columns):
                child.collect(sub_docnum)
                matched += 1
        self.matched += matched


@dataclass
class Found:
    """The first matches of a query in some order, and how many match."""

    ids: list[str]
    docnums: set[int]
    count: int
    exact: bool
    # Each id's relevance (text score times boost), when ranked by it.
    scores: list[float] = field(default_factory=list)


def _close_band(gate: _RangeGate, found: Found, limit: int, boost: Boost | None) -> int:
    """Add a finished band's best hits to ``found`` (re-ranked by ``boost``
    when given, else in the collector's order); returns the band's matches."""
    gate.finish()
    ranked = [
        (hit, boost(hit.score or 0.0, hit.fields()) if boost else 0.0)
        for hit in gate.child.results()
    ]
    if boost is not None:
        ranked.sort(key=lambda pair: -pair[1])
    for hit, score in ranked[: limit - len(found.ids)]:
        found.ids.append(hit["id"])
        found.docnums.add(hit.docnum)
        if boost is not None:
            found.scores.append(score)
    return gate.matched


def first_matches(
    s: Searcher,
    q: wq.Query,
    ranges: list[Range],
    limit: int,
    *,
    column: str | None,
    boost: Boost,
    exclude: Set[int] = frozenset(),
    scan: int = 0,
) -> Found:
    """The first ``limit`` matches of ``q`` that pass ``ranges``, and their number.

    Ordered by ``column`` (descending), or without one by relevance: the
    text score times ``boost``. With ``scan`` (relevance only), segments
    are searched newest first in bands of about ``scan`` matches.
    """
    by_score = column is None
    if not by_score:
        scan = 0
    found = Found([], set(), 0, True)
    matched = searched = 0
    gate: _RangeGate | None = None
    for subsearcher, offset in reversed(s.leaf_searchers()):
        if gate is None:
            if by_score:
                wanted = max(limit - len(found.ids), RERANK_DEPTH)
                child = s.collector(limit=wanted, optimize=False)
            else:
                child = s.collector(limit=limit, sortedby=column, reverse=True)
            gate = _RangeGate(child, ranges, exclude)
            gate.prepare(s, q, s.context())
        gate.set_subsearcher(subsearcher, offset)
        gate.collect_matches()
        searched += subsearcher.doc_count_all()
        if scan and gate.matched >= scan:
            matched += _close_band(gate, found, limit, boost if by_score else None)
            gate = None
            if len(found.ids) >= limit:
                break
    if gate is not None:
        matched += _close_band(gate, found, limit, boost if by_score else None)
    total_docs = s.doc_count_all()
    if searched >= total_docs:
        found.count = matched
    else:
        found.count = round(matched * total_docs / max(searched, 1))
        found.exact = False
    return found
