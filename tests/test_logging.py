"""Log lines: one failure is one entry (its traceback inside), as text or as
one JSON object a line for log collectors (LOG_FORMAT)."""

import json

import pytest

from tests.helpers import make_app


def failing_app(tmp_path, **config):
    app = make_app(tmp_path, **config)
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500, as in production

    @app.get("/test-fail")
    def fail():
        raise RuntimeError("nothing here works")

    return app


def entries(err: str) -> list[str]:
    """What reached standard error, an entry per line not indented."""
    return [line for line in err.splitlines() if line and not line[0].isspace()]


def test_one_failure_is_one_json_line(tmp_path, capsys):
    app = failing_app(tmp_path, LOG_FORMAT="json")
    capsys.readouterr()
    assert app.test_client().get("/test-fail").status_code == 500
    lines = capsys.readouterr().err.splitlines()
    assert len(lines) == 1
    entry = json.loads(lines[0])
    assert entry["level"] == "ERROR" and entry["logger"] == "forum"
    assert entry["message"].startswith("Exception on /test-fail [GET]")
    assert entry["exc_info"].startswith("Traceback (most recent call last):")
    assert entry["exc_info"].endswith("RuntimeError: nothing here works")
    assert "time" in entry


def test_text_lines_by_default_with_one_traceback(tmp_path, capsys):
    app = failing_app(tmp_path)
    capsys.readouterr()
    assert app.test_client().get("/test-fail").status_code == 500
    err = capsys.readouterr().err
    assert err.count("Traceback (most recent call last):") == 1
    first = entries(err)[0]
    assert " ERROR forum: Exception on /test-fail [GET]" in first


def test_an_unknown_log_format_is_refused_at_start(tmp_path):
    with pytest.raises(ValueError, match="LOG_FORMAT must be one of"):
        make_app(tmp_path, LOG_FORMAT="xml")
