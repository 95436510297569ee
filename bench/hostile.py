"""Hostile input: the worst time of every route that takes text.

Generates the pathological corpus of tests/hostile_corpus.py (every family at
the length limit of each field) and sends it through a served app (one
single-threaded werkzeug server on 127.0.0.1, SQLite in a temporary folder,
rate limiting off) to every route of the URL map that takes text, pages and
API (tests/hostile_routes.py: forms, JSON bodies, query parameters and text
path parts; a hostile edit comes before the revision history page). Prints
the worst time per route and per family, the overall worst, and whether each
is under the 1 s target; 500s are listed. A request still running after
--timeout seconds counts as ">N s": the server is killed and restarted.

    .venv/bin/python bench/hostile.py [--timeout 20] [--scale 1.0]
        [--families "open brackets,setext"] [--root DIR] [--json FILE]

--root runs another checkout's code (e.g. main's, for a "before" figure);
its tests/ needs hostile_corpus.py and hostile_routes.py.
"""

import argparse
import http.cookiejar
import json
import os
import signal
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.parse
import urllib.request
from pathlib import Path

TARGET = 1.0

SERVER = """
import json, logging, sys
logging.getLogger("werkzeug").setLevel(logging.ERROR)
sys.path.insert(0, sys.argv[1])
from werkzeug.serving import make_server
from forum import create_app
config = json.loads(sys.argv[2])
app = create_app(config, instance_path=sys.argv[3])
server = make_server("127.0.0.1", int(sys.argv[4]), app, threaded=False)
print("ready", flush=True)
server.serve_forever()
"""


def free_port() -> int:
    """A TCP port nobody listens on."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class NoRedirect(urllib.request.HTTPRedirectHandler):
    """Measure the request itself, not the page it redirects to."""

    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


class Server:
    """The app served in a child process, restarted after a timeout."""

    def __init__(self, root: Path, config: dict, instance: Path):
        self.args = [
            sys.executable,
            "-c",
            SERVER,
            str(root),
            json.dumps(config),
            str(instance),
        ]
        self.process: subprocess.Popen | None = None
        self.port = 0

    def start(self) -> None:
        self.port = free_port()
        self.process = subprocess.Popen(
            [*self.args, str(self.port)],
            stdout=subprocess.PIPE,
            text=True,
            start_new_session=True,
        )
        assert self.process.stdout is not None
        if self.process.stdout.readline().strip() != "ready":
            raise SystemExit("the server did not start")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            os.killpg(self.process.pid, signal.SIGKILL)
            self.process.wait()

    def restart(self) -> None:
        self.stop()
        self.start()


class Client:
    """A cookie jar and a timeout; answers (status, seconds), status None on timeout."""

    def __init__(self, server: Server, timeout: float):
        self.server = server
        self.timeout = timeout
        self.token = ""
        self.opener = urllib.request.build_opener(
            urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar()), NoRedirect
        )

    def send(self, method, path, form=None, json_body=None, query=None):
        url = f"http://127.0.0.1:{self.server.port}{path}"
        if query:
            url += "?" + urllib.parse.urlencode(query)
        data, headers = None, {}
        if self.token and path.startswith("/api/"):
            headers["Authorization"] = f"Bearer {self.token}"
        if form is not None:
            data = urllib.parse.urlencode(form).encode()
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        elif json_body is not None:
            data = json.dumps(json_body).encode()
            headers["Content-Type"] = "application/json"
        request = urllib.request.Request(url, data=data, method=method, headers=headers)
        start = time.perf_counter()
        try:
            with self.opener.open(request, timeout=self.timeout) as response:
                response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            error.read()
            status = error.code
        except TimeoutError:
            return None, time.perf_counter() - start
        except urllib.error.URLError as error:
            if isinstance(error.reason, (TimeoutError, socket.timeout)):
                return None, time.perf_counter() - start
            raise
        return status, time.perf_counter() - start


def api_token(port: int, credentials: dict) -> str:
    """A bearer token for the API."""
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/api/v1/tokens",
        data=json.dumps(credentials).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    with urllib.request.urlopen(request, timeout=30) as response:
        return json.load(response)["token"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--timeout", type=float, default=20.0)
    parser.add_argument(
        "--scale", type=float, default=1.0, help="fraction of each limit"
    )
    parser.add_argument(
        "--families", default="", help="comma-separated; all by default"
    )
    parser.add_argument("--root", default=str(Path(__file__).resolve().parent.parent))
    parser.add_argument("--json", default="", help="write every measurement here")
    args = parser.parse_args()
    root = Path(args.root).resolve()
    sys.path.insert(0, str(root))

    from forum import create_app
    from tests.factories import PASSWORD
    from tests.hostile_corpus import FAMILIES
    from tests.hostile_routes import make_fixtures, plan, unmapped

    families = [f.strip() for f in args.families.split(",") if f.strip()] or list(
        FAMILIES
    )
    folder = Path(tempfile.mkdtemp(prefix="forum-hostile-"))
    config = {
        "SECRET_KEY": "hostile-bench",
        "DATABASE_URL": f"sqlite:///{folder / 'forum.sqlite'}",
        "SEARCH_INDEX_DIR": str(folder / "search-index"),
        "SEARCH_INDEXING": "manual",
        "SEARCH_CHECK_ON_START": False,
        "DEMO_CONTENT": False,
        "WTF_CSRF_ENABLED": False,
        "RATELIMIT_ENABLED": False,
    }
    app = create_app(config, instance_path=str(folder / "instance"))
    with app.app_context():
        from forum.extensions import db

        db.create_all()
        fixtures = make_fixtures()
    missing = unmapped(app)

    server = Server(root, config, folder / "instance")
    server.start()
    owner = Client(server, args.timeout)
    anonymous = Client(server, args.timeout)

    def log_in() -> None:
        login = {"login": "hostile_owner", "password": PASSWORD}
        status, _ = owner.send("POST", "/login", form=login)
        if status != 302:
            raise SystemExit(f"could not log in ({status})")
        if not owner.token:
            credentials = {"username": "hostile_owner", "password": PASSWORD}
            owner.token = api_token(server.port, credentials)

    log_in()
    results = []  # (route, family, seconds or None, status)
    try:
        for family in families:
            make = FAMILIES[family]
            family_start = time.perf_counter()
            for req in plan(
                app, fixtures, lambda n, make=make: make(max(1, int(n * args.scale)))
            ):
                client = anonymous if req.anonymous else owner
                status, seconds = client.send(
                    req.method, req.path, req.form, req.json, req.query
                )
                if status is None:
                    server.restart()
                    log_in()
                    results.append((req.route, family, None, None))
                else:
                    results.append((req.route, family, seconds, status))
            print(
                f"  {family}: {time.perf_counter() - family_start:.1f} s",
                file=sys.stderr,
            )
    finally:
        server.stop()

    report(results, args.timeout, missing)
    if args.json:
        Path(args.json).write_text(json.dumps(results, indent=1))


def shown(seconds, timeout: float) -> str:
    """A time, or ">N s" for a request that did not finish."""
    return f">{timeout:g} s" if seconds is None else f"{seconds:.3f} s"


def report(results, timeout: float, missing: list[str]) -> None:
    """The worst time per route, per family and overall."""

    def key(row):
        return float("inf") if row[2] is None else row[2]

    def worst_by(index: int) -> dict:
        worst: dict = {}
        for row in results:
            if row[index] not in worst or key(row) > key(worst[row[index]]):
                worst[row[index]] = row
        return worst

    for title, index, other in (("route", 0, 1), ("family", 1, 0)):
        print(
            f"\nWorst time per {title} (and the {'family' if index == 0 else 'route'}):"
        )
        for name, row in sorted(worst_by(index).items(), key=lambda kv: -key(kv[1])):
            ok = "ok  " if key(row) < TARGET else "SLOW"
            statuses = sorted({str(r[3]) for r in results if r[index] == name})
            line = f"{shown(row[2], timeout):>9}  {name}  [{row[other]}]"
            print(f"  {ok} {line} {','.join(statuses)}")
    errors = sorted(
        {(row[0], row[1]) for row in results if row[3] is not None and row[3] >= 500}
    )
    overall = max(results, key=key)
    under = key(overall) < TARGET
    where = f"{overall[0]} [{overall[1]}]"
    worst = shown(overall[2], timeout)
    print(f"\n{len(results)} requests; overall worst {worst}: {where}")
    print(f"every route under {TARGET:g} s: {'yes' if under else 'NO'}")
    print(f"server errors (5xx): {len(errors)}")
    for route, family in errors[:20]:
        print(f"  {route} [{family}]")
    if missing:
        print("routes with a body not in tests/hostile_routes.py (sent every field):")
        for route in missing:
            print(f"  {route}")


if __name__ == "__main__":
    main()
