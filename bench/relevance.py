"""Relevance of similar, related and search on real Stack Exchange links,
each figure on a site its settings were not chosen on.

For every duplicate (3) and linked (1) PostLinks pair of two questions, the
newer question asks (itself excluded) and the older one should come up:

- similar, title: the similar-questions box for the newer title;
- similar, title+body: the same once the asker wrote the body;
- related: the related box of the newer question's page (whole thread, tags);
- search: a plain search for the newer title, first page (20 results);

beside an SQLite FTS5 baseline computed in the same run (porter stemming,
bm25 with the title weighted 3x, the words OR'ed): its top 5 for the
similar and related rows, its top 20 for the search row.

The hybrid weights (BM25 and the sentence vectors, forum/search/hybrid.py WEIGHTS)
are chosen by a grid on one site and reported on the other, both ways
round; the weights the product ships are printed and marked where they were
chosen. Without the sentence model (``--no-vectors``) similar is BM25 alone.

    .venv/bin/python bench/relevance.py --data DIR [--site NAME] [--misses N]

DIR (or $FORUM_SAMPLE_DUMPS) holds the dump folders cardano.stackexchange.com
and bicycles.meta.stackexchange.com, as archive.org's Stack Exchange dumps
unpack. Each site is loaded into its own temporary SQLite database and index,
removed afterwards (``--keep`` leaves them). Prints figures only.
"""

import argparse
import itertools
import math
import re
import shutil
import sqlite3
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import sedata
from sqlalchemy import select

from forum import search
from forum.extensions import db
from forum.markup import plain_text
from forum.models import Question
from forum.search import hybrid, similarity, vectors

RECALL_AT = 5
SEARCH_PAGE = 20
KINDS = {sedata.DUPLICATE: "duplicate", sedata.LINKED: "linked"}
MODES = ("title", "title+body")
# The grid the weights are chosen from (BM25's weight is 1: only ratios count).
GRID_TITLE = (0.0, 0.5, 1.0, 1.5, 2.0)
GRID_FULL = (0.0, 0.5, 1.0, 1.5, 2.0, 3.0)
SHIPPED = dict(hybrid.WEIGHTS)
# Where the shipped weights were chosen (their figures there are not honest).
SHIPPED_FROM = "cardano.stackexchange.com"


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

    def ranked(self, text: str, exclude: int, top: int) -> list[int]:
        """Question ids for the text's words OR'ed (64 at most), best first."""
        words = re.findall(r"\w+", text)[:64]
        if not words:
            return []
        match = " OR ".join('"' + w.replace('"', '""') + '"' for w in words)
        cursor = self.con.execute(
            "SELECT rowid FROM q WHERE q MATCH ? AND rowid != ? "
            "ORDER BY bm25(q, 3.0, 1.0) LIMIT ?",
            (match, exclude, top),
        )
        return [row[0] for row in cursor]

    def close(self) -> None:
        """Close the connection."""
        self.con.close()


@dataclass
class Ask:
    """One pair asked one way: what the product's ranking needs, gathered once."""

    kind: str
    mode: str
    newer: int
    older: int
    keyword: dict[int, float]
    query: object  # the asking text's vector (None without the model)


@dataclass
class Site:
    """A site's gathered asks and the figures that need no weights."""

    name: str
    asks: list[Ask] = field(default_factory=list)
    fixed: dict[str, dict[str, list[bool]]] = field(default_factory=dict)
    counts: dict[str, int] = field(default_factory=dict)
    pairs: list[tuple[str, int, int]] = field(default_factory=list)
    workdir: Path | None = None


def hit(target: int, ids: list[int], top: int) -> bool:
    """Whether target is in the first ``top`` ids."""
    return target in ids[:top]


def share_vectors(cache: Path, into: bool) -> None:
    """Copy the encoded texts from the cache file into the site's store
    (``into``), or back: the store reuses a vector by its text's hash, so a
    second run encodes nothing (a rebuild on a served site does the same)."""
    cache.parent.mkdir(parents=True, exist_ok=True)
    with vectors.store().connect() as con:
        con.execute("ATTACH DATABASE ? AS cache", (str(cache),))
        con.execute(
            "CREATE TABLE IF NOT EXISTS cache.encoded "
            "(digest BLOB PRIMARY KEY, vector BLOB NOT NULL)"
        )
        source, target = ("cache.encoded", "main.encoded")
        if not into:
            source, target = target, source
        con.execute(f"INSERT OR IGNORE INTO {target} SELECT * FROM {source}")
        con.execute("DETACH DATABASE cache")


def gather(folder: Path, use_vectors: bool, cache: Path | None = None) -> Site | None:
    """Load a site, index it, encode it (reusing the vectors in ``cache``),
    and gather each pair's asks."""
    if not (folder / "Posts.xml").exists():
        print(f"skipping {folder.name}: no Posts.xml in {folder}")
        return None
    workdir = sedata.temp_dir(f"forum-relevance-{folder.name}-")
    app = sedata.make_app(
        workdir,
        SEARCH_EMBEDDINGS=use_vectors,
        SEARCH_MODEL_DIR=str(sedata.ROOT / "instance" / "models" / "all-MiniLM-L6-v2"),
        RELATED_CACHE_SECONDS=0,
    )
    site = Site(folder.name)
    try:
        with app.app_context():
            started = time.perf_counter()
            loaded = sedata.load_site(folder)
            loaded_at = time.perf_counter()
            search.rebuild()
            indexed_at = time.perf_counter()
            if use_vectors and vectors.encoder() is None:
                sys.exit(
                    "no sentence model: run `make run` or `flask search model install`"
                )
            if use_vectors and cache is not None:
                share_vectors(cache / f"{folder.name}.sqlite3", into=True)
            encoded = 0
            if use_vectors:
                vectors.sync_until_done(math.inf)
                encoded = int(str(vectors.store().status()["encoded"]))
            if use_vectors and cache is not None:
                share_vectors(cache / f"{folder.name}.sqlite3", into=False)
            encoded_at = time.perf_counter()
            space = vectors.current() if use_vectors else None
            if use_vectors and space is None:
                sys.exit("the sentence vectors are not complete after a sync")
            questions = {q.id: q for q in db.session.scalars(select(Question)).all()}
            fts = Fts5Baseline(workdir / "fts5.sqlite")
            fts.load(
                [(q.id, q.title, plain_text(q.body_html)) for q in questions.values()]
            )
            pairs, skipped = sedata.question_pairs(folder, loaded)
            print(
                f"{folder.name}: {loaded.questions} questions, {loaded.answers} "
                f"answers loaded in {loaded_at - started:.1f} s, indexed in "
                f"{indexed_at - loaded_at:.1f} s, {encoded} texts encoded in "
                f"{encoded_at - indexed_at:.1f} s; pairs: "
                + ", ".join(f"{len(pairs[k])} {KINDS[k]}" for k in KINDS)
                + "".join(f"; skipped {n} ({why})" for why, n in skipped.items())
            )
            for kind_id, kind_pairs in pairs.items():
                kind = KINDS[kind_id]
                site.counts[kind] = len(kind_pairs)
                fixed = site.fixed.setdefault(kind, {})
                for newer, older in kind_pairs:
                    q = questions[newer]
                    body = plain_text(q.body_html)
                    for mode in MODES:
                        text = q.title if mode == "title" else f"{q.title} {body}"
                        fixed.setdefault(f"fts5 {mode}", []).append(
                            hit(older, fts.ranked(text, newer, RECALL_AT), RECALL_AT)
                        )
                        draft = "" if mode == "title" else q.body_markdown or ""
                        keyword = similarity._bm25_scores(
                            q.title, draft, 10, newer, (), similarity.BODY_WORDS
                        )
                        query = (
                            vectors.query_vector(similarity._draft_text(q.title, draft))
                            if space is not None
                            else None
                        )
                        site.asks.append(Ask(kind, mode, newer, older, keyword, query))
                    site.pairs.append((kind, newer, older))
                    fixed.setdefault("fts5 top 20", []).append(
                        hit(older, fts.ranked(q.title, newer, SEARCH_PAGE), SEARCH_PAGE)
                    )
            site.space = space  # type: ignore[attr-defined]
            site.app = app  # type: ignore[attr-defined]
            fts.close()
            db.session.remove()
    except BaseException:
        shutil.rmtree(workdir, ignore_errors=True)
        raise
    site.workdir = workdir
    return site


def search_hits(
    site: Site, weights: dict | None, misses: int = 0
) -> dict[str, list[bool]]:
    """Whether a plain search for the newer title lists the older question on
    the first page (20), per link kind; ``weights`` None: words alone."""
    result: dict[str, list[bool]] = {}
    app = site.app  # type: ignore[attr-defined]
    with app.app_context():
        app.config["SEARCH_EMBEDDINGS"] = weights is not None
        if weights is not None:
            use_weights(site, weights)
        shown: dict[str, int] = {}
        for kind, newer, older in site.pairs:
            title = db.session.get(Question, newer).title
            found = search.search(title, per_page=SEARCH_PAGE + 1)
            page = [h.question.id for h in found.hits if h.question.id != newer]
            result.setdefault(kind, []).append(hit(older, page, SEARCH_PAGE))
            if not result[kind][-1] and shown.get(kind, 0) < misses:
                shown[kind] = shown.get(kind, 0) + 1
                print(f"  search miss ({kind}): {title!r}")
        app.config["SEARCH_EMBEDDINGS"] = site.space is not None  # type: ignore[attr-defined]
        db.session.remove()
    return result


def use_weights(site: Site, weights: dict) -> None:
    """Mix with ``weights`` (the space holds its vectors premixed: it reads
    them again when the title and full weights change). In an app context."""
    hybrid.WEIGHTS = weights
    space = site.space  # type: ignore[attr-defined]
    if space is not None:
        space.reweigh(vectors.store(), (weights["title"], weights["full"]))


def related_hits(site: Site, weights: dict) -> dict[str, list[bool]]:
    """Recall@5 hits of the related box (the newer question's page)."""
    result: dict[str, list[bool]] = {}
    app = site.app  # type: ignore[attr-defined]
    with app.app_context():
        use_weights(site, weights)
        for kind, newer, older in site.pairs:
            question = db.session.get(Question, newer)
            ids = [r.id for r in search.related(question, limit=RECALL_AT)]
            result.setdefault(kind, []).append(hit(older, ids, RECALL_AT))
        db.session.remove()
    return result


def ranked_with(site: Site, ask: Ask, weights: dict) -> list[int]:
    """The similar box for an ask under ``weights`` (the product's own mix)."""
    space = site.space  # type: ignore[attr-defined]
    if space is None or ask.query is None:
        return [q for q, _ in sorted(ask.keyword.items(), key=lambda p: -p[1])][:10]
    with site.app.app_context():  # type: ignore[attr-defined]
        use_weights(site, weights)
        mixed = hybrid.mix(space, ask.query, ask.keyword, 10, (ask.newer,))
        return [qid for qid, _ in mixed]


def similar_hits(site: Site, weights: dict) -> dict[tuple[str, str], list[bool]]:
    """Recall@5 hits of the similar box per (kind, mode) under ``weights``."""
    result: dict[tuple[str, str], list[bool]] = {}
    for ask in site.asks:
        ids = ranked_with(site, ask, weights)
        result.setdefault((ask.kind, ask.mode), []).append(
            hit(ask.older, ids, RECALL_AT)
        )
    return result


def objective(hits: dict[tuple[str, str], list[bool]]) -> float:
    """What the grid maximises: recall@5 over every pair, both modes."""
    every = [h for values in hits.values() for h in values]
    return sum(every) / max(len(every), 1)


def tune(site: Site) -> dict:
    """The grid's best weights on ``site``."""
    best, best_score = dict(SHIPPED), -1.0
    for title, full in itertools.product(GRID_TITLE, GRID_FULL):
        weights = dict(SHIPPED, title=title, full=full)
        score = objective(similar_hits(site, weights))
        if score > best_score + 1e-9:
            best, best_score = weights, score
    return best


def pct(values: list[bool]) -> str:
    """A recall in percent."""
    return f"{100 * sum(values) / len(values):5.1f}%" if values else "    -"


def report(sites: list[Site], use_vectors: bool, misses: int = 0) -> None:
    """Tune on each site, print every figure on the other."""
    tuned = {s.name: tune(s) for s in sites} if use_vectors else {}
    print()
    for site in sites:
        others = [o for o in sites if o is not site]
        source = others[0].name if others and use_vectors else None
        weights = tuned[source] if source else dict(SHIPPED)
        label = f"weights tuned on {source}" if source else "shipped weights"
        if use_vectors:
            print(
                f"{site.name}: {label}: title {weights['title']:g}, "
                f"full {weights['full']:g} (bm25 1); its own best: title "
                f"{tuned[site.name]['title']:g}, full {tuned[site.name]['full']:g}"
            )
        hits = similar_hits(site, weights)
        shipped = similar_hits(site, dict(SHIPPED))
        related = related_hits(site, weights)
        searched = search_hits(site, weights if use_vectors else None, misses)
        words = search_hits(site, None) if use_vectors else searched
        head = (
            f"  {'links':10} {'pairs':>5} | {'method':28} "
            f"{'R@5':>6} {'FTS5':>6} {'gain':>7}"
        )
        print(head)
        for kind in ("duplicate", "linked"):
            if not site.counts.get(kind):
                continue
            fixed = site.fixed[kind]
            n = site.counts[kind]
            for mode in MODES:
                ours = hits[(kind, mode)]
                base = fixed[f"fts5 {mode}"]
                gain = 100 * (sum(ours) - sum(base)) / n
                print(
                    f"  {kind:10} {n:>5} | similar, {mode:19} {pct(ours)} "
                    f"{pct(base)} {gain:+6.1f}"
                )
                if use_vectors:
                    mark = " (chosen here)" if site.name == SHIPPED_FROM else ""
                    print(
                        f"  {'':10} {'':>5} |   shipped weights{mark:12} "
                        f"{pct(shipped[(kind, mode)])}"
                    )
            base = fixed["fts5 title+body"]
            gain = 100 * (sum(related[kind]) - sum(base)) / n
            print(
                f"  {kind:10} {n:>5} | related box{'':17} {pct(related[kind])} "
                f"{pct(base)} {gain:+6.1f}"
            )
            base = fixed["fts5 top 20"]
            gain = 100 * (sum(searched[kind]) - sum(base)) / n
            print(
                f"  {kind:10} {n:>5} | search, first page (20){'':4} "
                f"{pct(searched[kind])} {pct(base)} {gain:+6.1f}"
            )
            if use_vectors:
                print(f"  {'':10} {'':>5} |   words alone{'':15} {pct(words[kind])}")
        print()
    print(
        "R@5: the older question in the first 5 (search: in the first page of 20, "
        "against FTS5's top 20). FTS5: title words OR'ed (title+body and related: "
        "title and body words).\nTargets: similar >= FTS5 + 10 points on duplicate "
        "and on linked pairs on the site not tuned on;\n"
        "search first page >= FTS5 top 20."
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
        "--no-vectors", action="store_true", help="BM25 alone (no sentence model)"
    )
    parser.add_argument(
        "--cache",
        type=Path,
        help="keep the sites' vectors in DIR and reuse them (a second run "
        "encodes nothing)",
    )
    parser.add_argument(
        "--misses", type=int, default=0, help="print N search misses per link type"
    )
    args = parser.parse_args(argv)
    names = args.site or sedata.SITES
    sedata.check_data(parser, args.data, needed=True, sites=names)
    now = datetime.now(UTC)
    print(
        f"bench/relevance.py, {now:%Y-%m-%d %H:%M} UTC, Python "
        f"{sys.version.split()[0]}, SQLite {sqlite3.sqlite_version}"
    )
    sites = []
    for name in names:
        site = gather(args.data / name, not args.no_vectors, args.cache)
        if site is not None:
            sites.append(site)
    if not sites:
        print("no data: nothing measured")
        return 1
    try:
        report(sites, not args.no_vectors, args.misses)
    finally:
        for site in sites:
            if args.keep:
                print(f"kept {site.workdir}")
            elif site.workdir is not None:
                shutil.rmtree(site.workdir, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
