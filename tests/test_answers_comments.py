"""Answers and comments on the question page: ordering, posting, validation."""

import re
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Answer, Comment, Question, Revision
from forum.services import comments, posts, voting
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import article, canonical, count, csrf_from, text

pytestmark = pytest.mark.usefixtures("app_ctx")

ANSWER = "Restart the print spooler service, then re-add the printer."
COMMENT = "Which model is the printer exactly?"


# ---- Showing answers and comments ----------------------------------------------


def test_answers_are_ordered_accepted_then_score_then_oldest(client):
    question = make_question()
    voters = [make_user(reputation=15) for _ in range(3)]
    oldest_zero = make_answer(question)
    accepted = make_answer(question)
    top = make_answer(question)
    one_early = make_answer(question)
    one_late = make_answer(question)
    for voter in voters[:2]:
        voting.cast_vote(voter, top, 1)
    voting.cast_vote(voters[0], one_early, 1)
    voting.cast_vote(voters[1], one_late, 1)
    voting.accept_answer(question.owner, question, accepted)
    html = text(client, canonical(question))
    expected = [accepted, top, one_early, one_late, oldest_zero]
    positions = [html.index(f'id="answer-{a.id}"') for a in expected]
    assert positions == sorted(positions)
    assert "5 Answers" in html
    assert "Solution" in article(html, f"answer-{accepted.id}")
    assert html.count('class="solution-marker"') == 1
    opening_tag = html.split(f'id="answer-{accepted.id}"')[0].rsplit("<article", 1)[1]
    assert "post-accepted" in opening_tag


def test_comments_show_under_their_posts_with_author_and_time(client):
    question = make_question()
    answer = make_answer(question)
    commenter = make_user(username="carol", reputation=50)
    on_question = make_comment(question, commenter, body="Is this **on Windows** 11?")
    on_answer = make_comment(
        answer, make_user(reputation=50), body="This worked for me as well, thanks!"
    )
    html = text(client, canonical(question))
    question_card = article(html, f"question-{question.id}")
    assert f'id="comment-{on_question.id}"' in question_card
    assert "Is this <strong>on Windows</strong> 11?" in question_card
    assert f'href="/users/{commenter.id}/carol">carol</a>' in question_card
    assert f'id="comment-{on_answer.id}"' in article(html, f"answer-{answer.id}")
    assert re.search(r'<time datetime="[^"]+Z"[^>]*>just now</time>', question_card)


def test_deleted_comments_are_hidden_from_others(client, auth):
    question = make_question()
    author = make_user(reputation=50)
    comment = make_comment(question, author, body="A comment that will be deleted.")
    comments.delete_comment(author, comment)
    assert "will be deleted" not in text(client, canonical(question))
    auth.login(author.username)
    html = text(client, canonical(question))
    assert "will be deleted" in html and "comment-deleted" in html


def test_visitors_see_a_login_link_instead_of_forms(client):
    question = make_question()
    html = text(client, canonical(question))
    assert ">Log in to answer</a>" in html
    assert f'href="/login?next={canonical(question)}"' in html
    assert "Post Your Answer" not in html
    assert "Add a comment" not in html
    assert "/edit" not in html and "Delete" not in html


def test_signed_in_users_see_answer_and_comment_forms(client, auth):
    question = make_question()
    answer = make_answer(question)
    auth.login(make_user(reputation=50).username)
    html = text(client, canonical(question))
    assert ">Your Answer</label>" in html
    assert ">Post Your Answer</button>" in html
    assert f'action="/questions/{question.id}/answers"' in html
    assert html.count("<summary>Add a comment</summary>") == 2
    assert f'action="/posts/{answer.id}/comments"' in html
    assert "Log in to answer" not in html


def test_edit_delete_links_only_for_whoever_may(client, auth):
    owner = make_user()
    question = make_question(owner)
    answer = make_answer(question)
    comment = make_comment(question, owner)
    auth.login(make_user().username)
    html = text(client, canonical(question))
    assert f'href="/posts/{question.id}/edit"' not in html
    assert f'action="/posts/{answer.id}/delete"' not in html
    assert f'href="/comments/{comment.id}/edit"' not in html
    auth.logout()
    auth.login(owner.username)
    html = text(client, canonical(question))
    assert f'href="/posts/{question.id}/edit"' in html
    # The question has an answer, so its owner may no longer delete it.
    assert f'action="/posts/{question.id}/delete"' not in html
    assert f'href="/posts/{answer.id}/edit"' not in html
    assert f'href="/comments/{comment.id}/edit"' in html
    assert f'action="/comments/{comment.id}/delete"' in html
    assert 'data-confirm="Delete this comment?"' in html
    auth.logout()
    auth.login(make_user(staff=True).username)
    html = text(client, canonical(question))
    for post in (question, answer):
        assert f'href="/posts/{post.id}/edit"' in html
        assert f'action="/posts/{post.id}/delete"' in html
    assert f'href="/comments/{comment.id}/edit"' in html


def test_deleted_answer_shows_to_its_owner_with_marker_and_undelete(client, auth):
    question = make_question()
    author = make_user()
    answer = make_answer(question, author, body="An answer its author deleted again.")
    posts.delete_post(author, answer)
    assert "its author deleted" not in text(client, canonical(question))
    auth.login(author.username)
    html = text(client, canonical(question))
    card = article(html, f"answer-{answer.id}")
    assert "its author deleted" in card and "deleted-marker" in card
    assert f'action="/posts/{answer.id}/undelete"' in card


# ---- Posting answers ----------------------------------------------------------


def test_post_answer(client, auth):
    question = make_question()
    author = make_user()
    auth.login(author.username)
    url = canonical(question)
    response = auth.post(f"/questions/{question.id}/answers", {"body": ANSWER}, url)
    answer = db.session.scalar(select(Answer))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}#answer-{answer.id}"
    assert answer.owner_id == author.id and answer.body_markdown == ANSWER
    assert db.session.scalar(select(Question.answer_count)) == 1
    stmt = select(Revision.number).where(Revision.post_id == answer.id)
    assert db.session.scalar(stmt) == 1
    html = text(client, url)
    assert "Your answer is posted." in html and ANSWER in html


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 29, "at least 30 characters; you entered 29"),
        ("x" * 30001, "at most 30000 characters"),
        ("   ", "Answer is required."),
        ("Bad \x00 byte in an answer that is long enough", "NUL characters"),
    ],
)
def test_answer_validation_rerenders_the_page(client, auth, body, message):
    question = make_question()
    auth.login(make_user().username)
    url = canonical(question)
    response = auth.post(f"/questions/{question.id}/answers", {"body": body}, url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert count(Answer) == 0
    assert question.title in html
    error = re.search(r'class="field-error" id="body-error">([^<]*)<', html)
    assert message in error[1]
    if "\x00" not in body:
        # WTForms starts a textarea's content with a line break.
        kept = rf'name="body" rows="12">\r?\n{re.escape(body)}</textarea>'
        assert re.search(kept, html)


@pytest.mark.parametrize("length", [30, 30000])
def test_answer_length_boundaries_are_accepted(client, auth, length):
    question = make_question()
    auth.login(make_user().username)
    response = auth.post(f"/questions/{question.id}/answers", {"body": "y" * length})
    assert response.status_code == 302
    assert count(Answer) == 1


def test_answer_to_unknown_or_deleted_question_is_404(client, auth):
    question = make_question()
    posts.delete_post(question.owner, question)
    auth.login(make_user().username)
    for question_id in (question.id, 999):
        response = auth.post(f"/questions/{question_id}/answers", {"body": ANSWER})
        assert response.status_code == 404
    assert count(Answer) == 0


# ---- Posting comments ----------------------------------------------------------


@pytest.mark.parametrize("on", ["question", "answer"])
def test_post_comment(client, auth, on):
    question = make_question()
    answer = make_answer(question)
    target = question if on == "question" else answer
    author = make_user(reputation=50)
    auth.login(author.username)
    url = canonical(question)
    response = auth.post(f"/posts/{target.id}/comments", {"body": COMMENT}, url)
    comment = db.session.scalar(select(Comment))
    assert response.status_code == 302
    assert response.headers["Location"] == f"{url}#comment-{comment.id}"
    assert comment.post_id == target.id and comment.owner_id == author.id
    html = text(client, url)
    assert f'id="comment-{comment.id}"' in article(html, f"{on}-{target.id}")


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ("x" * 14, "at least 15 characters; you entered 14"),
        ("x" * 601, "at most 600 characters"),
    ],
)
def test_comment_validation_rerenders_the_page(client, auth, body, message):
    question = make_question()
    answer = make_answer(question)
    auth.login(make_user(reputation=50).username)
    url = canonical(question)
    response = auth.post(f"/posts/{answer.id}/comments", {"body": body}, url)
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert count(Comment) == 0
    card = article(html, f"answer-{answer.id}")
    assert '<details class="add-comment" open>' in card
    assert message in card
    assert f">{body}</textarea>" in card


@pytest.mark.parametrize("length", [15, 600])
def test_comment_length_boundaries_are_accepted(client, auth, length):
    question = make_question()
    auth.login(make_user(reputation=50).username)
    response = auth.post(f"/posts/{question.id}/comments", {"body": "c" * length})
    assert response.status_code == 302
    assert count(Comment) == 1


def test_comment_on_unknown_post_is_404(client, auth):
    auth.login(make_user().username)
    assert auth.post("/posts/999/comments", {"body": COMMENT}).status_code == 404


def test_comment_on_own_deleted_answer_is_403(client, auth):
    question = make_question()
    author = make_user()
    answer = make_answer(question, author)
    posts.delete_post(author, answer)
    auth.login(author.username)
    response = auth.post(f"/posts/{answer.id}/comments", {"body": COMMENT})
    assert response.status_code == 403
    assert count(Comment) == 0


# ---- Guards over every mutating route --------------------------------------------


def mutating_routes(question: Question) -> list[tuple[str, dict]]:
    """Every POST this area adds, with valid data."""
    return [
        (
            "/questions/ask",
            {
                "title": "A valid title for a question",
                "body": ANSWER,
                "tags": "printer",
            },
        ),
        (f"/questions/{question.id}/answers", {"body": ANSWER}),
        (f"/posts/{question.id}/comments", {"body": COMMENT}),
    ]


@pytest.mark.parametrize("index", range(3))
def test_login_required(client, index):
    question = make_question()
    url, data = mutating_routes(question)[index]
    data["csrf_token"] = csrf_from(client, "/login")
    response = client.post(url, data=data)
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert count(Question) == 1
    assert count(Answer) == 0 and count(Comment) == 0


def test_login_redirect_returns_to_the_question(client):
    question = make_question()
    token = csrf_from(client, "/login")
    response = client.post(
        f"/questions/{question.id}/answers", data={"body": ANSWER, "csrf_token": token}
    )
    location = urlsplit(response.headers["Location"])
    assert location.path == "/login"
    assert parse_qs(location.query) == {"next": [canonical(question)]}


@pytest.mark.parametrize("index", range(3))
def test_csrf_required(client, auth, index):
    question = make_question()
    auth.login(make_user().username)
    url, data = mutating_routes(question)[index]
    response = client.post(url, data=data)
    assert response.status_code == 400
    assert count(Question) == 1
    assert count(Answer) == 0 and count(Comment) == 0
