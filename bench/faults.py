"""Faults under load: the production set of processes (`flask serve`:
gunicorn workers and the search indexer under supervisord) on 127.0.0.1,
clients mixing reads and writes through the API, and faults injected one
after another:

- kill -9 of a gunicorn worker (gunicorn starts another);
- kill -9 of the indexer (supervisord starts another);
- the live search index's postings overwritten with garbage (search answers
  503 until the next drain rebuilds it);
- the live search index deleted (the indexer builds a new one);
- a backup taken while the clients write, then restored with the servers
  stopped (`flask backup` / `flask restore`), then served again.

Prints the requests by status per phase, the 5xx count, how long search took
to answer 200 again after each index fault, and the checks afterwards
(`search check`, `reputation verify`, `recount --check`). Target: no 5xx
outside the injected database faults (503 while the index is rebuilt is the
honest answer), nothing lost, every check clean.

    .venv/bin/python bench/faults.py [--seconds 20] [--clients 8]
        [--database-url URL]   # default: SQLite in a temporary folder

PostgreSQL: pass an empty database's URL (it is upgraded and filled). Bounded
in time; every process listens on 127.0.0.1 and is stopped at the end.
"""

import argparse
import json
import os
import random
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
import urllib.error
import urllib.request
from collections import Counter
from datetime import UTC, datetime
from pathlib import Path

BIN = Path(sys.executable).parent
PASSWORD = "fault bench password 2026"
WORDS = "printer router laptop battery wifi driver update screen cable scanner".split()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(base: str, path: str, body=None, token: str = "", method=None):
    """(status, JSON or None) of one API request; 0 when nothing answered."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(
        base + path, data=data, headers=headers, method=method
    )
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, json.loads(response.read() or b"null")
    except urllib.error.HTTPError as error:
        return error.code, None
    except (OSError, ValueError):
        return 0, None


class Site:
    """The processes of one deployment, and the commands beside them."""

    def __init__(self, workdir: Path, database_url: str | None) -> None:
        self.workdir = workdir
        self.env = {
            **os.environ,
            "FORUM_INSTANCE_PATH": str(workdir / "instance"),
            "FORUM_DATABASE_URL": database_url
            or f"sqlite:///{workdir / 'forum.sqlite'}",
            "FORUM_SEARCH_INDEX_DIR": str(workdir / "index"),
            "FORUM_SEARCH_EMBEDDINGS": "false",
            "FORUM_DEMO_CONTENT": "false",
            "FORUM_RATELIMIT_ENABLED": "false",
            "FORUM_SEARCH_POLL_SECONDS": "0.5",
        }
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.server: subprocess.Popen | None = None
        self.log = workdir / "server.log"

    def flask(
        self, *args: str, stdin: str | None = None
    ) -> subprocess.CompletedProcess:
        return subprocess.run(
            [str(BIN / "flask"), "--app", "forum", *args],
            env=self.env,
            input=stdin,
            text=True,
            capture_output=True,
            timeout=600,
        )

    def ctl(self, *args: str) -> str:
        conf = self.workdir / "instance" / "supervisord.conf"
        return subprocess.run(
            [str(BIN / "supervisorctl"), "-c", str(conf), *args],
            capture_output=True,
            text=True,
            timeout=30,
        ).stdout

    def start(self, workers: int) -> None:
        self.server = subprocess.Popen(
            [
                str(BIN / "flask"),
                "--app",
                "forum",
                "serve",
                "--port",
                str(self.port),
                "--workers",
                str(workers),
            ],
            env=self.env,
            stdout=self.log.open("a"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        deadline = time.monotonic() + 60
        while call(self.base, "/readyz")[0] != 200:
            if time.monotonic() > deadline:
                raise SystemExit("the site did not get ready in 60 s")
            time.sleep(0.2)

    def stop(self) -> None:
        if self.server is not None and self.server.poll() is None:
            self.server.send_signal(signal.SIGTERM)
            try:
                self.server.wait(timeout=60)
            except subprocess.TimeoutExpired:
                os.killpg(self.server.pid, signal.SIGKILL)
        self.server = None

    def live_generation(self) -> Path | None:
        root = self.workdir / "index"
        try:
            return root / (root / "CURRENT").read_text().strip()
        except FileNotFoundError:
            return None


class Load:
    """Clients asking, answering, voting, reading and searching."""

    def __init__(self, site: Site, tokens: list[str], seed: int) -> None:
        self.site = site
        self.tokens = tokens
        self.rng = random.Random(seed)
        self.statuses: Counter[tuple[str, int]] = Counter()
        self.questions: list[int] = []
        self.asked: list[int] = []  # questions whose 201 came back
        self.lock = threading.Lock()
        self.stopping = threading.Event()

    def run(self, clients: int, seconds: float) -> Counter[tuple[str, int]]:
        """Load for ``seconds``; the statuses seen, by kind of request."""
        self.statuses = Counter()
        self.stopping.clear()
        threads = [
            threading.Thread(target=self.client, args=(n,)) for n in range(clients)
        ]
        for thread in threads:
            thread.start()
        time.sleep(seconds)
        self.stopping.set()
        for thread in threads:
            thread.join()
        return self.statuses

    def client(self, n: int) -> None:
        rng = random.Random(n * 7919 + len(self.questions))
        token = self.tokens[n % len(self.tokens)]
        base = self.site.base
        counter = 0
        while not self.stopping.is_set():
            counter += 1
            kind = rng.choice(["ask", "answer", "vote", "read", "search", "search"])
            words = " ".join(rng.sample(WORDS, 3))
            with self.lock:
                known = list(self.questions[-50:])
            if kind == "ask" or not known:
                kind = "ask"
                status, body = call(
                    base,
                    "/api/v1/questions",
                    {
                        "title": f"Client {n} asks {counter}: {words} fails",
                        "body": f"Client {n} request {counter}: the {words} fails "
                        "every morning after the update.",
                        "tags": [rng.choice(WORDS)],
                    },
                    token,
                )
                if status == 201 and body:
                    with self.lock:
                        self.questions.append(body["id"])
                        self.asked.append(body["id"])
            elif kind == "answer":
                status, _ = call(
                    base,
                    f"/api/v1/questions/{rng.choice(known)}/answers",
                    {"body": f"Client {n} answer {counter}: reinstall the {words}."},
                    token,
                )
            elif kind == "vote":
                status, _ = call(
                    base,
                    f"/api/v1/posts/{rng.choice(known)}/vote",
                    {"value": 1},
                    token,
                    method="PUT",
                )
            elif kind == "read":
                status, _ = call(base, f"/api/v1/questions/{rng.choice(known)}")
            else:
                status, _ = call(base, f"/api/v1/search?q={rng.choice(WORDS)}")
            with self.lock:
                self.statuses[(kind, status)] += 1


def kill_a_worker(site: Site) -> str:
    web = int(site.ctl("pid", "web").strip() or 0)
    children = subprocess.run(
        ["pgrep", "-P", str(web)], capture_output=True, text=True
    ).stdout.split()
    if not children:
        return "no worker found"
    os.kill(int(children[0]), signal.SIGKILL)
    return f"killed worker {children[0]}"


def kill_the_indexer(site: Site) -> str:
    pid = int(site.ctl("pid", "indexer").strip() or 0)
    if pid:
        os.kill(pid, signal.SIGKILL)
    return f"killed indexer {pid}"


def corrupt_postings(site: Site) -> str:
    generation = site.live_generation()
    if generation is None:
        return "no index"
    for path in generation.glob("*.pst"):
        path.write_bytes(b"\xff\x00garbage" * (path.stat().st_size // 9 + 1))
    return f"overwrote the postings of {generation.name}"


def delete_index(site: Site) -> str:
    generation = site.live_generation()
    if generation is None:
        return "no index"
    shutil.rmtree(generation, ignore_errors=True)  # drains delete files too
    return f"deleted {generation.name}"


def search_recovery(site: Site, limit: float = 60.0) -> float | None:
    """Seconds until a search answers 200 (None if not within ``limit``)."""
    started = time.monotonic()
    while time.monotonic() - started < limit:
        if call(site.base, "/api/v1/search?q=printer")[0] == 200:
            return time.monotonic() - started
        time.sleep(0.1)
    return None


def print_phase(name: str, statuses: Counter[tuple[str, int]], note: str = "") -> int:
    """Print a phase's requests by status; its 5xx (or unanswered) count."""
    by_status: Counter[int] = Counter()
    for (_, status), count in statuses.items():
        by_status[status] += count
    shown = ", ".join(f"{s}: {c}" for s, c in sorted(by_status.items()))
    bad = sorted(
        f"{kind} {status} x{count}"
        for (kind, status), count in statuses.items()
        if status >= 500 or status == 0
    )
    print(f"{name:34} {sum(by_status.values()):6} requests | {shown}")
    if bad:
        print(f"{'':34} 5xx or no answer: {', '.join(bad)}")
    if note:
        print(f"{'':34} {note}")
    return count_errors(statuses)


def server_errors(log: Path) -> list[str]:
    """The distinct exceptions the servers logged (each traceback's last
    line), with how often."""
    try:
        lines = log.read_text(errors="replace").splitlines()
    except FileNotFoundError:
        return []
    seen: Counter[str] = Counter()
    for n, line in enumerate(lines):
        if line.startswith("Traceback (most recent call last)"):
            end = n + 1
            while end < len(lines) and (lines[end].startswith(" ") or not lines[end]):
                end += 1
            if end < len(lines):
                seen[lines[end][:200]] += 1
    return [f"{text} (x{count})" for text, count in seen.most_common()]


def count_errors(statuses: Counter[tuple[str, int]]) -> int:
    """Requests answered 5xx, or not at all."""
    return sum(c for (_, s), c in statuses.items() if s >= 500 or s == 0)


def checks(site: Site) -> list[str]:
    """The invariant checks' verdicts."""
    out = []
    for args in (["search", "check"], ["reputation", "verify"], ["recount", "--check"]):
        done = site.flask(*args)
        verdict = "clean" if done.returncode == 0 else "DIFFERENCES"
        last = (done.stdout.strip().splitlines() or ["(no output)"])[-1]
        out.append(f"{' '.join(args):18} {verdict}: {last[:100]}")
    return out


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=20.0, help="per phase")
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--workers", type=int, default=2)
    parser.add_argument("--database-url", help="an empty PostgreSQL database")
    args = parser.parse_args(argv)
    workdir = Path(tempfile.mkdtemp(prefix="forum-faults-"))
    site = Site(workdir, args.database_url)
    now = datetime.now(UTC)
    backend = "PostgreSQL" if args.database_url else "SQLite"
    print(
        f"bench/faults.py, {now:%Y-%m-%d %H:%M} UTC, {backend}, {args.clients} "
        f"clients, {args.workers} workers + 1 indexer, {args.seconds:g} s per phase"
    )
    errors = 0
    try:
        for command in (["db", "upgrade"],):
            site.flask(*command).check_returncode()
        tokens = []
        for n in range(4):
            name = f"fault{n}"
            site.flask(
                "users",
                "create",
                name,
                "--email",
                f"{name}@example.com",
                stdin=f"{PASSWORD}\n{PASSWORD}\n",
            ).check_returncode()
        site.start(args.workers)
        for n in range(4):
            status, body = call(
                site.base,
                "/api/v1/tokens",
                {"username": f"fault{n}", "password": PASSWORD},
            )
            assert status == 201, status
            tokens.append(body["token"])
        load = Load(site, tokens, seed=20261204)
        errors += print_phase("no fault", load.run(args.clients, args.seconds))
        for name, fault, index_fault in (
            ("kill -9 a gunicorn worker", kill_a_worker, False),
            ("kill -9 the indexer", kill_the_indexer, False),
            ("postings overwritten", corrupt_postings, True),
            ("index deleted", delete_index, True),
        ):
            result: dict = {}

            def inject(fault=fault, index_fault=index_fault, result=result) -> None:
                time.sleep(args.seconds / 4)
                result["what"] = fault(site)
                if index_fault:
                    result["recovered"] = search_recovery(site)

            injector = threading.Thread(target=inject)
            injector.start()
            statuses = load.run(args.clients, args.seconds)
            injector.join()
            note = result.get("what", "")
            if "recovered" in result:
                seconds = result["recovered"]
                note += (
                    f"; search answered 200 again after {seconds:.1f} s"
                    if seconds is not None
                    else "; search did not recover within 60 s"
                )
            # 503 from search while the index is rebuilt is the honest answer;
            # a killed worker's own request gets no answer (its connection
            # closes): the client sees the failure and nothing is half-done.
            honest = Counter(
                {
                    (kind, status): count
                    for (kind, status), count in statuses.items()
                    if (kind, status) != ("search", 503)
                    and not (fault is kill_a_worker and status == 0)
                }
            )
            print_phase(name, statuses, note)
            errors += count_errors(honest)
        # A backup while writing, then restored with the servers stopped.
        backup = workdir / "forum.backup"
        writer = threading.Thread(target=load.run, args=(args.clients, args.seconds))
        writer.start()
        time.sleep(args.seconds / 2)
        made = site.flask("backup", str(backup))
        writer.join()
        asked_before = len(load.asked)
        print(
            f"{'backup while writing':34} {made.stdout.strip() or made.stderr.strip()}"
        )
        site.stop()
        restored = site.flask("restore", str(backup), "--yes")
        print(
            f"{'restore (servers stopped)':34} exit {restored.returncode}; "
            + " ".join(restored.stdout.split())[:120]
        )
        site.start(args.workers)
        errors += print_phase(
            "served again after the restore", load.run(args.clients, args.seconds / 2)
        )
        site.stop()
        print(f"questions asked with a 201: {asked_before} before the restore")
        for line in checks(site):
            print(f"check: {line}")
    finally:
        site.stop()
        failures = server_errors(site.log)
        shutil.rmtree(workdir, ignore_errors=True)
    print(
        "5xx or no answer, beside search's 503 while rebuilt and the killed "
        f"worker's own request: {errors} (target 0)"
    )
    for line in failures:
        print(f"server error: {line}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
