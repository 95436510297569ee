"""The search page, the nav search box, related and similar questions."""

import re

import pytest
from sqlalchemy import select

from forum import demo, search
from forum.extensions import db
from forum.models import Question
from forum.services import posts, voting
from tests.factories import make_answer, make_question, make_user
from tests.helpers import text

pytestmark = pytest.mark.usefixtures("app_ctx")


def hit_ids(html: str) -> list[int]:
    """The question ids of the hits on a results page, in order."""
    return [int(i) for i in re.findall(r'id="search-hit-(\d+)"', html)]


def test_nav_has_a_labelled_search_box(client):
    html = text(client, "/")
    assert '<form role="search"' in html and 'action="/search"' in html
    assert '<label for="nav-search-q"' in html and 'id="nav-search-q" name="q"' in html


OPERATORS = (
    "is:solved",
    "is:unsolved",
    "user:alice",
    "[printer]",
    "tag:printer",
    "answers:0",
    "score:3",
    "score:3..",
    "created:2025-01..2025-06",
    "closed:no",
    "is:question",
    "is:answer",
    "-wifi",
    "OR",
    "&#34;shows offline&#34;",
)


def test_empty_query_explains_the_syntax(client):
    for url in ("/search", "/search?q=", "/search?q=+++"):
        html = text(client, url)
        assert "Search syntax" in html
        for operator in OPERATORS:
            assert operator in html, operator
        assert "results</p>" not in html


def test_results_show_highlighted_hits(client, indexed):
    question = make_question(
        title="Printer shows offline after reboot",
        body="Every morning the office printer shows offline until I restart it.",
        tags="printer windows",
    )
    make_question(title="Wifi drops every hour", body="The wifi drops " * 5)
    html = text(client, "/search?q=printers+offline")
    assert hit_ids(html) == [question.id]
    assert "1 result</p>" in html
    assert "<mark>printer</mark>" in html and "<mark>offline</mark>" in html
    assert f'href="/questions/{question.id}/{question.slug}"' in html
    assert 'href="/questions/tagged/windows"' in html
    assert 'value="printers offline"' in html  # the query stays in the box


def test_hit_shows_score_answers_and_solved_marker(client, indexed):
    asker = make_user()
    question = make_question(asker, title="Scanner cannot reach the network share")
    answer = make_answer(question, body="Map the share with its IP address instead.")
    voting.accept_answer(asker, question, answer)
    html = text(client, "/search?q=scanner")
    item = html[html.index('id="search-hit-') :]
    assert "badge-solved" in item
    assert '1</span> <span class="stat-label">answer<' in item
    assert '0</span> <span class="stat-label">votes<' in item


def test_hit_found_through_an_answer_links_to_it(client, indexed):
    question = make_question(title="Laptop battery drains overnight")
    answer = make_answer(question, body="Disable the hibernate timer in the firmware.")
    html = text(client, "/search?q=hibernate")
    assert hit_ids(html) == [question.id]
    assert f'/questions/{question.id}/{question.slug}#answer-{answer.id}"' in html
    assert "<mark>hibernate</mark>" in html and "Found in an answer" in html


def test_script_in_posts_is_escaped_in_snippets(client, indexed):
    question = make_question(
        title="Page shows <script>alert(1)</script> text",
        body="The intranet page shows `<script>alert(1)</script>` as plain text.",
    )
    make_answer(question, body="Escape it: `<script>alert(2)</script>` is harmless.")
    for query in ("intranet alert", "is:answer harmless"):
        html = text(client, f"/search?q={query}")
        assert hit_ids(html) == [question.id]
        assert "<script>alert" not in html
        assert html.count("<script") == 1  # forum.js only
        assert "&lt;script&gt;" in html


def test_deleted_question_is_not_found(client, indexed):
    owner = make_user()
    question = make_question(owner, title="Keyboard types wrong characters")
    assert hit_ids(text(client, "/search?q=keyboard")) == [question.id]
    posts.delete_post(owner, question)
    html = text(client, "/search?q=keyboard")
    assert hit_ids(html) == [] and "No questions match" in html


def test_deleted_answer_is_not_found(client, indexed):
    question = make_question(title="Outlook keeps asking for the password")
    answer = make_answer(question, body="Clear the credential manager entries first.")
    assert hit_ids(text(client, "/search?q=credential")) == [question.id]
    posts.delete_post(answer.owner, answer)
    assert hit_ids(text(client, "/search?q=credential")) == []


def test_edited_question_is_found_by_its_new_words(client, indexed):
    owner = make_user()
    question = make_question(
        owner,
        title="Monitor flickers when docked",
        body="The external monitor flickers whenever the laptop is docked.",
    )
    posts.edit_post(
        owner,
        question,
        title="Display goes black when docked",
        body="The external display goes black whenever the laptop is docked.",
    )
    assert hit_ids(text(client, "/search?q=flickers")) == []
    assert hit_ids(text(client, "/search?q=display+black")) == [question.id]


def test_pagination_twenty_a_page(app, client):
    author = make_user()
    for n in range(25):
        make_question(author, title=f"Docking station problem number {n}")
    search.drain()
    first = text(client, "/search?q=docking")
    assert len(hit_ids(first)) == 20 and "25 results" in first
    assert 'href="/search?page=2&amp;q=docking&amp;sort=relevance"' in first
    second = text(client, "/search?q=docking&page=2")
    assert len(hit_ids(second)) == 5
    assert not set(hit_ids(first)) & set(hit_ids(second))
    beyond = text(client, "/search?q=docking&page=9")
    assert hit_ids(beyond) == [] and "no results on page 9" in beyond


def test_sorts(client, indexed):
    old = make_question(title="Headset microphone is not detected")
    new = make_question(title="Headset microphone crackles in calls")
    for _ in range(2):
        voting.cast_vote(make_user(reputation=20), old, 1)
    assert hit_ids(text(client, "/search?q=headset&sort=newest")) == [new.id, old.id]
    assert hit_ids(text(client, "/search?q=headset&sort=votes")) == [old.id, new.id]
    html = text(client, "/search?q=headset&sort=votes")
    assert 'aria-current="page">Votes</a>' in html
    for key in ("relevance", "newest", "votes"):
        assert f'href="/search?q=headset&amp;sort={key}"' in html


@pytest.mark.parametrize(
    "query",
    [
        "sort=loudest&q=x",
        "page=0&q=x",
        "page=-1&q=x",
        "page=abc&q=x",
        "page=1.5&q=x",
        "page=9999999999&q=x",
        "page=%C2%B2&q=x",
        "sort=",
    ],
)
def test_bad_sort_or_page_is_400(client, query):
    html = text(client, f"/search?{query}", status=400)
    assert "Bad request" in html


@pytest.mark.parametrize(
    "query",
    [
        "q=%22unbalanced",
        "q=%5Bprinter",
        "q=foo%3Abar",
        "q=%00%00",
        "q=%FF%FE%FD",
        "q=" + "x" * 20000,
        "q=print*",
        "q=printer~",
        "q=score%3A99999999999999999999",
        "q=created%3A2025-99",
        "q=-",
        "q=OR",
        "q=user%3A",
        "q=%5B%5D",
        "q=%ED%A0%80",
    ],
)
def test_malformed_queries_render(client, query):
    response = client.get(f"/search?{query}")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "results</p>" in html or "Search syntax" in html


def test_did_you_mean(client, indexed):
    make_question(title="Printer shows offline after reboot")
    html = text(client, "/search?q=pritner")
    assert "0 results" in html
    link = '<a href="/search?q=printer&amp;sort=relevance">printer</a>'
    assert f"Did you mean {link}?" in html
    assert "Did you mean" not in text(client, "/search?q=printer")


CALENDAR = "Every meeting invitation shows up two times in my calendar."


def test_related_questions_on_the_question_page(client, indexed):
    asker = make_user()
    solved = make_question(asker, title="Printer offline after Windows update")
    answer = make_answer(solved, body="Reinstall the printer driver from the vendor.")
    voting.accept_answer(asker, solved, answer)
    other = make_question(title="Printer offline on the second floor")
    # Its own tags: a question sharing the printer tag is related by topic.
    make_question(
        title="Calendar invites arrive twice", body=CALENDAR, tags="calendar outlook"
    )
    html = text(client, f"/questions/{other.id}/{other.slug}")
    box = html[html.index('id="related-heading"') :]
    assert "Related questions" in box
    assert f'href="/questions/{solved.id}/{solved.slug}"' in box
    assert "badge-solved" in box
    assert f'href="/questions/{other.id}/' not in box
    assert "Calendar invites" not in box


def test_related_questions_read_the_whole_thread_on_the_demo(client, indexed):
    # The charging thread's title shares no word with the battery thread's:
    # its body, answers and tags (battery, laptop) find it.
    demo.load_demo()
    charging = db.session.scalar(
        select(Question).where(Question.title.like("%stopped charging%"))
    )
    html = text(client, f"/questions/{charging.id}/{charging.slug}")
    box = html[html.index('id="related-heading"') :]
    assert "Battery drains 30% overnight" in box
    # Before, the box led with blue screens, HDMI and router firmware.
    assert box.index("Battery drains") < box.index("Blue screen")


def test_question_without_related_has_no_box(client, indexed):
    question = make_question(title="Calendar invites arrive twice", body=CALENDAR)
    html = text(client, f"/questions/{question.id}/{question.slug}")
    assert "Related questions" not in html


def test_ask_page_has_the_similar_questions_hook(client, auth):
    make_user(username="asker")
    auth.login("asker")
    html = text(client, "/questions/ask")
    assert '<aside id="similar-questions"' in html
    assert 'data-similar-url="/api/v1/similar"' in html
    assert 'data-question-url="/questions/0"' in html
    (title_input,) = re.findall(r'<input[^>]*name="title"[^>]*>', html)
    assert 'data-similar="similar-questions"' in title_input
    assert re.search(r'<script type="module" src="/static/js/forum\.js\?v=\w+">', html)
    assert "Post Your Question" in html


def test_asking_still_works_in_one_post(client, auth, indexed):
    make_user(username="asker")
    auth.login("asker")
    response = auth.post(
        "/questions/ask",
        {
            "title": "Projector shows no signal from HDMI",
            "body": "The meeting room projector says no signal from the HDMI cable.",
            "tags": "projector",
        },
        token_from="/questions/ask",
    )
    assert response.status_code == 302
    assert hit_ids(text(client, "/search?q=projector")) != []
