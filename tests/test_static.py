"""The front end's files: what base.html links is served, cached, and scripted
with URLs from the page."""

import gzip
import hashlib
import json
import os
import re
import shutil
import time
from pathlib import Path

import brotli
import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"
LINKED = re.compile(
    r'<(?:link rel="stylesheet" href|script type="module" src)="([^"]+)"'
)


def linked_files(client) -> list[str]:
    """The stylesheets and script a page links, in order."""
    return LINKED.findall(client.get("/").get_data(as_text=True))


def test_every_page_links_the_stylesheets_in_order_and_the_module(client):
    linked = linked_files(client)
    assert [url.split("?")[0] for url in linked] == [
        "/static/css/base.css",
        "/static/css/components.css",
        "/static/css/pages.css",
        "/static/js/forum.js",
    ]
    # Each by its content's version: cached for a year, renamed by a change.
    for url in linked:
        path, version = url.split("?v=")
        content = (STATIC / path.removeprefix("/static/")).read_bytes()
        assert version == hashlib.sha256(content).hexdigest()[:12]
        with client.get(url) as response:
            assert response.status_code == 200
            cache = response.headers["Cache-Control"]
            assert cache == "public, max-age=31536000, immutable"


def test_a_changed_file_gets_a_new_url_and_old_urls_revalidate(app, client, tmp_path):
    folder = tmp_path / "static"
    shutil.copytree(STATIC, folder)
    app.static_folder = str(folder)
    first = linked_files(client)[0]
    css = folder / "css" / "base.css"
    css.write_text(css.read_text() + "\n.changed { color: red; }\n")
    os.utime(css, (time.time() + 5, time.time() + 5))  # a later modification
    second = linked_files(client)[0]
    assert first != second and first.split("?")[0] == second.split("?")[0]
    with client.get(second) as response:
        assert b".changed" in response.data
        assert "immutable" in response.headers["Cache-Control"]
    # The old version, a made-up one or none: asked again every time.
    for url in (first, second.split("?")[0], second + "0"):
        with client.get(url) as response:
            assert response.status_code == 200
            assert response.headers["Cache-Control"] == "no-cache"


def test_static_files_and_json_are_compressed_pages_are_not(client):
    url = linked_files(client)[0]
    with client.get(url, headers={"Accept-Encoding": "br"}) as response:
        assert response.headers["Content-Encoding"] == "br"
        assert "Accept-Encoding" in response.headers["Vary"]
        body = brotli.decompress(response.data)
    assert body == (STATIC / "css" / "base.css").read_bytes()
    response = client.get("/api/v1/openapi.json", headers={"Accept-Encoding": "gzip"})
    assert response.headers["Content-Encoding"] == "gzip"
    assert json.loads(gzip.decompress(response.data))["openapi"].startswith("3.")
    # Pages carry a CSRF token beside text a visitor chose: not compressed.
    response = client.get("/", headers={"Accept-Encoding": "gzip, br"})
    assert "Content-Encoding" not in response.headers


CSS = ("text/css",)
# Module scripts need a JavaScript type; older mimetypes tables say application/.
JAVASCRIPT = ("text/javascript", "application/javascript")


@pytest.mark.parametrize(
    ("url", "mimetypes"),
    [
        ("/static/css/base.css", CSS),
        ("/static/css/components.css", CSS),
        ("/static/css/pages.css", CSS),
        ("/static/js/forum.js", JAVASCRIPT),
    ],
)
def test_linked_files_are_served_and_revalidated(client, url, mimetypes):
    with client.get(url) as response:  # closes the served file
        assert response.status_code == 200
        assert response.mimetype in mimetypes
        etag = response.headers["ETag"]
    with client.get(url, headers={"If-None-Match": etag}) as again:
        assert again.status_code == 304


def test_the_script_builds_no_site_urls():
    # Every URL comes from the page (data-*-url attributes, form actions).
    script = (STATIC / "js" / "forum.js").read_text()
    script = re.sub(r"/\*.*?\*/|//[^\n]*", "", script, flags=re.S)  # comments
    assert not re.search(r"[\"'`]/(api|questions|posts|users|comments|preview)", script)


def test_each_stylesheet_keeps_one_small_screen_block_per_section():
    for sheet in sorted((STATIC / "css").glob("*.css")):
        text = sheet.read_text()
        for section in re.split(r"\n/\* ---- ", text):
            assert section.count("@media (max-width") <= 1, (sheet.name, section[:60])
