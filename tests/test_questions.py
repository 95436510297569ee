"""Question lists, asking, the preview endpoint and the question page."""

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Question, QuestionView, Revision, Tag
from forum.services import posts, voting
from tests.factories import make_answer, make_question, make_user
from tests.helpers import canonical, count, count_statements, csrf_from, text

pytestmark = pytest.mark.usefixtures("app_ctx")

XSS_TITLE = "<script>alert(1)</script> printer keeps jamming"
ESCAPED = "&lt;script&gt;alert(1)&lt;/script&gt;"


def ask_data(**overrides) -> dict:
    """A valid ask form (without the CSRF token)."""
    data = {
        "title": "Laptop does not find the office wifi",
        "body": "Since the update my laptop no longer lists the office network.",
        "tags": "wifi, laptop",
    }
    data.update(overrides)
    return data


def summary_row(html: str, question: Question) -> str:
    """The HTML of one question's row in a list."""
    return html.split(f'id="question-summary-{question.id}"')[1].split("</li>")[0]


# ---- Lists ------------------------------------------------------------------


def test_home_lists_questions_with_their_details(client):
    asker = make_user(username="alice")
    question = make_question(asker, tags="printer network")
    html = text(client, "/")
    assert question.title in html
    assert f'href="{canonical(question)}"' in html
    assert 'href="/questions/tagged/printer"' in html
    assert 'href="/questions/tagged/network"' in html
    assert f'href="/users/{asker.id}/alice"' in html
    time_re = r'<time datetime="\d{4}-\d\d-\d\dT[\d:]+Z"[^>]*>just now</time>'
    assert re.search(time_re, html)
    assert "stat-unanswered" in html


def test_questions_path_is_an_alias_of_home(client):
    question = make_question()
    response = client.get("/questions")
    assert response.status_code == 200
    assert question.title in response.get_data(as_text=True)


def test_accepted_answer_count_is_styled_distinctly(client):
    solved = make_question()
    answer = make_answer(solved)
    voting.accept_answer(solved.owner, solved, answer)
    unsolved = make_question()
    make_answer(unsolved)
    html = text(client, "/")
    solved_row = summary_row(html, solved)
    unsolved_row = summary_row(html, unsolved)
    assert "stat-accepted" in solved_row
    assert "stat-accepted" not in unsolved_row
    assert "stat-answered" in unsolved_row


def test_tabs_sort_and_filter(client):
    voter = make_user(reputation=15)
    low = make_question(title="Low scored question about printers")
    high = make_question(title="High scored question about printers")
    answered = make_question(title="Answered question about the printers")
    voting.cast_vote(voter, high, 1)
    make_answer(answered)
    newest = text(client, "/?sort=newest")
    assert newest.index(answered.title) < newest.index(high.title)
    assert newest.index(high.title) < newest.index(low.title)
    votes = text(client, "/?sort=votes")
    assert votes.index(high.title) < votes.index(low.title)
    active = text(client, "/?sort=active")
    assert active.index(answered.title) < active.index(low.title)
    unanswered = text(client, "/?sort=unanswered")
    assert low.title in unanswered and high.title in unanswered
    assert answered.title not in unanswered
    assert 'aria-current="page">Unanswered' in unanswered


@pytest.mark.parametrize(
    "url", ["/?sort=best", "/?sort=", "/questions/tagged/printer?sort=x"]
)
def test_unknown_sort_is_a_400_page(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "sort must be one of" in response.get_data(as_text=True)


def test_pagination(app, client):
    app.config["QUESTIONS_PER_PAGE"] = 2
    asker = make_user()
    made = [
        make_question(asker, title=f"Question number {n} about the printer")
        for n in range(5)
    ]
    first = text(client, "/")
    assert made[4].title in first and made[3].title in first
    assert made[2].title not in first
    assert 'rel="next" href="/?page=2&amp;sort=newest"' in first
    second = text(client, "/?page=2")
    assert made[2].title in second and made[1].title in second
    assert made[4].title not in second
    assert 'rel="prev"' in second and 'aria-current="page">2<' in second
    third = text(client, "/?page=3")
    assert made[0].title in third and 'rel="next"' not in third
    beyond = client.get("/?page=40")
    assert beyond.status_code == 200
    assert "There are no questions on page 40." in beyond.get_data(as_text=True)


@pytest.mark.parametrize("page", ["abc", "0", "-1", "1.5", "99999999999"])
def test_page_that_is_not_a_number_is_400(client, page):
    make_question()
    assert client.get(f"/?page={page}").status_code == 400


def test_empty_site_shows_an_empty_state(client):
    response = client.get("/")
    assert response.status_code == 200
    assert "No questions yet." in response.get_data(as_text=True)


def test_tagged_page_filters_and_keeps_tabs(client):
    wifi = make_question(tags="wifi laptop")
    printer = make_question(tags="printer")
    response = client.get("/questions/tagged/wifi")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert wifi.title in html and printer.title not in html
    assert "Questions tagged" in html
    assert 'href="/questions/tagged/wifi?sort=votes"' in html
    votes = text(client, "/questions/tagged/wifi?sort=votes")
    assert wifi.title in votes and printer.title not in votes


def test_unknown_tag_gives_an_empty_list(client):
    make_question(tags="printer")
    response = client.get("/questions/tagged/nonexistent")
    assert response.status_code == 200
    assert "No questions tagged" in response.get_data(as_text=True)


def test_deleted_questions_are_not_listed(client):
    question = make_question(title="A question that gets deleted soon")
    posts.delete_post(question.owner, question)
    assert question.title not in text(client, "/")


def test_titles_are_escaped_in_the_list(client):
    make_question(title=XSS_TITLE)
    html = text(client, "/")
    assert ESCAPED in html
    assert "<script>alert(1)" not in html


# ---- No N+1 queries ------------------------------------------------------------


def make_varied_questions(count: int, users: list, offset: int = 0) -> None:
    """Questions by different askers with different tags (all carry "common")."""
    topics = ["printer", "wifi", "email", "vpn", "laptop", "phone", "backup"]
    for n in range(offset, offset + count):
        tags = f"common {topics[n % len(topics)]} {topics[(n + 3) % len(topics)]}"
        make_question(users[n % len(users)], tags=tags)


@pytest.mark.parametrize("url", ["/", "/?sort=votes", "/questions/tagged/common"])
def test_list_query_count_does_not_grow_with_rows(client, url):
    users = [make_user() for _ in range(6)]
    make_varied_questions(3, users)
    client.get(url)  # warm up one-time work (template compilation, etc.)
    with_three = count_statements(client, url)
    make_varied_questions(27, users, offset=3)
    with_thirty = count_statements(client, url)
    html = text(client, url)
    assert html.count('class="question-summary"') == 30
    assert with_three == with_thirty


# ---- Asking -------------------------------------------------------------------


def test_ask_requires_login(client):
    response = client.get("/questions/ask")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=%2Fquestions%2Fask"


def test_ask_form_has_labels_preview_and_similar_box(client, auth):
    user = make_user()
    auth.login(user.username)
    html = text(client, "/questions/ask")
    for label in ("Title", "Body", "Tags"):
        assert re.search(rf"<label for=\"\w+\">{label}</label>", html)
    assert ">Post Your Question</button>" in html
    assert 'data-preview-url="/preview"' in html
    assert 'id="body-preview"' in html
    assert '<aside id="similar-questions"' in html


def test_ask_creates_the_question(client, auth):
    user = make_user()
    auth.login(user.username)
    response = auth.post("/questions/ask", ask_data(), token_from="/questions/ask")
    question = db.session.scalar(select(Question))
    assert response.status_code == 302
    assert response.headers["Location"] == canonical(question)
    assert question.owner_id == user.id
    assert question.title == "Laptop does not find the office wifi"
    assert sorted(question.tag_names) == ["laptop", "wifi"]
    assert sorted(db.session.scalars(select(Tag.name))) == ["laptop", "wifi"]
    revision = db.session.scalar(
        select(Revision).where(Revision.post_id == question.id)
    )
    assert revision.number == 1 and revision.tags == "wifi laptop"
    page = text(client, response.headers["Location"])
    assert "Your question is posted." in page
    assert "<p>Since the update my laptop" in page


@pytest.mark.parametrize(
    ("field", "value", "message"),
    [
        ("title", "Too short", "Title must be at least 15 characters"),
        ("title", "x" * 151, "Title must be at most 150 characters"),
        ("title", "", "Title is required."),
        ("body", "Short body here.", "Body must be at least 30 characters"),
        ("body", "Null byte \x00 in a body that is long enough", "NUL characters"),
        ("tags", "", "Add at least 1 tag"),
        ("tags", "a b c d e f", "Use at most 5 tags; you entered 6."),
        ("tags", "printer bad_tag!", "Invalid tag"),
    ],
)
def test_ask_validation(client, auth, field, value, message):
    auth.login(make_user().username)
    data = ask_data(**{field: value})
    response = auth.post("/questions/ask", data, token_from="/questions/ask")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert count(Question) == 0 and count(Tag) == 0
    assert count(Revision) == 0
    error = re.search(r'<p class="field-error" id="(\w+)-error">([^<]*)</p>', html)
    assert error.group(1) == field
    assert message in error.group(2)
    # Every other field keeps what was typed.
    for other in ("title", "body", "tags"):
        if other != field:
            assert data[other].replace("'", "&#39;") in html


def test_ask_without_csrf_writes_nothing(client, auth):
    auth.login(make_user().username)
    response = client.post("/questions/ask", data=ask_data())
    assert response.status_code == 400
    assert "Security check failed" in response.get_data(as_text=True)
    assert count(Question) == 0


def test_ask_post_anonymous_redirects_to_login(client):
    token = csrf_from(client, "/login")
    response = client.post("/questions/ask", data=dict(ask_data(), csrf_token=token))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert count(Question) == 0


# ---- Preview ----------------------------------------------------------------


def test_preview_renders_and_sanitises_json(client):
    token = csrf_from(client, "/login")
    body = "Some **bold** text <script>alert(1)</script> [x](javascript:alert(2))"
    headers = {"X-CSRFToken": token}
    response = client.post("/preview", json={"body": body}, headers=headers)
    assert response.status_code == 200
    html = response.get_json()["html"]
    assert "<strong>bold</strong>" in html
    assert "<script" not in html and "javascript:" not in html


def test_preview_accepts_a_form_field(client):
    token = csrf_from(client, "/login")
    response = client.post("/preview", data={"body": "*hi*", "csrf_token": token})
    assert response.status_code == 200
    assert response.get_json() == {"html": "<p><em>hi</em></p>"}


def test_preview_of_an_empty_draft_is_empty(client):
    token = csrf_from(client, "/login")
    response = client.post("/preview", json={}, headers={"X-CSRFToken": token})
    assert response.get_json() == {"html": ""}


@pytest.mark.parametrize(
    ("payload", "status"),
    [
        ({"body": "x" * 30001}, 422),
        ({"body": 12}, 422),
        ({"body": "a\x00b"}, 422),
        (["not", "an", "object"], 400),
    ],
)
def test_preview_rejects_bad_input_as_json(app, client, payload, status):
    token = csrf_from(client, "/login")
    response = client.post("/preview", json=payload, headers={"X-CSRFToken": token})
    assert response.status_code == status
    assert response.is_json and "message" in response.get_json()["error"]


def test_preview_needs_csrf(client):
    response = client.post("/preview", json={"body": "hello"})
    assert response.status_code == 400


# ---- The question page --------------------------------------------------------


def test_question_page_shows_the_question(client):
    asker = make_user(username="bob")
    body = "The **printer** is offline again today."
    question = make_question(asker, tags="printer usb", body=body)
    html = text(client, canonical(question))
    assert f'<h1 class="question-heading">{question.title}</h1>' in html
    assert "<p>The <strong>printer</strong> is offline again today.</p>" in html
    assert 'href="/questions/tagged/usb"' in html
    assert f'href="/users/{asker.id}/bob">bob</a>' in html
    assert 'title="Reputation">1<' in html
    assert "Viewed 1 time" in html
    assert "0 Answers" in html


@pytest.mark.parametrize("suffix", ["", "/wrong-slug", "/wrong-slug?sort=votes&x=1"])
def test_other_slugs_redirect_permanently(client, suffix):
    question = make_question()
    response = client.get(f"/questions/{question.id}{suffix}")
    assert response.status_code == 301
    query = suffix.partition("?")[2]
    expected = canonical(question) + (f"?{query}" if query else "")
    assert response.headers["Location"] == expected


@pytest.mark.parametrize("url", ["/questions/999", "/questions/999/some-slug"])
def test_unknown_question_is_404(client, url):
    response = client.get(url)
    assert response.status_code == 404
    assert "does not exist" in response.get_data(as_text=True)


def test_an_answer_id_is_not_a_question(client):
    answer = make_answer(make_question())
    assert client.get(f"/questions/{answer.id}").status_code == 404


def test_deleted_question_is_visible_to_owner_and_staff_only(client, auth):
    owner = make_user()
    other = make_user()
    staff = make_user(staff=True)
    question = make_question(owner)
    posts.delete_post(owner, question)
    url = canonical(question)
    assert client.get(url).status_code == 404
    auth.login(other.username)
    assert client.get(url).status_code == 404
    auth.logout()
    for user in (owner, staff):
        auth.login(user.username)
        response = client.get(url)
        html = response.get_data(as_text=True)
        assert response.status_code == 200
        assert "deleted-marker" in html
        assert "only its author and staff can see this post" in html
        auth.logout()


def test_title_is_escaped_on_the_question_page(client):
    question = make_question(title=XSS_TITLE)
    html = text(client, canonical(question))
    assert f"<title>{ESCAPED} printer keeps jamming · forum</title>" in html
    assert "<script>alert(1)" not in html


def test_edited_marker_links_to_history(client):
    question = make_question()
    new_body = "A completely new body for this question."
    posts.edit_post(question.owner, question, body=new_body)
    html = text(client, canonical(question))
    assert f'href="/posts/{question.id}/revisions">edited <time' in html


def test_view_counter_counts_each_visitor_once_per_window(client, auth):
    question = make_question()
    url = canonical(question)

    def views() -> int:
        stmt = select(Question.view_count).where(Question.id == question.id)
        return db.session.scalar(stmt)

    client.get(url)
    client.get(url)
    assert views() == 1
    client.get(f"/questions/{question.id}")  # a redirect is not a view
    assert views() == 1
    auth.login(make_user().username)
    client.get(url)
    client.get(url)
    assert views() == 2
    assert count(QuestionView) == 2
    assert "Viewed 2 times" in text(client, url)


def test_a_visitor_counts_again_after_the_window(app, client, clock):
    # Each process remembers the views it saw counted, only for the window.
    app.config["VIEW_WINDOW_SECONDS"] = 1
    question = make_question()
    url = canonical(question)
    stmt = select(Question.view_count).where(Question.id == question.id)
    client.get(url)
    client.get(url)
    assert db.session.scalar(stmt) == 1
    clock.advance(0.9)
    client.get(url)
    assert db.session.scalar(stmt) == 1
    clock.advance(0.2)
    client.get(url)
    assert db.session.scalar(stmt) == 2


def test_changing_user_agent_does_not_count_again(app, client, clock):
    question = make_question()
    url = canonical(question)
    stmt = select(Question.view_count).where(Question.id == question.id)
    for agent in ("Mozilla/5.0 a", "Mozilla/5.0 b", "curl/8", "", "x" * 200):
        client.get(url, headers={"User-Agent": agent})
    assert db.session.scalar(stmt) == 1
    assert count(QuestionView) == 1
    # Another address is another visitor; the same one counts after the window.
    client.get(url, environ_base={"REMOTE_ADDR": "198.51.100.7"})
    assert db.session.scalar(stmt) == 2
    clock.advance(app.config["VIEW_WINDOW_SECONDS"] + 1)
    client.get(url, headers={"User-Agent": "Mozilla/5.0 c"})
    assert db.session.scalar(stmt) == 3
