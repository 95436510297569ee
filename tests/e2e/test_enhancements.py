"""What static/js/forum.js adds, as a person sees it, and the same without it.

Voting in place, refusals said beside the buttons, similar questions while
asking, the answer preview and the confirmation before a delete.
"""

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from forum.extensions import db
from forum.models import Comment, Question, Vote
from forum.services import voting
from tests.e2e.browsing import log_in
from tests.factories import make_answer, make_comment, make_question, make_user

pytestmark = pytest.mark.e2e


def question_path(app, **fields) -> tuple[int, str]:
    """Ask a question as a new user; return its id and its page's path."""
    with app.app_context():
        question = make_question(**fields)
        return question.id, f"/questions/{question.id}/{question.slug}"


def score_of(app, post_id: int) -> int:
    """The post's stored score."""
    with app.app_context():
        return db.session.get(Question, post_id).score


def test_votes_update_in_place(app, live_server, page):
    question_id, path = question_path(app)
    with app.app_context():
        make_user(username="voter", reputation=500)  # may vote down, sees counts
    log_in(page, live_server, "voter")
    page.goto(live_server + path)
    page.evaluate("window.stillThisPage = true")

    box = page.locator(f"#votes-{question_id}")
    up = box.get_by_role("button", name="Vote up")
    down = box.get_by_role("button", name="Vote down")
    up.click()
    expect(up).to_have_attribute("aria-pressed", "true")
    expect(box.locator(".score-value")).to_have_text("1")
    expect(box.locator(".score-label")).to_have_text("vote")
    expect(up).to_have_attribute("title", "This is useful (click again to undo)")
    expect(box.locator(".vote-counts")).to_have_text("up votes +1 / down votes −0")
    assert score_of(app, question_id) == 1

    down.click()
    expect(down).to_have_attribute("aria-pressed", "true")
    expect(up).to_have_attribute("aria-pressed", "false")
    expect(box.locator(".score-value")).to_have_text("-1")
    expect(box.locator(".vote-counts")).to_have_text("up votes +0 / down votes −1")

    down.click()  # pressed again: the vote is withdrawn
    expect(down).to_have_attribute("aria-pressed", "false")
    expect(box.locator(".score-value")).to_have_text("0")
    expect(box.locator(".score-label")).to_have_text("votes")
    expect(box.locator(".vote-counts")).to_have_text("up votes +0 / down votes −0")
    assert score_of(app, question_id) == 0
    with app.app_context():
        assert db.session.scalars(select(Vote)).all() == []

    # All of it without a page load: no flash, the same document.
    assert page.evaluate("window.stillThisPage") is True
    expect(page.locator(".flash")).to_have_count(0)
    assert page.dialogs == []


def test_a_refused_vote_says_why_beside_the_buttons(app, live_server, page):
    question_id, path = question_path(app)
    with app.app_context():
        make_user(username="newcomer", reputation=15)  # may vote up, not down
    log_in(page, live_server, "newcomer")
    page.goto(live_server + path)

    box = page.locator(f"#votes-{question_id}")
    box.get_by_role("button", name="Vote down").click()
    expect(box.get_by_role("status")).to_contain_text(
        "Vote down requires 125 reputation"
    )
    expect(box.locator(".score-value")).to_have_text("0")
    expect(box.get_by_role("button", name="Vote down")).to_have_attribute(
        "aria-pressed", "false"
    )
    assert score_of(app, question_id) == 0

    box.get_by_role("button", name="Vote up").click()  # a new try clears it
    expect(box.locator(".score-value")).to_have_text("1")
    expect(box.locator(".vote-message")).to_be_empty()


def test_votes_work_without_javascript(app, live_server, browser):
    question_id, path = question_path(app)
    with app.app_context():
        make_user(username="plain", reputation=15)
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server, "plain")
        page.goto(live_server + path)
        box = page.locator(f"#votes-{question_id}")
        box.get_by_role("button", name="Vote up").click()
        expect(page.locator(".flash")).to_have_text("Upvoted.")
        box = page.locator(f"#votes-{question_id}")
        expect(box.locator(".score-value")).to_have_text("1")
        expect(box.get_by_role("button", name="Vote up")).to_have_attribute(
            "aria-pressed", "true"
        )
        assert score_of(app, question_id) == 1
    finally:
        context.close()


def test_similar_questions_appear_while_asking(app, live_server, page):
    app.config["SEARCH_INDEXING"] = "sync"  # ask, then find it right away
    with app.app_context():
        asker = make_user()
        question = make_question(
            asker, title="Laptop battery stops charging at 80 percent"
        )
        answer = make_answer(question)
        voting.accept_answer(asker, question, answer)
        make_user(username="newasker")
    log_in(page, live_server, "newasker")
    page.goto(f"{live_server}/questions/ask")

    aside = page.get_by_role("complementary", name="Similar questions")
    expect(aside).to_be_hidden()  # empty until the title says enough
    page.get_by_label("Title", exact=True).fill("battery stops charging")
    expect(aside.get_by_role("heading", name="Similar questions")).to_be_visible()
    item = aside.get_by_role("listitem")
    expect(item).to_have_count(1)
    expect(item).to_contain_text("solved")
    expect(item).to_contain_text("1 answer")

    # The link is the question's page (its URL pattern comes from the page).
    item.get_by_role("link", name="Laptop battery stops charging at 80 percent").click()
    expect(
        page.get_by_role("heading", name="Laptop battery stops charging at 80 percent")
    ).to_be_visible()
    assert page.url.endswith("/laptop-battery-stops-charging-at-80-percent")
    assert page.dialogs == []


def test_the_answer_form_previews_markdown(app, live_server, page):
    _, path = question_path(app)
    with app.app_context():
        make_user(username="helper")
    log_in(page, live_server, "helper")
    page.goto(live_server + path)

    preview = page.get_by_role("region", name="Preview of your answer")
    expect(preview).to_be_visible()  # hidden in the HTML: the script shows it
    page.get_by_label("Your Answer", exact=True).fill(
        "Open the **print queue** and press `Resume`.\n\n<script>alert(1)</script>"
    )
    expect(preview.locator("strong")).to_have_text("print queue")
    expect(preview.locator("code")).to_have_text("Resume")
    expect(preview.locator("script")).to_have_count(0)
    assert page.dialogs == []


def test_deleting_asks_first(app, live_server, page):
    question_id, path = question_path(app)
    with app.app_context():
        question = db.session.get(Question, question_id)
        author = make_user(username="commenter", reputation=50)
        comment_id = make_comment(question, author, body="Is it the 5 GHz band?").id
    log_in(page, live_server, "commenter")
    page.goto(live_server + path)
    comment = page.locator(f"#comment-{comment_id}")

    comment.get_by_role("button", name="Delete").click()  # dismissed
    assert page.dialogs == ["Delete this comment?"]
    expect(comment).to_contain_text("Is it the 5 GHz band?")
    with app.app_context():
        assert not db.session.get(Comment, comment_id).is_deleted

    page.accept_dialogs = True
    comment.get_by_role("button", name="Delete").click()
    expect(page.locator(".flash")).to_have_text("The comment was deleted.")
    assert page.dialogs == ["Delete this comment?"] * 2
    with app.app_context():
        assert db.session.get(Comment, comment_id).is_deleted


def test_similar_questions_sit_above_the_button_on_a_phone(app, live_server, browser):
    app.config["SEARCH_INDEXING"] = "sync"
    with app.app_context():
        make_question(title="Laptop battery stops charging at 80 percent")
        make_user(username="phoneasker")
    context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        page = context.new_page()
        page.set_default_timeout(10_000)
        log_in(page, live_server, "phoneasker")
        page.goto(f"{live_server}/questions/ask")
        page.get_by_label("Title", exact=True).fill("battery stops charging")
        aside = page.get_by_role("complementary", name="Similar questions")
        expect(aside.get_by_role("listitem")).to_have_count(1)

        title_box = page.get_by_label("Title", exact=True).bounding_box()
        aside_box = aside.bounding_box()
        button = page.get_by_role("button", name="Post Your Question")
        button_box = button.bounding_box()
        assert title_box and aside_box and button_box
        assert title_box["y"] < aside_box["y"]
        assert aside_box["y"] + aside_box["height"] <= button_box["y"]
        assert aside_box["x"] + aside_box["width"] <= 390  # no sideways scroll
    finally:
        context.close()


def test_similar_questions_read_the_body_once_written(app, live_server, page):
    app.config["SEARCH_INDEXING"] = "sync"
    with app.app_context():
        make_question(
            title="Laptop stops charging at 80 percent",
            body="The charger light blinks amber and the battery stays at 80.",
        )
        make_question(
            title="Printer queue stuck after update",
            body="The spooler service hangs; clearing the spool folder fixed it.",
        )
        make_user(username="bodyasker")
    log_in(page, live_server, "bodyasker")
    page.goto(f"{live_server}/questions/ask")
    aside = page.get_by_role("complementary", name="Similar questions")
    page.get_by_label("Title", exact=True).fill("laptop stops charging overnight")
    expect(aside.get_by_role("listitem")).to_have_count(1)
    page.get_by_label("Body", exact=True).fill("Also the printer spooler hangs.")
    expect(aside.get_by_role("listitem")).to_have_count(2)
