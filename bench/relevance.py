"""Relevance of similar questions and search on real Stack Exchange links.

For every duplicate (3) and linked (1) PostLinks pair of two questions, ask
with the newer question's title (the newer question excluded) and see where
the older one ranks: recall@5 and MRR (reciprocal rank within the top 10), for
``forum.search.similar``, ``forum.search.search`` and an SQLite FTS5 baseline
(porter stemming, bm25 with the title weighted 3x, the title's words OR'ed).

    .venv/bin/python bench/relevance.py --data DIR [--site NAME] [--misses N]

DIR (or $FORUM_SAMPLE_DUMPS) holds the dump folders cardano.stackexchange.com
and bicycles.meta.stackexchange.com, as archive.org's Stack Exchange dumps
unpack.

Each site is loaded into its own temporary SQLite database and index, which
are removed afterwards (``--keep`` leaves them). Prints figures only.
"""

import argparse
import re
import shutil
import sqlite3
import sys
import time
from datetime import UTC, datetime
from pathlib import Path

import sedata
from sqlalchemy import select

from forum import search
from forum.extensions import db
from forum.models import Question

TOP = 10
RECALL_AT = 5
METHODS = ("similar", "search", "fts5")
KINDS = {sedata.DUPLICATE: "duplicate", sedata.LINKED: "linked"}
CLEAN = "linked-new"  # linked pairs whose link is in the newer thread only


class Fts5Baseline:
    """SQLite FTS5 over question title and body: the figure to beat."""

    def __init__(self, path: Path):
        self.con = sqlite3.connect(path)
        self.con.execute(
            "CREATE VIRTUAL TABLE q USING fts5(title, body, tokenize='porter')"
        )

    def load(self, questions) -> None:
        """Index (id, title, body text) rows."""
        self.con.executemany(
            "INSERT INTO q(rowid, title, body) VALUES (?, ?, ?)", questions
        )
        self.con.commit()

    def ranked(self, title: str, exclude: int) -> list[int]:
        """Question ids for the title's words OR'ed, best first."""
        words = re.findall(r"\w+", title)
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        cursor = self.con.execute(
            "SELECT rowid FROM q WHERE q MATCH ? AND rowid != ? "
            "ORDER BY bm25(q, 3.0, 1.0) LIMIT ?",
            (match, exclude, TOP),
        )
        return [row[0] for row in cursor]

    def close(self) -> None:
        """Close the connection."""
        self.con.close()


def similar_ids(title: str, exclude: int) -> list[int]:
    """What the similar-questions box shows for a title."""
    return [q.id for q in search.similar(title, limit=TOP, exclude=exclude)]


def search_ids(title: str, exclude: int) -> list[int]:
    """What a search for the title shows (relevance order)."""
    result = search.search(title, per_page=TOP + 1)
    return [h.question.id for h in result.hits if h.question.id != exclude][:TOP]


def rank_of(target: int, ids: list[int]) -> int | None:
    """1-based rank of target within the top TOP ids, or None."""
    try:
        return ids[:TOP].index(target) + 1
    except ValueError:
        return None


def summary(ranks: list[int | None]) -> tuple[float, float]:
    """(recall@5, MRR@10) in percent and as a fraction."""
    if not ranks:
        return float("nan"), float("nan")
    recall = sum(1 for r in ranks if r is not None and r <= RECALL_AT) / len(ranks)
    mrr = sum(1 / r for r in ranks if r is not None) / len(ranks)
    return 100 * recall, mrr


def evaluate_site(folder: Path, keep: bool, misses: int) -> dict | None:
    """Ranks per link type and method for one site: {kind: {method: [rank]}}."""
    if not (folder / "Posts.xml").exists():
        print(f"skipping {folder.name}: no Posts.xml in {folder}")
        return None
    workdir = sedata.temp_dir(f"forum-relevance-{folder.name}-")
    app = sedata.make_app(workdir)
    try:
        with app.app_context():
            started = time.perf_counter()
            loaded = sedata.load_site(folder)
            loaded_at = time.perf_counter()
            search.rebuild()
            indexed_at = time.perf_counter()
            fts = Fts5Baseline(workdir / "fts5.sqlite")
            fts.load(
                db.session.execute(
                    select(Question.id, Question.title, Question.body_markdown)
                ).all()
            )
            pairs, skipped = sedata.question_pairs(folder, loaded)
            print(
                f"{folder.name}: {loaded.questions} questions, {loaded.answers} "
                f"answers, {loaded.comments} comments loaded in "
                f"{loaded_at - started:.1f} s, indexed in "
                f"{indexed_at - loaded_at:.1f} s; pairs: "
                + ", ".join(f"{len(pairs[k])} {KINDS[k]}" for k in KINDS)
                + "".join(f"; skipped {n} ({why})" for why, n in skipped.items())
            )
            # Where each link was written: a pair whose older thread holds the
            # link can be found through that link's text (the newer title).
            sources = set(sedata.links(folder))  # (post id, related id, type)
            result = {}
            clean = {m: [] for m in METHODS}
            for kind, kind_pairs in pairs.items():
                ranks = {m: [] for m in METHODS}
                shown = 0
                for newer, older in kind_pairs:
                    title = loaded.titles[newer]
                    found = {
                        "similar": similar_ids(title, newer),
                        "search": search_ids(title, newer),
                        "fts5": fts.ranked(title, newer),
                    }
                    in_older = (older, newer, kind) in sources
                    for method, ids in found.items():
                        ranks[method].append(rank_of(older, ids))
                        if kind == sedata.LINKED and not in_older:
                            clean[method].append(rank_of(older, ids))
                    rank = ranks["similar"][-1]
                    if shown < misses and (rank is None or rank > RECALL_AT):
                        shown += 1
                        print(
                            f"  miss ({KINDS[kind]}, rank {rank}): {title!r} -> "
                            f"{loaded.titles[older]!r}"
                        )
                result[KINDS[kind]] = ranks
            result[CLEAN] = clean
            fts.close()
            db.session.remove()
            db.engine.dispose()
    finally:
        if keep:
            print(f"kept {workdir}")
        else:
            shutil.rmtree(workdir, ignore_errors=True)
    return result


def report(results: dict[str, dict]) -> None:
    """Print recall@5 and MRR per site, link type and method, and combined."""
    combined: dict[str, dict[str, list]] = {}
    for ranks_by_kind in results.values():
        for kind, ranks in ranks_by_kind.items():
            target = combined.setdefault(kind, {m: [] for m in METHODS})
            for method in METHODS:
                target[method] += ranks[method]
    rows = dict(results)
    if len(results) > 1:
        rows["combined"] = combined
    head = f"{'site':34} {'links':10} {'pairs':>5}"
    for method in METHODS:
        head += f" | {method + ' R@5':>12} {'MRR':>5}"
    head += " | similar-fts5"
    print()
    print(head)
    print("-" * len(head))
    for site, ranks_by_kind in rows.items():
        for kind in ("duplicate", "linked", CLEAN):
            ranks = ranks_by_kind.get(kind)
            if not ranks:
                continue
            line = f"{site:34} {kind:10} {len(ranks['fts5']):>5}"
            for method in METHODS:
                recall, mrr = summary(ranks[method])
                line += f" | {recall:11.1f}% {mrr:5.3f}"
            delta = summary(ranks["similar"])[0] - summary(ranks["fts5"])[0]
            line += f" | {delta:+7.1f} pts"
            print(line)
    print()
    print(
        f"Target: similar R@5 >= FTS5 R@5 + 10 points on duplicate and on linked "
        f"pairs (combined). Recall@{RECALL_AT}; MRR counts ranks 1-{TOP}.\n"
        f"{CLEAN}: the linked pairs whose link sits only in the newer thread, so "
        "the older thread's text cannot name the newer question."
    )


def main(argv: list[str] | None = None) -> int:
    """Run the relevance benchmark and print its figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    sedata.add_data_option(parser, needed=True)
    parser.add_argument(
        "--site", action="append", help="a dump folder name (repeatable; default both)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the temporary databases and indexes"
    )
    parser.add_argument(
        "--misses", type=int, default=0, help="print N similar() misses per link type"
    )
    args = parser.parse_args(argv)
    sites = args.site or sedata.SITES
    sedata.check_data(parser, args.data, needed=True, sites=sites)
    now = datetime.now(UTC)
    print(
        f"bench/relevance.py, {now:%Y-%m-%d %H:%M} UTC, Python "
        f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
    )
    results = {}
    for site in sites:
        ranks = evaluate_site(args.data / site, args.keep, args.misses)
        if ranks is not None:
            results[site] = ranks
    if not results:
        print("no data: nothing measured")
        return 1
    report(results)
    return 0


if __name__ == "__main__":
    sys.exit(main())
