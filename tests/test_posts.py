"""Editing, deleting and restoring posts and comments; revision history; CSRF."""

import re
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Answer, Comment, Post, Question, Revision
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import csrf_from, fresh, make_app, session_owner

pytestmark = pytest.mark.usefixtures("app_ctx")

NEW_BODY = "After the update the printer needs a fresh driver from the vendor."


def edit_url(post) -> str:
    """The edit page of a post."""
    return f"/posts/{post.id}/edit"


def question_path(question) -> str:
    """The canonical path of a question page."""
    return f"/questions/{question.id}/{question.slug}"


def revision_count(post) -> int:
    """How many revisions a post has."""
    stmt = select(Revision).where(Revision.post_id == post.id)
    return len(db.session.scalars(stmt).all())


# --- editing ---------------------------------------------------------------


def test_edit_page_prefills_question(client, auth):
    owner = make_user()
    question = make_question(owner, title="Scanner <b>jams</b> on every page")
    auth.login(owner.username)
    response = client.get(edit_url(question))
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'value="Scanner &lt;b&gt;jams&lt;/b&gt; on every page"' in html
    assert 'value="printer windows"' in html
    assert question.body_markdown in html


def test_owner_edits_question_creates_revision(client, auth):
    owner = make_user()
    question = make_question(owner)
    auth.login(owner.username)
    response = auth.post(
        edit_url(question),
        {
            "title": "Printer offline after the Windows update",
            "body": NEW_BODY,
            "tags": "printer drivers",
            "summary": "clarified",
        },
        token_from=edit_url(question),
    )
    assert response.status_code == 302
    edited = fresh(Question, question.id)
    assert response.headers["Location"] == (
        f"{question_path(edited)}#question-{question.id}"
    )
    assert edited.title == "Printer offline after the Windows update"
    assert edited.body_markdown == NEW_BODY
    assert set(edited.tag_names) == {"printer", "drivers"}
    assert edited.last_edited_at is not None
    revisions = edited.revisions
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].summary == "clarified"
    assert revisions[1].author_id == owner.id
    assert set(revisions[1].tag_list) == {"printer", "drivers"}


def test_owner_edits_answer_body_only(client, auth):
    question = make_question()
    owner = make_user()
    answer = make_answer(question, owner)
    auth.login(owner.username)
    html = client.get(edit_url(answer)).get_data(as_text=True)
    assert 'name="title"' not in html and 'name="tags"' not in html
    response = auth.post(
        edit_url(answer),
        {"body": NEW_BODY, "title": "ignored for answers here"},
        token_from=edit_url(answer),
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#answer-{answer.id}")
    assert fresh(Answer, answer.id).body_markdown == NEW_BODY
    assert [r.number for r in fresh(Answer, answer.id).revisions] == [1, 2]


def test_staff_edits_any_post(client, auth):
    question = make_question()
    staff = make_user(staff=True)
    auth.login(staff.username)
    response = auth.post(
        edit_url(question), {"body": NEW_BODY}, token_from=edit_url(question)
    )
    assert response.status_code == 302
    revision = fresh(Question, question.id).revisions[-1]
    assert revision.number == 2 and revision.author_id == staff.id


def test_other_user_cannot_edit(client, auth):
    question = make_question()
    other = make_user()
    auth.login(other.username)
    assert client.get(edit_url(question)).status_code == 403
    response = auth.post(edit_url(question), {"body": NEW_BODY})
    assert response.status_code == 403
    assert fresh(Question, question.id).body_markdown != NEW_BODY
    assert revision_count(question) == 1


def test_anonymous_edit_redirects_to_login(client):
    question = make_question()
    response = client.get(edit_url(question))
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_edit_unknown_post_is_404(client, auth):
    auth.login(make_user().username)
    assert client.get("/posts/99999/edit").status_code == 404
    assert auth.post("/posts/99999/edit", {"body": NEW_BODY}).status_code == 404


@pytest.mark.parametrize(
    ("data", "field_error"),
    [
        ({"title": "Too short"}, "Title must be at least 15 characters"),
        ({"title": "x" * 151}, "Title must be at most 150 characters"),
        ({"body": "short body"}, "Body must be at least 30 characters"),
        ({"body": "b" * 30001}, "Body must be at most 30000 characters"),
        ({"tags": ""}, "Add at least 1 tag"),
        ({"tags": "a b c d e f"}, "Use at most 5 tags"),
        ({"tags": "bad_tag!"}, "Invalid tag"),
        ({"summary": "s" * 301}, "Edit summary must be at most 300 characters"),
        ({"body": "A body with a NUL \x00 byte inside it, long enough."}, "NUL"),
        ({}, "Your edit changes nothing"),
    ],
)
def test_edit_validation_errors(client, auth, data, field_error):
    owner = make_user()
    question = make_question(owner)
    before = (question.title, question.body_markdown, question.tag_names)
    auth.login(owner.username)
    form = {
        "title": question.title,
        "body": question.body_markdown,
        "tags": " ".join(question.tag_names),
    }
    form.update(data)
    response = auth.post(edit_url(question), form, token_from=edit_url(question))
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert field_error in html
    edited = fresh(Question, question.id)
    assert (edited.title, edited.body_markdown, edited.tag_names) == before
    assert edited.last_edited_at is None
    assert revision_count(question) == 1


def test_edit_error_keeps_input(client, auth):
    owner = make_user()
    question = make_question(owner)
    auth.login(owner.username)
    response = auth.post(
        edit_url(question),
        {"title": "Kept <title> text", "body": "too short", "tags": "printer"},
        token_from=edit_url(question),
    )
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="Kept &lt;title&gt; text"' in html
    assert "too short</textarea>" in html


def test_edit_of_deleted_post_refused(client, auth):
    owner = make_user()
    question = make_question(owner)
    answer = make_answer(question, owner)
    auth.login(owner.username)
    auth.post(f"/posts/{answer.id}/delete", token_from=question_path(question))
    response = client.get(edit_url(answer))
    assert response.status_code == 403
    assert "Deleted posts cannot be edited" in response.get_data(as_text=True)


# --- revision history --------------------------------------------------------


def test_history_shows_word_diff(client, auth):
    owner = make_user()
    question = make_question(
        owner, body="The printer says offline although the cable is plugged in."
    )
    auth.login(owner.username)
    auth.post(
        edit_url(question),
        {
            "body": "The printer says <offline> although the WiFi is plugged in.",
            "summary": "more detail & accuracy",
        },
        token_from=edit_url(question),
    )
    response = client.get(f"/posts/{question.id}/revisions")
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert "Revision 2" in html and "Revision 1" in html
    assert html.index("Revision 2") < html.index("Revision 1")
    assert '<div class="diff"' in html
    assert "<del>offline</del>" in html
    assert "<ins>&lt;offline&gt;</ins>" in html
    assert "<del>cable</del><ins>WiFi</ins>" in html
    assert "more detail &amp; accuracy" in html
    # Revision 1 shows the original text.
    assert "The printer says offline although the cable is plugged in." in html
    assert "<offline>" not in html


def test_history_escapes_plain_text(client):
    question = make_question(
        make_user(reputation=10),  # past the sandbox: its image reaches the page
        title="Title with <script>alert(1)</script> in it",
        body="Body with <img src=x onerror=alert(1)> markup in it, plain text.",
    )
    html = client.get(f"/posts/{question.id}/revisions").get_data(as_text=True)
    assert "<script>alert(1)</script>" not in html
    assert "<img src=x" not in html
    assert "&lt;img src=x onerror=alert(1)&gt;" in html


def test_history_of_answer_and_unknown_post(client):
    question = make_question()
    answer = make_answer(question)
    response = client.get(f"/posts/{answer.id}/revisions")
    assert response.status_code == 200
    assert "Revision 1" in response.get_data(as_text=True)
    assert client.get("/posts/99999/revisions").status_code == 404


def test_history_of_deleted_post_hidden_from_others(client, auth):
    owner = make_user()
    question = make_question(owner)
    auth.login(owner.username)
    auth.post(f"/posts/{question.id}/delete", token_from=question_path(question))
    assert client.get(f"/posts/{question.id}/revisions").status_code == 200
    auth.logout()
    assert client.get(f"/posts/{question.id}/revisions").status_code == 404


# --- deleting and undeleting -------------------------------------------------


def test_owner_deletes_answer(client, auth):
    question = make_question()
    owner = make_user()
    answer = make_answer(question, owner)
    assert fresh(Question, question.id).answer_count == 1
    auth.login(owner.username)
    response = auth.post(
        f"/posts/{answer.id}/delete", token_from=question_path(question)
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith(question_path(question))
    deleted = fresh(Answer, answer.id)
    assert deleted.is_deleted and deleted.deleted_by_id == owner.id
    assert fresh(Question, question.id).answer_count == 0


def test_owner_deletes_unanswered_question(client, auth):
    owner = make_user()
    question = make_question(owner)
    auth.login(owner.username)
    response = auth.post(
        f"/posts/{question.id}/delete", token_from=question_path(question)
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert "The question was deleted." in client.get("/").get_data(as_text=True)
    assert fresh(Question, question.id).is_deleted


def test_owner_cannot_delete_question_with_answers(client, auth):
    owner = make_user()
    question = make_question(owner)
    make_answer(question)
    auth.login(owner.username)
    response = auth.post(
        f"/posts/{question.id}/delete", token_from=question_path(question)
    )
    assert response.status_code == 403
    assert "has answers" in response.get_data(as_text=True)
    assert not fresh(Question, question.id).is_deleted


def test_staff_deletes_question_with_answers(client, auth):
    question = make_question()
    make_answer(question)
    staff = make_user(staff=True)
    auth.login(staff.username)
    response = auth.post(
        f"/posts/{question.id}/delete",
        {"reason": "spam"},
        token_from=question_path(question),
    )
    assert response.status_code == 302
    deleted = fresh(Question, question.id)
    assert deleted.is_deleted and deleted.deleted_reason == "spam"


def test_delete_with_bad_reason_is_422(client, auth):
    owner = make_user()
    question = make_question(owner)
    auth.login(owner.username)
    response = auth.post(
        f"/posts/{question.id}/delete",
        {"reason": "because"},
        token_from=question_path(question),
    )
    assert response.status_code == 422
    assert not fresh(Question, question.id).is_deleted


def test_other_user_cannot_delete(client, auth):
    question = make_question()
    answer = make_answer(question)
    auth.login(make_user().username)
    for post in (question, answer):
        response = auth.post(
            f"/posts/{post.id}/delete", token_from=question_path(question)
        )
        assert response.status_code == 403
        assert not fresh(Post, post.id).is_deleted


def test_anonymous_delete_goes_to_login(client):
    question = make_question()
    token = csrf_from(client, "/login")
    response = client.post(f"/posts/{question.id}/delete", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert not fresh(Question, question.id).is_deleted


def test_delete_unknown_post_is_404(client, auth):
    auth.login(make_user().username)
    assert auth.post("/posts/99999/delete").status_code == 404
    assert auth.post("/posts/99999/undelete").status_code == 404


def test_deleted_answer_visibility(client, auth):
    question = make_question()
    owner = make_user()
    answer = make_answer(question, owner, body="A very distinctive answer text here.")
    auth.login(owner.username)
    auth.post(f"/posts/{answer.id}/delete", token_from=question_path(question))
    # The owner still sees it, marked as deleted.
    html = client.get(question_path(question)).get_data(as_text=True)
    assert "A very distinctive answer text here." in html
    assert "Deleted" in html
    auth.logout()
    # Others do not.
    auth.login(make_user().username)
    html = client.get(question_path(question)).get_data(as_text=True)
    assert "A very distinctive answer text here." not in html
    assert client.get(f"/posts/{answer.id}/revisions").status_code == 404
    auth.logout()
    # Staff do, with the marker.
    auth.login(make_user(staff=True).username)
    html = client.get(question_path(question)).get_data(as_text=True)
    assert "A very distinctive answer text here." in html
    assert "Deleted" in html


def test_owner_undeletes_own_deletion(client, auth):
    question = make_question()
    owner = make_user()
    answer = make_answer(question, owner)
    auth.login(owner.username)
    auth.post(f"/posts/{answer.id}/delete", token_from=question_path(question))
    response = auth.post(
        f"/posts/{answer.id}/undelete", token_from=question_path(question)
    )
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"#answer-{answer.id}")
    assert not fresh(Answer, answer.id).is_deleted
    assert fresh(Question, question.id).answer_count == 1


def test_owner_cannot_undelete_staff_deletion(client, auth):
    question = make_question()
    owner = make_user()
    answer = make_answer(question, owner)
    staff = make_user(staff=True)
    auth.login(staff.username)
    auth.post(f"/posts/{answer.id}/delete", token_from=question_path(question))
    auth.logout()
    auth.login(owner.username)
    response = auth.post(
        f"/posts/{answer.id}/undelete", token_from=question_path(question)
    )
    assert response.status_code == 403
    assert fresh(Answer, answer.id).is_deleted
    auth.logout()
    auth.login(staff.username)
    auth.post(f"/posts/{answer.id}/undelete", token_from=question_path(question))
    assert not fresh(Answer, answer.id).is_deleted


def test_undelete_live_post_refused(client, auth):
    owner = make_user()
    question = make_question(owner)
    auth.login(owner.username)
    response = auth.post(
        f"/posts/{question.id}/undelete", token_from=question_path(question)
    )
    assert response.status_code == 403


# --- comments ------------------------------------------------------------------


def test_comment_edit_by_owner(client, auth):
    question = make_question()
    owner = make_user(reputation=50)
    comment = make_comment(question, owner)
    url = f"/comments/{comment.id}/edit"
    auth.login(owner.username)
    assert comment.body_markdown in client.get(url).get_data(as_text=True)
    response = auth.post(
        url, {"body": "Which driver version is installed?"}, token_from=url
    )
    assert response.status_code == 302
    assert response.headers["Location"] == (
        f"{question_path(question)}#comment-{comment.id}"
    )
    edited = fresh(Comment, comment.id)
    assert edited.body_markdown == "Which driver version is installed?"
    assert edited.last_edited_at is not None


def test_comment_edit_validation(client, auth):
    question = make_question()
    owner = make_user(reputation=50)
    comment = make_comment(question, owner)
    url = f"/comments/{comment.id}/edit"
    auth.login(owner.username)
    response = auth.post(url, {"body": "too short"}, token_from=url)
    assert response.status_code == 422
    assert "Comment must be at least 15 characters" in response.get_data(as_text=True)
    assert fresh(Comment, comment.id).body_markdown == comment.body_markdown


def test_comment_edit_and_delete_authorisation(client, auth):
    question = make_question()
    comment = make_comment(question, make_user(reputation=50))
    url = f"/comments/{comment.id}/edit"
    auth.login(make_user().username)
    assert client.get(url).status_code == 403
    assert auth.post(url, {"body": "Someone else's new words."}).status_code == 403
    assert auth.post(f"/comments/{comment.id}/delete").status_code == 403
    unchanged = fresh(Comment, comment.id)
    assert unchanged.body_markdown == comment.body_markdown
    assert not unchanged.is_deleted
    auth.logout()
    assert client.get(url).headers["Location"].startswith("/login?next=")
    assert client.get("/comments/99999/edit").status_code == 302
    auth.login(make_user().username)
    assert client.get("/comments/99999/edit").status_code == 404


def test_comment_delete_by_owner_and_staff(client, auth):
    question = make_question()
    owner = make_user(reputation=50)
    first = make_comment(question, owner)
    second = make_comment(question, owner)
    auth.login(owner.username)
    response = auth.post(f"/comments/{first.id}/delete")
    assert response.status_code == 302
    assert response.headers["Location"].startswith(question_path(question))
    assert fresh(Comment, first.id).is_deleted
    auth.logout()
    auth.login(make_user(staff=True).username)
    assert auth.post(f"/comments/{second.id}/delete").status_code == 302
    assert fresh(Comment, second.id).is_deleted
    # A deleted comment cannot be deleted or edited again.
    assert auth.post(f"/comments/{second.id}/delete").status_code == 403


# --- CSRF on every mutating route ---------------------------------------------


def _mutating_routes() -> list[tuple[str, str]]:
    """Every (endpoint, rule) of the site that accepts POST, except the API."""
    with tempfile.TemporaryDirectory() as tmp:
        app = make_app(Path(tmp))
        routes = sorted(
            (rule.endpoint, rule.rule)
            for rule in app.url_map.iter_rules()
            if "POST" in (rule.methods or ())
            and not rule.rule.startswith("/api/")
            and rule.endpoint != "static"
        )
    return routes


MUTATING_ROUTES = _mutating_routes()


def test_mutating_routes_are_collected():
    endpoints = {endpoint for endpoint, _ in MUTATING_ROUTES}
    expected = {
        "auth.logout",
        "auth.login",
        "auth.signup",
        "posts.edit",
        "posts.delete",
        "posts.undelete",
        "posts.edit_comment",
        "posts.delete_comment",
        "users.edit",
        "users.password",
        "questions.ask",
        "questions.answer",
        "questions.comment",
        "questions.preview",
    }
    assert expected <= endpoints


def database_snapshot() -> dict:
    """Every row of every table, to prove a request wrote nothing."""
    db.session.expire_all()
    return {
        table.name: sorted(map(repr, db.session.execute(table.select()).all()))
        for table in db.metadata.sorted_tables
    }


@pytest.mark.parametrize(("endpoint", "rule"), MUTATING_ROUTES)
def test_post_without_csrf_is_refused(app, client, auth, endpoint, rule):
    owner = make_user(staff=True)
    question = make_question(owner)
    answer = make_answer(question, owner)
    comment = make_comment(answer, owner)
    values = {
        "post_id": answer.id,
        "question_id": question.id,
        "answer_id": answer.id,
        "comment_id": comment.id,
        "user_id": owner.id,
        "slug": question.slug,
        "username": owner.username,
        "tag": "printer",
    }

    def fill(match: re.Match) -> str:
        name = match.group(1).split(":")[-1]
        return str(values.get(name, answer.id if "int" in match.group(1) else "x"))

    url = re.sub(r"<([^>]+)>", fill, rule)
    auth.login(owner.username)
    before = database_snapshot()
    form = {
        "title": "A perfectly good title here",
        "body": NEW_BODY * 2,
        "tags": "printer",
        "reason": "",
        "display_name": "Changed",
        "current_password": "correct horse battery",
        "new_password": "another long password",
        "confirm_password": "another long password",
    }
    response = client.post(url, data=form)
    assert response.status_code == 400, (endpoint, url)
    assert "Security check failed" in response.get_data(as_text=True)
    assert database_snapshot() == before
    # Still logged in (the log-out form was refused too).
    assert session_owner(client) == owner.id
