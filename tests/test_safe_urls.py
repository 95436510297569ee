"""Every URL a template writes into a link goes through forum/safe_urls.py:
http(s) and relative URLs only, wherever they came from."""

import re
from pathlib import Path

import pytest

from forum.extensions import db
from forum.models import Question, User
from forum.safe_urls import is_safe_url, safe_url
from tests.factories import make_question, make_user
from tests.helpers import canonical, text

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

HOSTILE = [
    "javascript:alert(1)",
    "JaVaScRiPt:alert(1)",
    " javascript:alert(1)",
    "java\nscript:alert(1)",
    "java\tscript:alert(1)",
    "java    script:alert(1)",
    "\u3000javascript:alert(1)",
    "\x01javascript:alert(1)",
    "javascript\x00:alert(1)",
    "vbscript:msgbox(1)",
    "data:text/html,<script>alert(1)</script>",
    "data:image/svg+xml;base64,PHN2Zz4=",
    "file:///etc/passwd",
    "//evil.example/",
    " //evil.example/",
    "\\\\evil.example/",
    "/\\evil.example/",
    "https:evil.example",
    "https://",
    "http://trusted.example@evil.example/",
    "feed:javascript:alert(1)",
    "",
]

SAFE = [
    "https://ada.example.com/",
    "http://example.org/path?q=a:b#frag",
    "HTTPS://EXAMPLE.ORG",
    "https://example.org:8443/x",
    "/questions/1/slug",
    "/questions/1#answer-2",
    "relative/page",
    "?page=2",
    "#top",
]


@pytest.mark.parametrize("value", HOSTILE)
def test_hostile_urls_are_refused(value):
    assert safe_url(value) == ""


@pytest.mark.parametrize("value", SAFE)
def test_web_and_relative_urls_pass_unchanged(value):
    assert safe_url(value) == value


def test_markdown_links_may_also_be_mailto():
    schemes = frozenset({"http", "https", "mailto"})
    assert is_safe_url("mailto:help@example.org", schemes)
    assert not is_safe_url("mailto:help@example.org")
    assert not is_safe_url("javascript:alert(1)", schemes)


def test_none_and_surrounding_spaces():
    assert safe_url(None) == ""
    assert safe_url("  https://example.org/  ") == "https://example.org/"


# -- templates -----------------------------------------------------------------

URL_ATTRIBUTE = re.compile(
    r"""\s(href|src|action|formaction|data-[\w-]*(?:url|api))=(["'])(.*?)\2""",
    re.S,
)
INTERPOLATION = re.compile(r"{{(.*?)}}", re.S)
TRUSTED = re.compile(r"\s*url_for\(.*\)\s*|.*\|\s*safe_url\s*")


def unchecked_urls(source: str) -> list[str]:
    """The URL attributes whose value interpolates anything but url_for or a
    safe_url-filtered value before a fragment or query string starts."""
    found = []
    for match in URL_ATTRIBUTE.finditer(source):
        value = match.group(3)
        for expression in INTERPOLATION.finditer(value):
            literal_before = INTERPOLATION.sub("", value[: expression.start()])
            if "#" in literal_before or "?" in literal_before:
                continue  # past the scheme and host: cannot make a link unsafe
            if not TRUSTED.fullmatch(expression.group(1)):
                found.append(match.group(0).strip())
    return found


def test_the_scan_finds_unchecked_urls():
    assert unchecked_urls('<a href="{{ user.website }}">') == [
        'href="{{ user.website }}"'
    ]
    assert unchecked_urls("<img src='/{{ path }}'>") == ["src='/{{ path }}'"]
    assert unchecked_urls("<a href=\"{{ url_for('x') }}#a-{{ n }}\">") == []
    assert unchecked_urls('<a href="{{ user.website|safe_url }}">') == []


def test_no_template_writes_a_url_without_safe_url():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
        found += [f"{path.relative_to(TEMPLATES)}: {u}" for u in unchecked_urls(source)]
    assert found == []


# -- pages ---------------------------------------------------------------------


def store_website(user: User, website: str) -> None:
    """Write the website straight into the database, as a crafted import could."""
    db.session.execute(
        db.update(User).where(User.id == user.id).values(website=website)
    )
    db.session.commit()


LINKS = re.compile(r"<a\b[^>]*>", re.S)


@pytest.mark.usefixtures("app_ctx")
@pytest.mark.parametrize(
    "website",
    [
        "javascript:alert(1)",
        "java\nscript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "vbscript:msgbox(1)",
        "//evil.example/",
    ],
)
def test_a_hostile_website_is_shown_as_text_not_a_link(client, website):
    user = make_user()
    store_website(user, website)
    page = text(client, f"/users/{user.id}/{user.username}")
    assert '<span class="profile-website">' in page
    assert 'class="profile-website" href=' not in page
    for link in LINKS.findall(page):
        assert not re.search(r"script|data:|//evil", link, re.I), link


@pytest.mark.usefixtures("app_ctx")
def test_a_web_address_is_still_a_link(client):
    user = make_user()
    store_website(user, "https://ada.example.com/")
    page = text(client, f"/users/{user.id}/{user.username}")
    assert 'class="profile-website" href="https://ada.example.com/"' in page


@pytest.mark.usefixtures("app_ctx")
def test_imported_attribution_links_only_web_addresses(client):
    question = make_question()
    db.session.execute(
        db.update(Question)
        .where(Question.id == question.id)
        .values(
            source_url="javascript:alert(1)//https://q.example/",
            source_author="Mallory",
            source_author_url="data:text/html,<script>alert(2)</script>",
            source_license="CC BY-SA 4.0",
        )
    )
    db.session.commit()
    page = text(client, canonical(question))
    assert "Originally posted on" in page and "Mallory" in page
    attribution = page.split('class="attribution"', 1)[1].split("</p>", 1)[0]
    assert "javascript" not in attribution and "data:" not in attribution
    links = LINKS.findall(attribution)
    assert links == [
        '<a href="https://creativecommons.org/licenses/by-sa/4.0/" '
        'rel="license noopener">'
    ]
