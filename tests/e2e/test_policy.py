"""The Content-Security-Policy as chromium applies it: the site's pages need
nothing it blocks, and what it blocks is reported."""

import pytest

from tests.e2e.browsing import log_in
from tests.factories import make_answer, make_comment, make_question, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("app_ctx")]


def visit(page, url: str) -> None:
    """Open a page and let its script and styles load."""
    page.goto(url)
    page.wait_for_load_state("networkidle")


def test_key_pages_break_no_policy(live_server, page):
    base = live_server
    question = make_question()
    make_comment(make_answer(question), question.owner)
    author = make_user(username="dana")
    urls = [
        "/",
        f"/questions/{question.id}/{question.slug}",
        f"/users/{author.id}/dana",
        "/tags",
        "/users",
        "/badges",
        "/search?q=printer",
        "/login",
        "/signup",
        "/no/such/page",
    ]
    for url in urls:
        visit(page, base + url)
    log_in(page, base, "dana")
    for url in (
        "/questions/ask",
        f"/questions/{question.id}/{question.slug}",
        "/users/edit",
        f"/posts/{question.id}/revisions",
    ):
        visit(page, base + url)
    # The stylesheets applied (a blocked sheet leaves the browser's defaults).
    assert (
        page.evaluate(
            "getComputedStyle(document.body).getPropertyValue('--text').trim()"
        )
        == "#1f2328"
    )
    assert page.csp_violations == []
    assert page.dialogs == []


def test_inline_script_and_style_are_blocked_and_reported(live_server, page):
    visit(page, live_server + "/")
    page.evaluate(
        """() => {
          const script = document.createElement("script");
          script.textContent = "window.inlineRan = true";
          document.body.append(script);
          const style = document.createElement("style");
          style.textContent = "body { display: none }";
          document.head.append(style);
        }"""
    )
    page.wait_for_timeout(200)
    assert page.evaluate("window.inlineRan === undefined")
    assert page.locator("body").is_visible()
    assert len(page.csp_violations) >= 2
    page.csp_violations.clear()  # the fixture's own check is for the site's pages
