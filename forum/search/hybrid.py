"""The hybrid rank: BM25 mixed linearly with the sentence vectors' cosines.

One mix serves similar questions, the related box and search's partial
tier: each candidate scores ``bm25 * score / best`` (its keyword score
relative to the best candidate's) plus ``title * cos(title) + full *
cos(full)`` with the query's vector (``WEIGHTS``). A question no word
matched joins when its weighted cosine reaches ``min_cosine``: close in
meaning, in other words. Search's partial tier adds a second set of keyword
candidates (``more``), scored on their own scale.
"""

from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING

import numpy as np

if TYPE_CHECKING:  # vectors builds its Space with these weights
    from forum.search.vectors import Space

# Chosen by bench/relevance.py with a grid on one site and reported on the
# other (docs/search.md, "Measuring relevance honestly"); code, not a setting.
WEIGHTS = {"bm25": 1.0, "title": 1.0, "full": 1.5, "min_cosine": 0.35}


def mix(
    space: "Space",
    query: np.ndarray,
    keyword: Mapping[int, float],
    limit: int,
    exclude: Collection[int] = (),
    min_share: float = 0.0,
    more: Mapping[int, float] | None = None,
) -> list[tuple[int, float]]:
    """The best ``limit`` (question id, mixed score), best first, among the
    keyword candidates and the questions close in meaning, none of
    ``exclude``; those under ``min_share`` of the best score are dropped.
    ``more``: more keyword candidates, their scores as shares (0 to 1) of
    their own best (a thread scores its better share)."""
    weights = WEIGHTS
    ids, cosines = space.scores(query)
    close = cosines >= weights["min_cosine"] * sum(space.weights)
    scores = np.where(close, cosines, -np.inf)
    best = max(keyword.values(), default=0.0)
    size = len(ids)
    more = more or {}

    def row_of(qid: int) -> int | None:
        # The space's own map: building one per call costs more than the
        # cosines at 100,000 questions; rows added since ``scores`` are out.
        row = space.slot.get(qid)
        return row if row is not None and row < size and ids[row] == qid else None

    unencoded: dict[int, float] = {}
    for qid in keyword.keys() | more.keys():
        score = keyword.get(qid, 0.0)
        part = weights["bm25"] * max(
            score / best if best > 0 else 0.0, more.get(qid, 0.0)
        )
        row = row_of(qid)
        if row is None:
            unencoded[qid] = part  # not encoded yet: its keywords alone
        else:
            scores[row] = cosines[row] + part
    for qid in exclude:
        row = row_of(qid)
        if row is not None:
            scores[row] = -np.inf
    take = min(limit + len(exclude), len(scores))
    top = np.argpartition(-scores, take - 1)[:take] if take else np.array([], int)
    ranked = [
        (int(ids[row]), float(scores[row]))
        for row in top
        if np.isfinite(scores[row]) and ids[row] >= 0
    ]
    ranked += [(qid, part) for qid, part in unencoded.items() if qid not in exclude]
    ranked.sort(key=lambda pair: -pair[1])
    floor = ranked[0][1] * min_share if ranked else 0.0
    return [(qid, score) for qid, score in ranked[:limit] if score >= floor]
