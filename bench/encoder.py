"""The sentence model's cost: load, memory, one query, one question, a batch.

Loads the installed all-MiniLM-L6-v2 (SEARCH_MODEL_DIR, default
instance/models/all-MiniLM-L6-v2) with forum/search/encoder.py and times, on
one BLAS thread (as a web worker runs it; --threads changes it):

- loading the model, and the process's resident memory before and after;
- encoding one title at a time (what a search or a similar-questions request
  pays: the demo's titles and variants of them), p50/p95;
- encoding one question at a time (title and body start, as the indexer's
  "full" vector reads it), p50/p95, with its length in word pieces;
- encoding in batches of 32 (the indexer's way), questions and titles per
  second, and the CPU time that makes for 100,000 questions.

    .venv/bin/python bench/encoder.py [--model DIR] [--threads 1] [--repeat 5]

Prints figures only.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))


def rss_mb() -> float:
    """The process's resident memory now, in MB (Linux)."""
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    return pages * os.sysconf("SC_PAGE_SIZE") / 1e6


def percentile(values: list[float], pct: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(pct / 100 * (len(ordered) - 1)))]


def timed_each(encode, texts: list[str]) -> list[float]:
    """Milliseconds to encode each text alone."""
    times = []
    for text in texts:
        started = time.perf_counter()
        encode([text])
        times.append(1000 * (time.perf_counter() - started))
    return times


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", type=Path, help="the model folder")
    parser.add_argument("--threads", type=int, default=1, help="BLAS threads")
    parser.add_argument("--repeat", type=int, default=5, help="rounds of the texts")
    args = parser.parse_args(argv)
    # Before numpy loads: its BLAS reads these once.
    for name in ("OPENBLAS_NUM_THREADS", "OMP_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ[name] = str(args.threads)

    from forum.demo_content import THREADS
    from forum.markup import render_markdown
    from forum.search.encoder import Encoder, model_files_present
    from forum.search.vectors import texts_of

    folder = args.model or ROOT / "instance" / "models" / "all-MiniLM-L6-v2"
    if not model_files_present(folder):
        print(f"no model in {folder}: run `make run` or `flask search model install`")
        return 1
    before = rss_mb()
    started = time.perf_counter()
    model = Encoder.load(folder)
    load_ms = 1000 * (time.perf_counter() - started)
    loaded = rss_mb()
    model.encode(["warm up"])

    titles = [t["title"] for t in THREADS]
    # Variants, so that no title is a cache hit in the model's own state.
    titles += [f"{t.lower()} again" for t in titles] + [t.split(":")[0] for t in titles]
    fulls = [texts_of(t["title"], render_markdown(t["body"]))[1] for t in THREADS]
    pieces = [model.token_count(text) for text in fulls]
    title_ms = timed_each(model.encode, titles * args.repeat)
    full_ms = timed_each(model.encode, fulls * args.repeat)

    batch = fulls * 8
    started = time.process_time()
    model.encode(batch, batch_size=32)
    per_question = (time.process_time() - started) / len(batch)
    started = time.perf_counter()
    model.encode(titles * 4, batch_size=32)
    titles_per_s = len(titles) * 4 / (time.perf_counter() - started)
    after = rss_mb()

    print(
        f"bench/encoder.py, {time.strftime('%Y-%m-%d %H:%M', time.gmtime())} UTC, "
        f"{folder.name}, {args.threads} BLAS thread(s)"
    )
    print(f"load: {load_ms:.0f} ms; resident memory {before:.0f} -> {loaded:.0f} MB")
    print(f"  (after the runs below: {after:.0f} MB)")
    print(
        f"one title ({len(title_ms)} encodes): p50 {statistics.median(title_ms):.1f} "
        f"ms, p95 {percentile(title_ms, 95):.1f} ms"
    )
    print(
        f"one question ({len(full_ms)} encodes, {statistics.median(pieces):.0f} word "
        f"pieces median, {max(pieces)} max; the model reads 256): p50 "
        f"{statistics.median(full_ms):.1f} ms, p95 {percentile(full_ms, 95):.1f} ms"
    )
    print(
        f"batches of 32: {1 / per_question:.1f} questions/s of CPU, "
        f"{titles_per_s:.0f} titles/s; a question's two vectors cost "
        f"{1000 * per_question:.0f} ms + a title's, 100,000 questions about "
        f"{100_000 * (per_question + 1 / titles_per_s) / 3600:.1f} CPU-hours"
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
