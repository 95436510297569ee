"""What a person sees: sign up, ask, answer, comment, edit; no injected script runs."""

import re

import pytest
from sqlalchemy import func, select

from forum.extensions import db
from forum.models import Answer, Comment, Question, Revision
from tests.e2e.browsing import log_in
from tests.factories import PASSWORD, make_user

pytestmark = [pytest.mark.e2e, pytest.mark.usefixtures("app_ctx")]


def sign_up(page, base, username):
    """Create an account through the sign-up form."""
    page.goto(f"{base}/")
    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Sign up"
    ).click()
    page.get_by_label("Username").fill(username)
    page.get_by_label("Email").fill(f"{username}@example.com")
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign up").click()
    page.get_by_role("button", name="Log out").wait_for()


def log_out(page):
    """Press the nav's log-out button."""
    page.get_by_role("button", name="Log out").click()
    page.get_by_role("link", name="Log in").wait_for()


def test_sign_up_ask_answer_comment_edit(live_server, page):
    base = live_server
    sign_up(page, base, "asker1")

    page.get_by_role("navigation", name="Main").get_by_role(
        "link", name="Ask Question"
    ).click()
    page.get_by_label("Title", exact=True).fill(
        "Laptop battery stops charging at 80 percent"
    )
    page.get_by_label("Body", exact=True).fill(
        "My laptop stops charging at **80%** even when plugged in overnight.\n\n"
        "- Windows 11\n- charger is the original one"
    )
    # The live preview uses the server's renderer.
    page.locator("#body-preview strong", has_text="80%").wait_for()
    page.get_by_label("Tags", exact=True).fill("battery, laptop windows")
    page.get_by_role("button", name="Post Your Question").click()

    page.get_by_role(
        "heading", name="Laptop battery stops charging at 80 percent"
    ).wait_for()
    assert re.search(
        r"/questions/\d+/laptop-battery-stops-charging-at-80-percent$", page.url
    )
    assert page.locator(".post-body strong", has_text="80%").count() >= 1
    for tag in ("battery", "laptop", "windows"):
        assert page.locator("a.tag", has_text=tag).count() >= 1
    question_url = page.url
    log_out(page)

    sign_up(page, base, "helper1")
    page.goto(question_url)
    page.get_by_label("Your Answer", exact=True).fill(
        "This is the battery-care mode: turn off *Smart charging* in the vendor app."
    )
    page.get_by_role("button", name="Post Your Answer").click()
    page.locator(".answer .post-body em", has_text="Smart charging").wait_for()

    page.locator(".answer").get_by_text("Add a comment").first.click()
    comment_box = page.locator(".answer form.comment-form textarea").first
    comment_box.fill("Which vendor app do you mean exactly?")
    page.locator(".answer form.comment-form button[type=submit]").first.click()
    page.get_by_text("Which vendor app do you mean exactly?").wait_for()

    # Edit the answer: a second revision appears in the history.
    page.locator(".answer").get_by_role("link", name="Edit").first.click()
    page.get_by_label("Body", exact=True).fill(
        "This is the battery-care mode: turn off *Smart charging* in "
        "MyASUS or Lenovo Vantage."
    )
    page.get_by_label("Edit summary", exact=True).fill("name the apps")
    page.get_by_role("button", name="Save edits").click()
    page.get_by_text("MyASUS or Lenovo Vantage").wait_for()
    page.locator(".answer").get_by_role("link", name="History").first.click()
    page.get_by_text("name the apps").wait_for()
    assert page.locator(".diff ins", has_text="MyASUS").count() >= 1

    question = db.session.scalars(select(Question)).one()
    assert question.tag_names and set(question.tag_names) == {
        "battery",
        "laptop",
        "windows",
    }
    answer = db.session.scalars(select(Answer)).one()
    assert (
        db.session.scalar(
            select(func.count())
            .select_from(Revision)
            .where(Revision.post_id == answer.id)
        )
        == 2
    )
    assert db.session.scalar(select(func.count()).select_from(Comment)) == 1
    assert page.dialogs == []


def test_posted_script_does_not_run(live_server, page):
    base = live_server
    make_user(username="mallory", reputation=10)  # past the sandbox's image rule
    log_in(page, base, "mallory")
    page.goto(f"{base}/questions/ask")
    page.get_by_label("Title", exact=True).fill(
        'Printer <script>alert("t")</script> offline'
    )
    page.get_by_label("Body", exact=True).fill(
        "<script>alert('body')</script><img src=x onerror=\"alert('img')\">\n\n"
        "[click me](javascript:alert('link')) and <svg onload=alert('svg')></svg>"
    )
    page.get_by_label("Tags", exact=True).fill("printer")
    page.get_by_role("button", name="Post Your Question").click()
    page.get_by_role("heading", name=re.compile("Printer")).wait_for()
    # The title shows the script as text; nothing ran.
    assert '<script>alert("t")</script>' in page.locator("h1").inner_text()
    page.locator(".post-body").get_by_text("click me").click(no_wait_after=True)
    page.wait_for_timeout(300)
    page.goto(f"{base}/")
    page.wait_for_timeout(300)
    assert page.dialogs == []
    assert page.evaluate("document.querySelectorAll('.post-body script').length") == 0
