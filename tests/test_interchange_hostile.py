"""Crafted dumps: imported profiles meet the profile form's rules."""

from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import User
from tests.interchange_dump import FILES, SITE_URL, row_xml, write_dump

pytestmark = pytest.mark.usefixtures("app_ctx")

DECLARATION = '<?xml version="1.0" encoding="utf-8"?>'


def run_import(runner, folder):
    """Invoke ``flask import stackexchange FOLDER`` through the real CLI."""
    args = ["import", "stackexchange", str(folder), "--site-url", SITE_URL]
    return runner.invoke(args=args)


def row_counts() -> dict[str, int]:
    """Rows per table: proof that a refused import changed nothing."""
    db.session.rollback()
    return {
        table.name: db.session.scalar(select(func.count()).select_from(table))
        for table in db.metadata.sorted_tables
    }


def rewrite(folder: Path, name: str, rows: list[dict], head: str = DECLARATION):
    """Replace one dump file by these rows (UTF-8, one row per line)."""
    root = FILES[name][0]
    body = []
    for number, attrs in enumerate(rows, start=1):
        attrs = {"Id": str(number), **attrs}
        if root in ("votes", "postlinks"):
            attrs.setdefault("CreationDate", "2021-04-28T00:00:00.000")
        if root == "badges":
            attrs.setdefault("Date", "2021-05-03T00:00:00.000")
        body.append(row_xml(attrs))
    lines = [head, f"<{root}>", *body, f"</{root}>", ""]
    (folder / name).write_text("\n".join(lines), encoding="utf-8")


def with_row(name: str, **changes) -> list[dict]:
    """The dump's rows of a file, the first one changed."""
    rows = [dict(r) for r in FILES[name][1]]
    rows[0].update(changes)
    return rows


@pytest.fixture
def dump(tmp_path):
    """The small dump of tests/interchange_dump.py, in a folder of its own."""
    return write_dump(tmp_path / "dump")


# --- imported profiles meet the profile form's rules -----------------------------


def users_with(**fields_by_id: dict) -> list[dict]:
    """The dump's users plus extra ones: Id -> their fields."""
    rows = [dict(r) for r in FILES["Users.xml"][1]]
    for source_id, fields in fields_by_id.items():
        rows.append({"Id": source_id.removeprefix("u"), "Reputation": "1", **fields})
    return rows


def imported_user(source_name: str) -> User:
    """The imported user with this display name."""
    db.session.expire_all()
    return db.session.scalar(select(User).where(User.display_name == source_name))


def reasons(output: str) -> str:
    """The Users.xml line of the import summary."""
    table = output[output.index("imported  updated") :]
    return next(line for line in table.splitlines() if "Users.xml" in line)


def test_websites_the_profile_form_refuses_are_not_stored(runner, dump, client):
    urls = {
        "u10": "javascript:alert(document.cookie)",
        "u11": "data:text/html;base64,PHNjcmlwdD5hbGVydCgxKTwvc2NyaXB0Pg==",
        "u12": "JaVaScRiPt:alert(1)",
        "u13": "vbscript:msgbox(1)",
        "u14": "ftp://files.example.org/",
        "u15": "//evil.example.org/",
        "u16": "https://" + "a" * 300 + ".example.org",
        "u17": "  https://fine.example.org/me  ",
    }
    rewrite(
        dump,
        "Users.xml",
        users_with(
            **{
                key: {"DisplayName": f"Site {key}", "WebsiteUrl": url}
                for key, url in urls.items()
            }
        ),
    )
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    for key in urls:
        user = imported_user(f"Site {key}")
        want = "https://fine.example.org/me" if key == "u17" else ""
        assert user.website == want, key
    line = reasons(result.output)
    assert "6 websites dropped (not an http(s) address)" in line
    assert "1 websites over 200 characters dropped" in line
    assert summary_skipped(line) == 0  # the users themselves are imported
    profile = client.get(
        f"/users/{imported_user('Site u10').id}", follow_redirects=True
    )
    assert profile.status_code == 200
    assert "javascript:" not in profile.get_data(as_text=True)


def summary_skipped(line: str) -> int:
    """The skipped column of a summary line."""
    return int(line.split()[4])


def test_profile_fields_are_cut_to_the_form_limits(runner, dump, app):
    config = app.config
    long_name = "N" * (config["DISPLAY_NAME_MAX_LENGTH"] + 30)
    rewrite(
        dump,
        "Users.xml",
        users_with(
            u20={
                "DisplayName": long_name,
                "Location": "L" * (config["LOCATION_MAX_LENGTH"] + 50),
                "AboutMe": "<p>" + "word " * config["ABOUT_MAX_LENGTH"] + "</p>",
            }
        ),
    )
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    user = imported_user(long_name[: config["DISPLAY_NAME_MAX_LENGTH"]])
    assert user is not None
    assert len(user.location) == config["LOCATION_MAX_LENGTH"]
    assert len(user.about_markdown) <= config["ABOUT_MAX_LENGTH"]
    assert user.about_markdown.startswith("word word")
    line = reasons(result.output)
    name_max = config["DISPLAY_NAME_MAX_LENGTH"]
    assert f"1 display names cut to {name_max} characters" in line
    assert f"1 locations cut to {config['LOCATION_MAX_LENGTH']} characters" in line
    assert f"1 about texts cut to {config['ABOUT_MAX_LENGTH']} characters" in line
    # Within the limits, nothing is changed or counted.
    alice = imported_user("Alice Asker")
    assert (alice.location, alice.website) == ("Lisbon", "https://alice.example.org")
