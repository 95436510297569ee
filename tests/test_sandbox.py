"""The new-user sandbox: below SANDBOX_REPUTATION at most SANDBOX_MAX_LINKS
links and no images in questions, answers, edits and comments (422 on pages
and in the API); staff and accounts with the reputation are free of it."""

from datetime import timedelta

import pytest

from forum.extensions import db
from forum.models import Answer, Comment, Question
from tests.factories import make_comment, make_question, make_user
from tests.helpers import API, assert_error, bearer, canonical, count, fresh

pytestmark = pytest.mark.usefixtures("app_ctx")

THREE_LINKS = (
    "See [the docs](https://example.com/a), <https://example.com/b> and "
    "[the wiki][w] for how the spooler restarts.\n\n[w]: https://example.com/c"
)
TWO_LINKS = (
    "See [the docs](https://example.com/a) and <https://example.com/b> for how "
    "the spooler restarts."
)
IMAGE = "The queue looks like this: ![queue](https://example.com/q.png) every time."
HTML_LINKS = (
    'Try <a href="https://a.example">one</a>, <a href="https://b.example">two</a> '
    'and <a href="https://c.example">three</a> of these printer drivers.'
)


def test_a_new_user_may_post_two_links(client):
    user = make_user()
    headers = bearer(client, user)
    body = {"title": "Spooler stops after the update", "body": TWO_LINKS}
    response = client.post(
        f"{API}/questions", json=body | {"tags": "printer"}, headers=headers
    )
    assert response.status_code == 201


@pytest.mark.parametrize("text", [THREE_LINKS, HTML_LINKS])
def test_a_third_link_is_refused_in_the_api(client, text):
    user = make_user()
    headers = bearer(client, user)
    body = {"title": "Spooler stops after the update", "body": text, "tags": "printer"}
    error = assert_error(
        client.post(f"{API}/questions", json=body, headers=headers), 422
    )
    assert "at most 2 links and no images" in error["fields"]["body"]
    assert "this has 3 links" in error["fields"]["body"]
    assert count(Question) == 0


def test_an_image_is_refused_for_answers_and_comments_in_the_api(client):
    question = make_question()
    user = make_user()
    headers = bearer(client, user)
    answer = client.post(
        f"{API}/questions/{question.id}/answers", json={"body": IMAGE}, headers=headers
    )
    assert "remove the image" in assert_error(answer, 422)["fields"]["body"]
    own = make_question(user)
    comment = client.post(
        f"{API}/posts/{own.id}/comments", json={"body": IMAGE}, headers=headers
    )
    assert "remove the image" in assert_error(comment, 422)["fields"]["body"]
    assert count(Answer) == 0 and count(Comment) == 0


def test_edits_are_held_to_the_sandbox_in_the_api(client):
    user = make_user()
    question = make_question(user)
    headers = bearer(client, user)
    response = client.patch(
        f"{API}/posts/{question.id}", json={"body": THREE_LINKS}, headers=headers
    )
    assert_error(response, 422)
    assert "example.com" not in fresh(Question, question.id).body_markdown


def test_pages_show_the_rule_beside_the_field(client, auth):
    user = make_user()
    question = make_question(user)
    auth.login(user.username)
    data = {"title": "Spooler stops after the update", "body": IMAGE, "tags": "printer"}
    ask = auth.post("/questions/ask", data, token_from="/questions/ask")
    assert ask.status_code == 422
    assert "no images" in ask.get_data(as_text=True)
    answer = auth.post(
        f"/questions/{question.id}/answers",
        {"body": THREE_LINKS},
        token_from=canonical(question),
    )
    assert answer.status_code == 422
    assert "this has 3 links" in answer.get_data(as_text=True)
    comment = auth.post(
        f"/posts/{question.id}/comments",
        {"body": IMAGE},
        token_from=canonical(question),
    )
    assert comment.status_code == 422
    edit = auth.post(
        f"/posts/{question.id}/edit",
        {
            "title": question.title,
            "body": THREE_LINKS,
            "tags": "printer",
            "summary": "",
        },
        token_from=f"/posts/{question.id}/edit",
    )
    assert edit.status_code == 422
    assert "at most 2 links" in edit.get_data(as_text=True)
    assert count(Question) == 1 and count(Answer) == 0 and count(Comment) == 0


def test_comment_edits_are_held_to_the_sandbox(client, auth):
    user = make_user()
    comment = make_comment(make_question(user), user)
    auth.login(user.username)
    response = auth.post(
        f"/comments/{comment.id}/edit",
        {"body": IMAGE},
        token_from=f"/comments/{comment.id}/edit",
    )
    assert response.status_code == 422
    assert "no images" in response.get_data(as_text=True)
    assert "example.com" not in fresh(Comment, comment.id).body_markdown


@pytest.mark.parametrize("who", ["reputation", "staff"])
def test_reputation_and_staff_leave_the_sandbox(client, who):
    user = make_user(reputation=10) if who == "reputation" else make_user(staff=True)
    headers = bearer(client, user)
    body = {"title": "Spooler stops after the update", "body": THREE_LINKS + IMAGE}
    response = client.post(
        f"{API}/questions", json=body | {"tags": "printer"}, headers=headers
    )
    assert response.status_code == 201


def test_the_thresholds_are_settings(app, client):
    app.config["SANDBOX_MAX_LINKS"] = 0
    user = make_user()
    headers = bearer(client, user)
    body = {"title": "Spooler stops after the update", "body": TWO_LINKS, "tags": "x"}
    error = assert_error(
        client.post(f"{API}/questions", json=body, headers=headers), 422
    )
    assert "at most 0 links" in error["fields"]["body"]
    app.config["SANDBOX_REPUTATION"] = 1
    response = client.post(f"{API}/questions", json=body, headers=headers)
    assert response.status_code == 201


# -- the same text twice --------------------------------------------------------

REPEATED = "Restart the print spooler service, then clear the queue folder."


def ask(client, headers, body=REPEATED):
    data = {"title": "Spooler stops after the update", "body": body, "tags": "printer"}
    return client.post(f"{API}/questions", json=data, headers=headers)


def test_the_same_question_twice_is_refused(client, auth):
    user = make_user()
    headers = bearer(client, user)
    assert ask(client, headers).status_code == 201
    error = assert_error(ask(client, headers), 422, "validation_failed")
    assert (
        "already posted this same text in the last 10 minutes"
        in (error["fields"]["body"])
    )
    auth.login(user.username)
    data = {"title": "Spooler stops after the update", "body": REPEATED, "tags": "x"}
    page = auth.post("/questions/ask", data, token_from="/questions/ask")
    assert page.status_code == 422
    assert "already posted this same text" in page.get_data(as_text=True)
    assert count(Question) == 1


def test_an_answer_repeating_a_post_is_refused(client, auth):
    user = make_user()
    first, second = make_question(), make_question()
    headers = bearer(client, user)
    url = f"{API}/questions/{first.id}/answers"
    assert client.post(url, json={"body": REPEATED}, headers=headers).status_code == 201
    url = f"{API}/questions/{second.id}/answers"
    assert_error(client.post(url, json={"body": REPEATED}, headers=headers), 422)
    auth.login(user.username)
    page = auth.post(
        f"/questions/{second.id}/answers",
        {"body": REPEATED},
        token_from=canonical(second),
    )
    assert page.status_code == 422
    # A question's body counts too: the same text as an answer and a question.
    assert_error(ask(client, headers), 422)
    assert count(Answer) == 1


def test_the_same_comment_twice_is_refused(client, auth):
    user = make_user()
    first, second = make_question(user), make_question(user)
    make_comment(first, user, body=REPEATED)
    headers = bearer(client, user)
    url = f"{API}/posts/{second.id}/comments"
    error = assert_error(
        client.post(url, json={"body": REPEATED}, headers=headers), 422
    )
    assert "same comment" in error["fields"]["body"]
    auth.login(user.username)
    page = auth.post(
        f"/posts/{second.id}/comments", {"body": REPEATED}, token_from=canonical(second)
    )
    assert page.status_code == 422 and "same comment" in page.get_data(as_text=True)
    assert count(Comment) == 1


def test_others_and_later_posts_may_repeat_it(client):
    user, other = make_user(), make_user()
    question = make_question(user, body=REPEATED)
    assert ask(client, bearer(client, other)).status_code == 201
    headers = bearer(client, user)
    assert_error(ask(client, headers), 422)
    # Eleven minutes later (the window is ten).
    row = fresh(Question, question.id)
    row.created_at = row.created_at - timedelta(seconds=601)
    db.session.commit()
    assert ask(client, headers).status_code == 201


def test_staff_and_a_zero_window_are_exempt(app, client):
    staff = make_user(staff=True)
    make_question(staff, body=REPEATED)
    assert ask(client, bearer(client, staff)).status_code == 201
    user = make_user()
    make_question(user, body=REPEATED)
    app.config["DUPLICATE_POST_SECONDS"] = 0
    assert ask(client, bearer(client, user)).status_code == 201
