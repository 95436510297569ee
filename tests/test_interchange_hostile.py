"""Crafted dumps: imported profiles meet the profile form's rules, and a bad
dump (encodings, DTDs, deep HTML, huge attributes) ends with a message and
changes nothing."""

import time
from pathlib import Path

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Comment, Post, Revision, User
from tests.factories import make_question
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


def file_line(output: str, name: str) -> str:
    """One file's line of the import summary."""
    table = output[output.index("imported  updated") :]
    return next(line for line in table.splitlines() if line.strip().startswith(name))


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
    line = file_line(result.output, "Users.xml")
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
    line = file_line(result.output, "Users.xml")
    name_max = config["DISPLAY_NAME_MAX_LENGTH"]
    assert f"1 display names cut to {name_max} characters" in line
    assert f"1 locations cut to {config['LOCATION_MAX_LENGTH']} characters" in line
    assert f"1 about texts cut to {config['ABOUT_MAX_LENGTH']} characters" in line
    # Within the limits, nothing is changed or counted.
    alice = imported_user("Alice Asker")
    assert (alice.location, alice.website) == ("Lisbon", "https://alice.example.org")


def test_posts_and_comments_are_cut_to_the_form_limits(runner, dump, app):
    config = app.config
    long_title = "Why " * config["TITLE_MAX_LENGTH"]
    posts = with_row(
        "Posts.xml",
        Title=long_title,
        Body="<p>" + "word " * config["BODY_MAX_LENGTH"] + "</p>",
    )
    rewrite(dump, "Posts.xml", posts)
    comment = "a comment " * config["COMMENT_MAX_LENGTH"]
    rewrite(dump, "Comments.xml", with_row("Comments.xml", Text=comment))
    history = with_row("PostHistory.xml")
    history[1]["Text"] = "old body " * (config["BODY_MAX_LENGTH"] // 9 + 100)
    rewrite(dump, "PostHistory.xml", history)

    result = run_import(runner, dump)

    assert result.exit_code == 0, result.output
    question = db.session.get(Post, 1)
    assert len(question.title) <= config["TITLE_MAX_LENGTH"]
    assert question.title.startswith("Why Why")
    assert 0 < len(question.body_markdown) <= config["BODY_MAX_LENGTH"]
    assert all(
        len(c.body_markdown) <= config["COMMENT_MAX_LENGTH"]
        for c in db.session.scalars(select(Comment))
    )
    revision = db.session.scalar(
        select(Revision).where(Revision.post_id == 1).order_by(Revision.number)
    )
    assert 0 < len(revision.body_markdown) <= config["BODY_MAX_LENGTH"]
    posts_line = file_line(result.output, "Posts.xml")
    assert f"1 titles cut to {config['TITLE_MAX_LENGTH']} characters" in posts_line
    assert "1 bodies (as Markdown) cut to" in posts_line
    assert "1 comments cut to" in file_line(result.output, "Comments.xml")
    assert "1 revision bodies cut to" in file_line(result.output, "PostHistory.xml")
    # A second run imports nothing and counts no cut again.
    again = run_import(runner, dump)
    assert "cut to" not in again.output


# --- bad dumps: a message, never a traceback, and nothing changed ---------------


def refused(runner, folder, message: str, seconds: float | None = None) -> str:
    """Import ``folder``; it must fail with ``message`` and change nothing."""
    make_question()  # the database is not empty: its rows must stay as they are
    before = row_counts()
    started = time.monotonic()
    result = run_import(runner, folder)
    took = time.monotonic() - started
    assert result.exit_code == 1, result.output
    assert "Traceback" not in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)
    assert message in result.output, result.output
    assert "Nothing was imported" in result.output
    assert row_counts() == before
    if seconds is not None:
        assert took < seconds, took
    return result.output


def xml_file(dump: Path, name: str) -> str:
    """A dump file's text."""
    return (dump / name).read_text(encoding="utf-8")


def test_utf16_with_a_byte_order_mark_is_refused(runner, dump):
    text = xml_file(dump, "Users.xml").lstrip("\ufeff")
    (dump / "Users.xml").write_bytes(text.encode("utf-16"))  # BOM first
    refused(runner, dump, "Users.xml is UTF-16 (byte-order mark)")


def test_utf16_without_a_byte_order_mark_is_refused(runner, dump):
    text = xml_file(dump, "Posts.xml").lstrip("\ufeff")
    (dump / "Posts.xml").write_bytes(text.encode("utf-16-le"))
    refused(runner, dump, "Posts.xml looks like UTF-16 or UTF-32")


def test_latin1_bytes_are_refused_where_they_are(runner, dump):
    rows = with_row("Users.xml", DisplayName="Zoë Café")
    rewrite(dump, "Users.xml", rows)
    raw = (dump / "Users.xml").read_bytes()
    (dump / "Users.xml").write_bytes(
        raw.replace("Zoë Café".encode(), b"Zo\xeb Caf\xe9")
    )
    refused(runner, dump, "Users.xml is not valid UTF-8 (byte ")


@pytest.mark.parametrize("encoding", ["klingon", "ISO-8859-1", "shift_jis"])
def test_a_declared_encoding_other_than_utf8_is_refused(runner, dump, encoding):
    rewrite(
        dump,
        "Comments.xml",
        FILES["Comments.xml"][1],
        head=f'<?xml version="1.0" encoding="{encoding}"?>',
    )
    refused(runner, dump, f"Comments.xml declares the encoding {encoding!r}")


BILLION_LAUGHS = (
    '<!DOCTYPE posts [<!ENTITY lol "lol">'
    + "".join(
        f'<!ENTITY lol{n} "{f"&lol{n - 1};" * 10 if n > 1 else "&lol;" * 10}">'
        for n in range(1, 10)
    )
    + "]>"
)
EXTERNAL = '<!DOCTYPE posts [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'


@pytest.mark.parametrize("doctype", [BILLION_LAUGHS, EXTERNAL])
def test_entities_are_never_expanded_or_fetched(runner, dump, doctype):
    entity = "&lol9;" if doctype == BILLION_LAUGHS else "&xxe;"
    rows = with_row("Posts.xml", Body="ENTITY")
    rewrite(dump, "Posts.xml", rows, head=DECLARATION + "\n" + doctype)
    text = xml_file(dump, "Posts.xml").replace("ENTITY", entity)
    (dump / "Posts.xml").write_text(text, encoding="utf-8")
    output = refused(runner, dump, "Posts.xml declares a DTD", seconds=30)
    assert "root:" not in output
    assert not db.session.scalar(select(Post).where(Post.body_markdown.contains("lol")))


def nested(tag: str, depth: int) -> str:
    """HTML of ``depth`` nested elements (unclosed, as a hostile dump has them)."""
    return f"<{tag}>" * depth + "deep"


def test_100000_nested_elements_in_a_body_are_refused_quickly(runner, dump, app):
    app.config["IMPORT_MAX_FIELD_LENGTH"] = 1_000_000  # let the depth check see it
    rewrite(dump, "Posts.xml", with_row("Posts.xml", Body=nested("b", 100_000)))
    refused(runner, dump, "nesting HTML elements more than 100 deep", seconds=30)


@pytest.mark.parametrize(
    ("name", "attr"),
    [("Posts.xml", "Body"), ("Users.xml", "AboutMe"), ("Comments.xml", "Text")],
)
def test_deep_html_is_refused_in_every_converted_field(runner, dump, name, attr):
    rewrite(dump, name, with_row(name, **{attr: nested("div", 30_000)}))
    refused(runner, dump, f"{name}: the row with Id '", seconds=30)


def test_html_nested_within_the_limit_imports(runner, dump, app):
    depth = app.config["IMPORT_MAX_HTML_DEPTH"] - 1  # and the <p>
    body = "<div>" * depth + "<p>deep enough</p>" + "</div>" * depth
    rewrite(dump, "Posts.xml", with_row("Posts.xml", Body=body))
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    assert "deep enough" in db.session.get(Post, 1).body_markdown


def huge_row_file(dump: Path, name: str, attr: str, megabytes: int) -> None:
    """Give the first row of ``name`` an attribute of ``megabytes`` MB."""
    rewrite(dump, name, with_row(name, **{attr: "HUGE"}))
    head, tail = (dump / name).read_bytes().split(b"HUGE", 1)
    with open(dump / name, "wb") as out:
        out.write(head)
        out.write(b"x" * (megabytes * 1024 * 1024))
        out.write(tail)


@pytest.mark.parametrize("attr", ["Body", "Title"])
def test_a_20_megabyte_attribute_is_refused_in_bounded_time(runner, dump, attr):
    huge_row_file(dump, "Posts.xml", attr, 20)
    refused(runner, dump, "Posts.xml has a row longer than", seconds=30)


def test_an_attribute_over_the_field_limit_is_refused(runner, dump, app):
    size = app.config["IMPORT_MAX_FIELD_LENGTH"] + 1
    rewrite(dump, "Posts.xml", with_row("Posts.xml", Title="t" * size))
    refused(runner, dump, f"has a Title of {size:,} characters")


def test_a_row_with_too_many_attributes_is_refused(runner, dump, app):
    extra = {f"X{n}": "1" for n in range(app.config["IMPORT_MAX_ATTRIBUTES"] + 1)}
    rewrite(dump, "Votes.xml", with_row("Votes.xml", **extra))
    refused(runner, dump, "Votes.xml: the row with Id")


def test_a_truncated_file_is_refused(runner, dump):
    raw = (dump / "Posts.xml").read_bytes()
    (dump / "Posts.xml").write_bytes(raw[: len(raw) // 2])
    refused(runner, dump, "Posts.xml is not well-formed XML")


def test_an_unclosed_tag_flood_imports_in_bounded_time(runner, dump):
    body = "<p>" + "<" * 200 + "<a" + "b" * 100_000 + "</p>"
    rewrite(dump, "Posts.xml", with_row("Posts.xml", Body=body))
    started = time.monotonic()
    result = run_import(runner, dump)
    assert result.exit_code == 0, result.output
    assert time.monotonic() - started < 30


def test_the_row_limit_holds_anywhere_in_a_file(runner, dump, app):
    app.config["IMPORT_MAX_ROW_BYTES"] = 2000
    comments = [dict(r) for r in FILES["Comments.xml"][1]]
    comments[-1]["Text"] = "a long comment " * 200  # 3,000 bytes, the last row
    rewrite(dump, "Comments.xml", comments)
    refused(runner, dump, "Comments.xml has a row longer than 2,000 bytes")
