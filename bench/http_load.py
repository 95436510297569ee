"""HTTP throughput and latency of the forum under gunicorn, beside a hello app.

Serves a forum made by bench/generate.py (``--dir``) with gunicorn on 127.0.0.1
(2 sync workers by default), then a minimal Flask app (bench/hello_app.py)
served the same way, and measures each endpoint with a bounded load generator:
threads, one HTTP/1.1 connection each, a warm-up then a fixed number of
measured requests per endpoint and concurrency (split across the clients), and
a time limit per cell. Prints requests/s, p50/p95/p99, the ratio of each page's
throughput to the hello app's (our ceiling on this machine), the targets, and
the peak RSS (VmHWM) of every gunicorn worker.

The search index follows the outbox as docs/operations.md advises for several
workers: one ``flask search sync --follow`` process beside gunicorn, whose
workers do not index (``--indexer follow``, the default); ``--indexer thread``
runs the index thread in every worker instead. After the writes it prints how
long a question asked through the API took to be found by the search API.

    .venv/bin/python bench/http_load.py [--dir /tmp/forum-bench-100k]
        [--requests 200] [--clients 1,8] [--workers 2] [--indexer follow]

Named http_load.py, not http.py: a bench/http.py would shadow the standard
library's ``http`` package for every script in bench/.
"""

import argparse
import http.client
import json
import math
import os
import random
import socket
import sqlite3
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import quote_plus

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
DEFAULT_DIR = Path("/tmp/forum-bench-100k")
READ_P95_MS = 50.0  # every read page but search, at 1 client
WRITE_P95_MS = 150.0
HELLO_SHARE = 0.10  # question and home page, at every concurrency
RSS_MB = 500.0


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of values (nan when empty)."""
    if not values:
        return math.nan
    ordered = sorted(values)
    return ordered[max(1, math.ceil(pct / 100 * len(ordered))) - 1]


def free_port() -> int:
    """A free TCP port on 127.0.0.1."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


@dataclass
class Request:
    """One request of an endpoint: method, path, JSON body, headers."""

    method: str
    path: str
    body: dict | None = None
    headers: dict = field(default_factory=dict)


class Server:
    """A gunicorn serving one WSGI app on 127.0.0.1; stopped on exit."""

    def __init__(self, app: str, chdir: Path, env: dict, workers: int, klass: str):
        self.port = free_port()
        self.command = [
            sys.executable,
            "-m",
            "gunicorn",
            app,
            "--chdir",
            str(chdir),
            "--bind",
            f"127.0.0.1:{self.port}",
            "--workers",
            str(workers),
            "--worker-class",
            klass,
            "--timeout",
            "120",
            "--log-level",
            "warning",
        ]
        self.env = {**os.environ, **env}
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Server":
        self.proc = subprocess.Popen(self.command, env=self.env)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"gunicorn exited with {self.proc.returncode}")
            try:
                conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
                conn.request("GET", "/")
                if conn.getresponse().status < 500:
                    conn.close()
                    return self
            except OSError:
                time.sleep(0.2)
        self.stop()
        raise RuntimeError("gunicorn did not answer within 120 s")

    def __exit__(self, *exc) -> None:
        self.stop()

    def stop(self) -> None:
        """Terminate gunicorn (graceful), then kill it if it lingers."""
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()

    def worker_rss_mb(self) -> list[float]:
        """Peak resident memory (VmHWM) of each worker process, in MB."""
        children = Path(f"/proc/{self.proc.pid}/task/{self.proc.pid}/children")
        out = []
        for pid in children.read_text().split():
            status = Path(f"/proc/{pid}/status").read_text()
            for line in status.splitlines():
                if line.startswith("VmHWM:"):
                    out.append(int(line.split()[1]) / 1024)
        return out


class Follower:
    """``flask search sync --follow`` beside gunicorn (None: no process)."""

    POLL_SECONDS = "0.5"

    def __init__(self, env: dict | None):
        self.env = env
        self.proc: subprocess.Popen | None = None

    def __enter__(self) -> "Follower":
        if self.env is not None:
            env = {
                **os.environ,
                **self.env,
                "FORUM_SEARCH_POLL_SECONDS": self.POLL_SECONDS,
            }
            command = [
                sys.executable,
                "-m",
                "flask",
                "--app",
                "forum",
                "search",
                "sync",
                "--follow",
            ]
            self.proc = subprocess.Popen(
                command, cwd=ROOT, env=env, stdout=subprocess.DEVNULL
            )
        return self

    def __exit__(self, *exc) -> None:
        if self.proc is not None and self.proc.poll() is None:
            self.proc.terminate()  # it finishes an index commit in progress
            try:
                self.proc.wait(60)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()


def print_searchable(port: int, meta: dict, runs: int = 5) -> None:
    """Seconds from a question's POST (201) until the search API finds it."""
    token = token_for(
        port, meta["accounts"][0]["username"], meta["accounts"][0]["password"]
    )
    seconds = []
    for i in range(runs):
        word = f"zqsearchable{random.randrange(10**9)}x{i}"
        body = {
            "title": f"Printer offline again {word}",
            "body": "The printer shows offline after each restart although the "
            "network works fine and the driver is current.",
            "tags": [meta["tag"]],
        }
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        headers = {
            "Content-Type": "application/json",
            "Authorization": f"Bearer {token}",
        }
        conn.request("POST", "/api/v1/questions", json.dumps(body), headers)
        response = conn.getresponse()
        response.read()
        started = time.perf_counter()
        found = False
        while not found and time.perf_counter() - started < 30:
            conn.request("GET", f"/api/v1/search?q={word}")
            found = json.loads(conn.getresponse().read()).get("total", 0) > 0
            if not found:
                time.sleep(0.05)
        seconds.append(time.perf_counter() - started if found else math.inf)
        conn.close()
    each = ", ".join(f"{s:.2f}" for s in seconds)
    seconds.sort()
    print(
        f"new question searchable through the API: median "
        f"{seconds[len(seconds) // 2]:.2f} s, max {seconds[-1]:.2f} s over "
        f"{runs} ({each} s in order; the first ones wait for the indexer to "
        f"apply the write cells' rows)"
    )


@dataclass
class Cell:
    """The measured figures of one endpoint at one concurrency."""

    endpoint: str
    clients: int
    times_ms: list[float]
    seconds: float
    errors: dict[int, int]

    @property
    def rps(self) -> float:
        """Completed requests per second over the cell's wall time."""
        return len(self.times_ms) / self.seconds if self.seconds else 0.0


def run_cell(port, endpoint, make, clients, total, warmup, limit) -> Cell:
    """Warm up, then ``total`` requests split over ``clients`` threads."""
    times: list[float] = []
    errors: dict[int, int] = {}
    lock = threading.Lock()
    barrier = threading.Barrier(clients + 1)
    deadline = [math.inf]

    def client(index: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
        mine: list[float] = []
        bad: dict[int, int] = {}

        def one(req: Request, record: bool) -> None:
            body = json.dumps(req.body).encode() if req.body is not None else None
            headers = dict(req.headers)
            if body is not None:
                headers["Content-Type"] = "application/json"
            started = time.perf_counter()
            try:
                conn.request(req.method, req.path, body=body, headers=headers)
                response = conn.getresponse()
                response.read()
                status = response.status
            except (OSError, http.client.HTTPException):
                conn.close()
                status = 599
            elapsed = (time.perf_counter() - started) * 1000
            if record:
                if status >= 400:
                    bad[status] = bad.get(status, 0) + 1
                else:
                    mine.append(elapsed)

        for i in range(warmup if index == 0 else 0):
            one(make(index, -1 - i), False)
        barrier.wait()
        n = total // clients + (index < total % clients)
        for i in range(n):
            if time.monotonic() > deadline[0]:
                break
            one(make(index, i), True)
        conn.close()
        with lock:
            times.extend(mine)
            for status, count in bad.items():
                errors[status] = errors.get(status, 0) + count

    threads = [threading.Thread(target=client, args=(i,)) for i in range(clients)]
    for thread in threads:
        thread.start()
    barrier.wait()  # the warm-up is done
    started = time.perf_counter()
    deadline[0] = time.monotonic() + limit
    for thread in threads:
        thread.join()
    return Cell(endpoint, clients, times, time.perf_counter() - started, errors)


def token_for(port: int, username: str, password: str) -> str:
    """A bearer token for an account (POST /api/v1/tokens)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    body = json.dumps({"username": username, "password": password})
    conn.request(
        "POST",
        "/api/v1/tokens",
        body=body,
        headers={"Content-Type": "application/json"},
    )
    response = conn.getresponse()
    data = json.loads(response.read())
    conn.close()
    if response.status != 201:
        raise RuntimeError(f"token for {username}: {response.status} {data}")
    return data["token"]


def canonical(port: int, path: str) -> str:
    """Follow one redirect (the slug of a question or profile URL)."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=60)
    conn.request("GET", path)
    response = conn.getresponse()
    response.read()
    conn.close()
    if response.status in (301, 302, 308):
        return response.getheader("Location")
    return path


def corpus_facts(workdir: Path, seed: int, accounts: list[int]) -> dict:
    """Search words, answerable questions and votable posts from the database
    (not the benchmark accounts' own: voting on them is refused)."""
    rng = random.Random(seed)
    con = sqlite3.connect(f"file:{workdir / 'forum.sqlite'}?mode=ro", uri=True)
    questions = "SELECT {} FROM post WHERE type = 'question' {} ORDER BY id"
    titles = [r[0] for r in con.execute(questions.format("title", "") + " LIMIT 5000")]
    live = "AND closed_at IS NULL AND deleted_at IS NULL AND locked_at IS NULL"
    live += f" AND owner_id NOT IN ({', '.join(str(int(a)) for a in accounts)})"
    open_ids = [r[0] for r in con.execute(questions.format("id", live))]
    by_posts = "SELECT owner_id FROM post GROUP BY owner_id ORDER BY count(*), owner_id"
    owners = [r[0] for r in con.execute(by_posts)]
    con.close()
    queries = []
    for title in rng.sample(titles, 100):
        words = [w for w in title.rstrip("?").split() if len(w) > 3]
        if words:
            queries.append(" ".join(rng.sample(words, min(2, len(words)))))
    # The median poster's profile beside the busiest one's (a Zipf head).
    return {
        "queries": queries,
        "open": open_ids,
        "median_user": owners[len(owners) // 2],
    }


def forum_endpoints(port: int, meta: dict, facts: dict, seed: int) -> dict:
    """endpoint name -> (kind, make(client, i) -> Request)."""
    rng = random.Random(seed)
    question = canonical(port, f"/questions/{meta['thread_question']}")
    profile = canonical(port, f"/users/{meta['profile'][0]}")
    typical = canonical(port, f"/users/{facts['median_user']}")
    tokens = [token_for(port, a["username"], a["password"]) for a in meta["accounts"]]
    auth = [{"Authorization": f"Bearer {t}"} for t in tokens]
    queries = facts["queries"]
    answerable = rng.sample(facts["open"], min(4000, len(facts["open"])))
    # Fresh votes: every (client, request) votes once on a different question.
    votable = rng.sample(facts["open"], min(8000, len(facts["open"])))
    run = rng.randrange(10**6)

    def ask(c: int, i: int) -> Request:
        body = {
            "title": f"Benchmark question {run} {c} {i} about a printer offline",
            "body": "The printer shows offline after each restart although the "
            "network works fine and the driver is current.",
            "tags": [meta["tag"]],
        }
        return Request("POST", "/api/v1/questions", body, auth[c % len(auth)])

    def answer(c: int, i: int) -> Request:
        qid = answerable[(c * 500 + i) % len(answerable)]
        body = {"body": f"Restart the router first, then the printer ({run} {i})."}
        return Request("POST", f"/api/v1/questions/{qid}/answers", body, auth[c])

    def vote(c: int, i: int) -> Request:
        pid = votable[(c * 1000 + i) % len(votable)]
        return Request("PUT", f"/api/v1/posts/{pid}/vote", {"value": 1}, auth[c])

    tag = f"/questions/tagged/{meta['tag']}"
    return {
        "home": ("read", lambda c, i: Request("GET", "/")),
        "tag": ("read", lambda c, i: Request("GET", tag)),
        "list page 50": ("read", lambda c, i: Request("GET", "/questions?page=50")),
        "question (10 answers)": ("read", lambda c, i: Request("GET", question)),
        "profile (median user)": ("read", lambda c, i: Request("GET", typical)),
        "profile (busiest)": ("read", lambda c, i: Request("GET", profile)),
        "search": (
            "search",
            lambda c, i: Request(
                "GET", "/search?q=" + quote_plus(queries[(c * 37 + i) % len(queries)])
            ),
        ),
        "ask (POST)": ("write", ask),
        "answer (POST)": ("write", answer),
        "vote (PUT)": ("write", vote),
    }


def verdict(cell: Cell, kind: str, name: str, hello: dict[int, float]) -> str:
    """The target that applies to this cell and whether it is met."""
    p95 = percentile(cell.times_ms, 95)
    checks = []
    if kind == "read" and cell.clients == 1:
        checks.append((f"p95 <= {READ_P95_MS:.0f}", p95 <= READ_P95_MS))
    if kind == "write":
        checks.append((f"p95 <= {WRITE_P95_MS:.0f}", p95 <= WRITE_P95_MS))
    if name in ("home", "question (10 answers)"):
        share = cell.rps / hello[cell.clients] if hello.get(cell.clients) else 0
        checks.append((f">= {HELLO_SHARE:.0%} hello", share >= HELLO_SHARE))
    if cell.errors:
        checks.append((f"errors {cell.errors}", False))
    return "; ".join(f"{t}: {'met' if ok else 'NOT met'}" for t, ok in checks)


def print_cell(cell: Cell, hello: dict[int, float], target: str) -> None:
    """One row of the table."""
    t = cell.times_ms
    ratio = cell.rps / hello[cell.clients] if hello.get(cell.clients) else math.nan
    print(
        f"{cell.endpoint:22} {cell.clients:>3} {len(t):>5} {cell.rps:8.1f} "
        f"{percentile(t, 50):8.1f} {percentile(t, 95):8.1f} "
        f"{percentile(t, 99):8.1f} {ratio:7.1%}  {target}",
        flush=True,
    )


def main(argv: list[str] | None = None) -> int:
    """Serve the hello app and the forum; measure; print the table."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dir", type=Path, default=DEFAULT_DIR)
    parser.add_argument("--requests", type=int, default=200, help="per cell")
    parser.add_argument("--warmup", type=int, default=10)
    parser.add_argument("--clients", default="1,8")
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--worker-class", default="sync")
    parser.add_argument("--limit", type=float, default=30.0, help="seconds per cell")
    parser.add_argument("--only", help="comma-separated endpoint names")
    parser.add_argument("--seed", type=int, default=None)
    parser.add_argument(
        "--indexer",
        choices=("follow", "thread"),
        default="follow",
        help="a `search sync --follow` process, or a thread in every worker",
    )
    args = parser.parse_args(argv)
    workdir = args.dir.resolve()
    meta_path = workdir / "bench.json"
    if not meta_path.exists():
        print(f"no generated forum in {workdir}: run bench/generate.py first")
        return 1
    meta = json.loads(meta_path.read_text())
    clients = [int(c) for c in args.clients.split(",")]
    seed = args.seed if args.seed is not None else int(time.time())
    load = " ".join(f"{x:.2f}" for x in os.getloadavg())
    print(
        f"bench/http_load.py, {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{meta['questions']} questions (index: {meta['indexed']}), gunicorn "
        f"{args.workers} {args.worker_class} workers, indexer {args.indexer}, "
        f"{args.requests} requests per cell after {args.warmup} warm-up, limit "
        f"{args.limit:.0f} s; "
        f"load average {load} on {os.cpu_count()} CPUs"
    )
    header = (
        f"{'endpoint':22} {'cl':>3} {'n':>5} {'req/s':>8} {'p50 ms':>8} "
        f"{'p95 ms':>8} {'p99 ms':>8} {'/hello':>7}  target"
    )
    print(header)
    hello: dict[int, float] = {}
    with Server("hello_app:app", BENCH, {}, args.workers, args.worker_class) as srv:
        for c in clients:
            cell = run_cell(
                srv.port,
                "hello",
                lambda c, i: Request("GET", "/"),
                c,
                args.requests,
                args.warmup,
                args.limit,
            )
            hello[c] = cell.rps
            print_cell(cell, hello, "(the ceiling)")
        hello_rss = srv.worker_rss_mb()
    # Load from one address would hit the rate limits: measure the app, not them.
    env = {
        "FORUM_INSTANCE_PATH": str(workdir / "instance"),
        "FORUM_RATELIMIT_ENABLED": "false",
    }
    if args.indexer == "follow":
        env["FORUM_SEARCH_INDEXING"] = "manual"
    forum = Server("forum:create_app()", ROOT, env, args.workers, args.worker_class)
    with forum as srv, Follower(env if args.indexer == "follow" else None):
        facts = corpus_facts(workdir, seed, [a["id"] for a in meta["accounts"]])
        endpoints = forum_endpoints(srv.port, meta, facts, seed)
        wanted = args.only.split(",") if args.only else list(endpoints)
        for name in wanted:
            kind, make = endpoints[name]
            for c in clients:
                cell = run_cell(
                    srv.port, name, make, c, args.requests, args.warmup, args.limit
                )
                print_cell(cell, hello, verdict(cell, kind, name, hello))
        if any(endpoints[name][0] == "write" for name in wanted):
            print_searchable(srv.port, meta)
        rss = srv.worker_rss_mb()
    print(
        "peak RSS per worker (VmHWM): forum "
        + ", ".join(f"{mb:.0f}" for mb in rss)
        + f" MB (target <= {RSS_MB:.0f}: "
        + ("met" if rss and max(rss) <= RSS_MB else "NOT met")
        + "); hello "
        + ", ".join(f"{mb:.0f}" for mb in hello_rss)
        + " MB"
    )
    print(f"load average at the end {' '.join(f'{x:.2f}' for x in os.getloadavg())}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
