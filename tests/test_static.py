"""The front end's files: what base.html links is served, cached, and scripted
with URLs from the page."""

import re
from pathlib import Path

import pytest

STATIC = Path(__file__).resolve().parent.parent / "static"
LINKED = re.compile(
    r'<(?:link rel="stylesheet" href|script type="module" src)="([^"]+)"'
)


def linked_files(client) -> list[str]:
    """The stylesheets and script a page links, in order."""
    return LINKED.findall(client.get("/").get_data(as_text=True))


def test_every_page_links_the_stylesheets_in_order_and_the_module(client):
    assert linked_files(client) == [
        "/static/css/base.css",
        "/static/css/components.css",
        "/static/css/pages.css",
        "/static/js/forum.js",
    ]


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
