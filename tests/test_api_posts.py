"""API: editing, deleting, revisions, comments and votes on posts."""

import pytest

from forum.extensions import db
from forum.models import Comment, Post, Revision, Vote
from forum.services import posts
from tests.factories import make_answer, make_question, make_user
from tests.helpers import API, assert_error, bearer, count, fresh

pytestmark = pytest.mark.usefixtures("app_ctx")

NEW_BODY = "Updated: the printer also drops off the network after sleep mode."


def edit(client, post, headers, **body):
    """PATCH a post."""
    return client.patch(f"{API}/posts/{post.id}", json=body, headers=headers)


def test_owner_edits_question_as_new_revision(client):
    question = make_question()
    response = edit(
        client,
        question,
        bearer(client, question.owner),
        title="Printer offline after every single reboot",
        tags=["printer", "network"],
        summary="clarify",
    )
    assert response.status_code == 200
    data = response.json
    assert data["id"] == question.id
    assert data["title"] == "Printer offline after every single reboot"
    assert data["tags"] == ["printer", "network"]
    revisions = db.session.query(Revision).filter_by(post_id=question.id).all()
    assert [r.number for r in revisions] == [1, 2]
    assert revisions[1].summary == "clarify" and revisions[1].tags == "printer network"


def test_owner_edits_answer(client):
    answer = make_answer(make_question())
    response = edit(client, answer, bearer(client, answer.owner), body=NEW_BODY)
    assert response.status_code == 200
    assert response.json["body_markdown"] == NEW_BODY
    assert response.json["question_id"] == answer.question_id
    assert "title" not in response.json


def test_staff_edits_any_post(client):
    question = make_question()
    staff = make_user(staff=True)
    response = edit(client, question, bearer(client, staff), body=NEW_BODY)
    assert response.status_code == 200
    assert question.revisions[-1].author_id == staff.id


def test_edit_guards(client):
    question = make_question()
    before = question.body_markdown
    assert_error(edit(client, question, {}, body=NEW_BODY), 401)
    stranger = bearer(client, make_user())
    assert_error(edit(client, question, stranger, body=NEW_BODY), 403, "forbidden")
    response = client.patch(
        f"{API}/posts/9999", json={"body": NEW_BODY}, headers=stranger
    )
    assert_error(response, 404)
    assert fresh(Post, question.id).body_markdown == before
    assert count(Revision) == 1


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({}, "body"),  # changes nothing
        ({"title": "short"}, "title"),
        ({"body": 42}, "body"),
        ({"tags": []}, "tags"),
        ({"summary": "x" * 301, "body": NEW_BODY}, "summary"),
        ({"summary": 5, "body": NEW_BODY}, "summary"),
    ],
)
def test_edit_invalid_is_422(client, body, field):
    question = make_question()
    response = edit(client, question, bearer(client, question.owner), **body)
    assert field in assert_error(response, 422, "validation_failed")["fields"]
    assert count(Revision) == 1


def test_answers_have_no_title(client):
    answer = make_answer(make_question())
    response = edit(
        client,
        answer,
        bearer(client, answer.owner),
        title="A title for an answer is wrong",
    )
    assert "title" in assert_error(response, 422)["fields"]


def test_revisions_list(client):
    question = make_question()
    posts.edit_post(question.owner, question, body=NEW_BODY, summary="more detail")
    response = client.get(f"{API}/posts/{question.id}/revisions")
    assert response.status_code == 200
    data = response.json
    assert data["total"] == 2 and data["has_more"] is False
    first, second = data["items"]
    assert first["number"] == 1 and second["number"] == 2
    assert set(first) == {
        "id",
        "post_id",
        "number",
        "author",
        "created_at",
        "summary",
        "title",
        "body_markdown",
        "tags",
    }
    assert first["title"] == question.title and first["tags"] == ["printer", "windows"]
    assert second["body_markdown"] == NEW_BODY and second["summary"] == "more detail"
    assert second["author"]["id"] == question.owner_id
    paged = client.get(f"{API}/posts/{question.id}/revisions?per_page=1&page=2").json
    assert [r["number"] for r in paged["items"]] == [2]
    assert_error(client.get(f"{API}/posts/{question.id}/revisions?page=0"), 400)
    assert_error(client.get(f"{API}/posts/9999/revisions"), 404)


def test_owner_deletes_answer(client):
    question = make_question()
    answer = make_answer(question)
    response = client.delete(
        f"{API}/posts/{answer.id}", headers=bearer(client, answer.owner)
    )
    assert response.status_code == 204 and response.data == b""
    assert fresh(Post, answer.id).deleted_at is not None
    assert client.get(f"{API}/questions/{question.id}").json["answers"] == []


def test_staff_deletes_with_reason(client):
    question = make_question()
    make_answer(question)
    staff = make_user(staff=True)
    response = client.delete(
        f"{API}/posts/{question.id}",
        json={"reason": "spam"},
        headers=bearer(client, staff),
    )
    assert response.status_code == 204
    assert fresh(Post, question.id).deleted_reason == "spam"
    assert_error(client.get(f"{API}/questions/{question.id}"), 404)


def test_delete_guards(client):
    question = make_question()
    url = f"{API}/posts/{question.id}"
    assert_error(client.delete(url), 401)
    assert_error(client.delete(url, headers=bearer(client, make_user())), 403)
    owner = bearer(client, question.owner)
    assert_error(client.delete(url, json={"reason": "spam"}, headers=owner), 403)
    for bad in ({"reason": "because"}, {"reason": 3}):
        assert (
            "reason"
            in assert_error(client.delete(url, json=bad, headers=owner), 422)["fields"]
        )
    assert_error(client.delete(url, data=b"{nope", headers=owner), 400, "invalid_json")
    make_answer(question)
    assert_error(client.delete(url, headers=owner), 403)  # it has answers now
    assert fresh(Post, question.id).deleted_at is None
    assert_error(client.delete(f"{API}/posts/9999", headers=owner), 404)


def test_add_comment(client):
    question = make_question()
    user = make_user(reputation=50)
    body = {"body": "Which printer model is it exactly?"}
    response = client.post(
        f"{API}/posts/{question.id}/comments", json=body, headers=bearer(client, user)
    )
    assert response.status_code == 201
    data = response.json
    assert set(data) == {
        "id",
        "post_id",
        "body_markdown",
        "body_html",
        "owner",
        "created_at",
    }
    assert data["post_id"] == question.id and data["owner"]["id"] == user.id
    assert data["body_markdown"] == body["body"]
    answer = make_answer(question)
    again = {"body": "Which driver version does it use?"}  # the same text is refused
    response = client.post(
        f"{API}/posts/{answer.id}/comments", json=again, headers=bearer(client, user)
    )
    assert response.status_code == 201 and response.json["post_id"] == answer.id


def test_comment_guards(client):
    question = make_question()
    url = f"{API}/posts/{question.id}/comments"
    good = {"body": "Which printer model is it exactly?"}
    assert_error(client.post(url, json=good), 401)
    headers = bearer(client, make_user(reputation=50))
    for bad in ({"body": "short"}, {"body": ["x" * 20]}, {}):
        assert (
            "body"
            in assert_error(client.post(url, json=bad, headers=headers), 422)["fields"]
        )
    assert_error(
        client.post(f"{API}/posts/9999/comments", json=good, headers=headers), 404
    )
    assert count(Comment) == 0


def test_vote_up_down_withdraw(client):
    question = make_question()
    voter = make_user(reputation=125)
    headers = bearer(client, voter)
    url = f"{API}/posts/{question.id}/vote"
    response = client.put(url, json={"value": 1}, headers=headers)
    assert response.status_code == 200
    assert response.json == {"score": 1, "my_vote": 1}
    assert client.put(url, json={"value": 1}, headers=headers).json["score"] == 1
    assert client.put(url, json={"value": -1}, headers=headers).json == {
        "score": -1,
        "my_vote": -1,
    }
    assert client.put(url, json={"value": 0}, headers=headers).json == {
        "score": 0,
        "my_vote": 0,
    }
    assert count(Vote) == 0


def test_vote_on_answer(client):
    answer = make_answer(make_question())
    response = client.put(
        f"{API}/posts/{answer.id}/vote",
        json={"value": -1},
        headers=bearer(client, make_user(reputation=125)),
    )
    assert response.json == {"score": -1, "my_vote": -1}


def test_vote_guards(client):
    question = make_question()
    url = f"{API}/posts/{question.id}/vote"
    assert_error(client.put(url, json={"value": 1}), 401)
    own = bearer(client, question.owner)
    assert_error(client.put(url, json={"value": 1}, headers=own), 403, "forbidden")
    headers = bearer(client, make_user())
    for bad in (
        {"value": 2},
        {"value": "1"},
        {"value": True},
        {"value": 1.0},
        {"value": None},
        {},
    ):
        error = assert_error(client.put(url, json=bad, headers=headers), 422)
        assert "value" in error["fields"]
    assert_error(
        client.put(f"{API}/posts/9999/vote", json={"value": 1}, headers=headers), 404
    )
    assert count(Vote) == 0
    assert fresh(Post, question.id).score == 0


def test_deleted_post_is_hidden_from_others(client):
    answer = make_answer(make_question())
    posts.delete_post(answer.owner, answer)
    headers = bearer(client, make_user())
    assert_error(
        client.put(f"{API}/posts/{answer.id}/vote", json={"value": 1}, headers=headers),
        404,
    )
    assert_error(client.get(f"{API}/posts/{answer.id}/revisions"), 404)
    owner = bearer(client, answer.owner)
    assert (
        client.get(f"{API}/posts/{answer.id}/revisions", headers=owner).status_code
        == 200
    )
    assert_error(client.delete(f"{API}/posts/{answer.id}", headers=owner), 403)
