"""`flask serve` (what `make serve` runs): gunicorn's workers and the search
indexer under supervisord, a dead process restarted, all stopped by SIGTERM.
Real processes on 127.0.0.1, a SQLite database in a temporary folder."""

import json
import os
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

BIN = Path(sys.executable).parent
PASSWORD = "correct horse battery staple 42"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def call(url: str, body: dict | None = None, token: str = "") -> tuple[int, dict]:
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    data = json.dumps(body).encode() if body is not None else None
    request = urllib.request.Request(url, data=data, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as error:
        return error.code, json.loads(error.read() or b"{}")


def wait_for(check, seconds: float = 60.0):
    deadline = time.monotonic() + seconds
    while True:
        try:
            result = check()
        except OSError:
            result = None
        if result:
            return result
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.2)


@pytest.fixture
def site(tmp_path):
    """Settings for the processes, a migrated database and one user."""
    env = {
        **os.environ,
        "FORUM_INSTANCE_PATH": str(tmp_path / "instance"),
        "FORUM_DATABASE_URL": f"sqlite:///{tmp_path / 'forum.sqlite'}",
        "FORUM_SEARCH_INDEX_DIR": str(tmp_path / "index"),
        "FORUM_SEARCH_EMBEDDINGS": "false",
        "FORUM_DEMO_CONTENT": "false",
        "FORUM_RATELIMIT_ENABLED": "false",
        "FORUM_SEARCH_POLL_SECONDS": "0.2",
    }
    flask = [str(BIN / "flask"), "--app", "forum"]
    subprocess.run([*flask, "db", "upgrade"], env=env, check=True, capture_output=True)
    subprocess.run(
        [*flask, "users", "create", "operator", "--email", "op@example.com"],
        env=env,
        input=f"{PASSWORD}\n{PASSWORD}\n",
        text=True,
        check=True,
        capture_output=True,
    )
    return env, flask, tmp_path


def test_serve_supervises_the_workers_and_the_indexer(site):
    env, flask, tmp_path = site
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [*flask, "serve", "--port", str(port), "--workers", "2"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    try:
        wait_for(lambda: call(f"{base}/readyz")[0] == 200)
        status, body = call(
            f"{base}/api/v1/tokens", {"username": "operator", "password": PASSWORD}
        )
        assert status == 201
        token = body["token"]

        def ask_and_find(word: str) -> int:
            status, question = call(
                f"{base}/api/v1/questions",
                {
                    "title": f"The {word} printer shows offline after a reboot",
                    "body": f"Since the update the {word} printer shows offline.",
                    "tags": ["printer"],
                },
                token,
            )
            assert status == 201, question

            def found() -> bool:
                items = call(f"{base}/api/v1/search?q={word}")[1]["items"]
                return [item["id"] for item in items] == [question["id"]]

            return wait_for(found, 30)  # the indexer, not the workers, indexes

        assert ask_and_find("kumquat")
        # A dead indexer is started again by supervisord.
        ctl = [
            str(BIN / "supervisorctl"),
            "-c",
            str(tmp_path / "instance" / "supervisord.conf"),
        ]
        pid = int(
            subprocess.run(
                [*ctl, "pid", "indexer"], capture_output=True, text=True
            ).stdout
        )
        os.kill(pid, signal.SIGKILL)
        wait_for(
            lambda: (
                (
                    out := subprocess.run(
                        [*ctl, "pid", "indexer"], capture_output=True, text=True
                    ).stdout.strip()
                ).isdigit()
                and int(out) != pid
            )
        )
        assert ask_and_find("papaya")
    finally:
        server.send_signal(signal.SIGTERM)
        assert server.wait(timeout=60) == 0
    # Everything stopped: nothing answers on the port.
    with pytest.raises(OSError):
        socket.create_connection(("127.0.0.1", port), timeout=1).close()
