"""`flask --app forum serve`: the production set of processes, supervised by
supervisord: gunicorn's workers and the one search indexer (later: the mail
and webhook workers), each restarted if it dies, all stopped gracefully."""

import os
import shlex
import sys
from pathlib import Path

# Seconds a process may take to finish its work after SIGTERM (a request, an
# index batch) before supervisord kills it.
STOP_SECONDS = 30


def default_workers() -> int:
    """gunicorn's usual advice: two per core, plus one."""
    return 2 * (os.cpu_count() or 1) + 1


def programs(host: str, port: int, workers: int) -> dict[str, list[str]]:
    """Each supervised process's command line."""
    bin_dir = Path(sys.executable).parent
    return {
        "web": [
            str(bin_dir / "gunicorn"),
            "forum:create_app()",
            f"--workers={workers}",
            f"--bind={host}:{port}",
            f"--graceful-timeout={STOP_SECONDS}",
            "--access-logfile=-",
        ],
        "indexer": [
            str(bin_dir / "flask"),
            "--app",
            "forum",
            "search",
            "sync",
            "--follow",
        ],
    }


def config_text(instance: Path, host: str, port: int, workers: int) -> str:
    """supervisord's configuration: in the foreground, logs to standard
    output, the workers told not to index (the indexer does)."""
    lines = [
        "; Written by `flask --app forum serve` at each start; edits are lost.",
        "[supervisord]",
        "nodaemon=true",
        "logfile=/dev/null",
        "logfile_maxbytes=0",
        f"pidfile={instance / 'supervisord.pid'}",
        "",
        "[unix_http_server]",
        f"file={instance / 'supervisord.sock'}",
        "chmod=0700",  # supervisorctl for this account only
        "",
        "[rpcinterface:supervisor]",
        "supervisor.rpcinterface_factory = "
        "supervisor.rpcinterface:make_main_rpcinterface",
        "",
        "[supervisorctl]",
        f"serverurl=unix://{instance / 'supervisord.sock'}",
    ]
    for name, command in programs(host, port, workers).items():
        lines += [
            "",
            f"[program:{name}]",
            f"command={shlex.join(command)}",
            f"directory={Path.cwd()}",
            'environment=FORUM_SEARCH_INDEXING="manual"',
            "autorestart=true",
            "startsecs=2",
            "stopsignal=TERM",
            f"stopwaitsecs={STOP_SECONDS}",
            "stopasgroup=true",
            "killasgroup=true",
            "stdout_logfile=/dev/stdout",
            "stdout_logfile_maxbytes=0",
            "redirect_stderr=true",
        ]
    return "\n".join(lines) + "\n"
