"""API: listing, asking and reading questions."""

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.models import Question, Revision, Tag, utcnow
from forum.services import posts, voting
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import (
    ANSWER_KEYS,
    API,
    COMMENT_KEYS,
    QUESTION_KEYS,
    QUESTION_ORDER,
    SUMMARY_KEYS,
    assert_error,
    bearer,
    count,
)

pytestmark = pytest.mark.usefixtures("app_ctx")

GOOD = {
    "title": "Printer shows offline after every reboot",
    "body": "Since the update my office printer shows offline after each reboot.",
    "tags": ["printer", "windows-11"],
}


def ids(response) -> list[int]:
    """The ids of a list response's items."""
    assert response.status_code == 200, response.json
    return [item["id"] for item in response.json["items"]]


def test_list_shape_and_defaults(client):
    question = make_question()
    response = client.get(f"{API}/questions")
    data = response.json
    assert set(data) == {"items", "page", "per_page", "total", "has_more"}
    assert (data["page"], data["per_page"], data["total"]) == (1, 30, 1)
    item = data["items"][0]
    assert set(item) == QUESTION_KEYS  # no my_vote for anonymous callers
    assert item["id"] == question.id and item["tags"] == ["printer", "windows"]
    assert set(item["owner"]) == SUMMARY_KEYS
    assert item["created_at"].endswith("Z")


def test_keys_come_in_the_contract_order_not_sorted(client):
    make_question()
    data = client.get(f"{API}/questions").json  # a dict keeps the order it was sent in
    assert list(data) == ["items", "page", "per_page", "total", "has_more"]
    assert list(data["items"][0]) == QUESTION_ORDER
    assert list(data["items"][0]["owner"]) == [
        "id",
        "username",
        "display_name",
        "reputation",
    ]
    document = client.get(f"{API}/openapi.json").json
    assert list(document)[:2] == ["openapi", "info"]
    described = document["components"]["schemas"]["Question"]["properties"]
    assert [key for key in described if key in QUESTION_ORDER] == QUESTION_ORDER


def test_list_sorts(client):
    old = make_question()
    new = make_question()
    answered = make_question()
    make_answer(answered)
    voter = make_user(reputation=15)
    voting.cast_vote(voter, old, 1)
    assert ids(client.get(f"{API}/questions")) == [answered.id, new.id, old.id]
    assert ids(client.get(f"{API}/questions?sort=newest"))[0] == answered.id
    assert ids(client.get(f"{API}/questions?sort=votes"))[0] == old.id
    assert ids(client.get(f"{API}/questions?sort=unanswered")) == [new.id, old.id]
    assert ids(client.get(f"{API}/questions?sort=active"))[0] == answered.id


def test_list_tag_filters_all_must_match(client):
    both = make_question(tags="printer wifi")
    printer = make_question(tags="printer")
    make_question(tags="wifi")
    assert set(ids(client.get(f"{API}/questions?tag=printer"))) == {both.id, printer.id}
    assert ids(client.get(f"{API}/questions?tag=printer&tag=wifi")) == [both.id]
    assert ids(client.get(f"{API}/questions?tag=PRINTER&tag=wifi")) == [both.id]


@pytest.mark.parametrize("tag", ["nosuchtag", "bad tag!", "nul%00byte", "x" * 300])
def test_list_unknown_tag_is_empty(client, tag):
    make_question()
    response = client.get(f"{API}/questions?tag={tag}")
    assert ids(response) == [] and response.json["total"] == 0


def test_list_solved_filter(client):
    solved = make_question()
    answer = make_answer(solved)
    voting.accept_answer(solved.owner, solved, answer)
    open_one = make_question()
    assert ids(client.get(f"{API}/questions?solved=true")) == [solved.id]
    assert ids(client.get(f"{API}/questions?solved=false")) == [open_one.id]


def test_list_includes_closed_and_hides_deleted(client):
    closed = make_question()
    closed.closed_at = utcnow()
    closed.closed_reason = "off-topic"
    deleted = make_question()
    db.session.commit()
    posts.delete_post(deleted.owner, deleted)
    items = client.get(f"{API}/questions").json["items"]
    assert [i["id"] for i in items] == [closed.id]
    assert items[0]["is_closed"] is True and items[0]["closed_reason"] == "off-topic"


def test_list_paging(client):
    made = [make_question().id for _ in range(3)]
    response = client.get(f"{API}/questions?per_page=2&page=2")
    assert ids(response) == [made[0]]
    assert response.json["has_more"] is False and response.json["total"] == 3
    assert client.get(f"{API}/questions?per_page=2").json["has_more"] is True
    assert ids(client.get(f"{API}/questions?page=9")) == []


@pytest.mark.parametrize(
    "query",
    [
        "sort=oldest",
        "sort=",
        "solved=yes",
        "solved=1",
        "page=0",
        "page=abc",
        "per_page=101",
        "per_page=0",
        "per_page=-5",
        "page=99999999999",
    ],
)
def test_list_bad_params_are_400(client, query):
    assert_error(client.get(f"{API}/questions?{query}"), 400, "bad_request")


def test_list_has_my_vote_without_n_plus_one(client, app):
    voter = make_user(reputation=125)
    headers = bearer(client, voter)
    first = make_question()
    voting.cast_vote(voter, first, -1)
    url = f"{API}/questions?per_page=100"

    def queries() -> int:
        statements = []
        listener = lambda *args: statements.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url, headers=headers).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(statements)

    queries()  # the token's first use is noted once, then not for minutes
    few = queries()
    for n in range(8):
        make_question(author=make_user(), tags=f"tag{n} printer")
    assert queries() == few
    items = client.get(url, headers=headers).json["items"]
    votes = {i["id"]: i["my_vote"] for i in items}
    assert votes[first.id] == -1 and set(votes.values()) == {-1, 0}


def test_ask_question(client):
    user = make_user()
    response = client.post(f"{API}/questions", json=GOOD, headers=bearer(client, user))
    assert response.status_code == 201
    data = response.json
    assert set(data) == QUESTION_KEYS | {"my_vote"}
    assert response.headers["Location"] == f"{API}/questions/{data['id']}"
    assert data["title"] == GOOD["title"] and data["tags"] == GOOD["tags"]
    assert data["body_html"].startswith("<p>") and data["my_vote"] == 0
    assert data["owner"]["id"] == user.id and data["answer_count"] == 0
    question = db.session.get(Question, data["id"])
    assert [r.number for r in question.revisions] == [1]
    assert client.get(response.headers["Location"]).json["id"] == data["id"]


def test_ask_question_accepts_tag_string(client):
    body = dict(GOOD, tags="printer, wifi")
    response = client.post(
        f"{API}/questions", json=body, headers=bearer(client, make_user())
    )
    assert response.status_code == 201 and response.json["tags"] == ["printer", "wifi"]


def test_ask_question_renders_markdown_safely(client):
    body = dict(GOOD, body="Click <script>alert(1)</script> **here** and then wait.")
    response = client.post(
        f"{API}/questions", json=body, headers=bearer(client, make_user())
    )
    assert "<script" not in response.json["body_html"]
    assert "<strong>here</strong>" in response.json["body_html"]


@pytest.mark.parametrize(
    ("changes", "field"),
    [
        ({"title": "short"}, "title"),
        ({"title": 12345678901234567}, "title"),
        ({"title": None}, "title"),
        ({"body": "too short"}, "body"),
        ({"body": {"text": "x" * 40}}, "body"),
        ({"body": "x" * 30001}, "body"),
        ({"body": "has a NUL \u0000 byte in it, which is not allowed"}, "body"),
        ({"tags": []}, "tags"),
        ({"tags": ["a", "b", "c", "d", "e", "f"]}, "tags"),
        ({"tags": ["bad tag!"]}, "tags"),
        ({"tags": [1, 2]}, "tags"),
        ({"tags": 7}, "tags"),
    ],
)
def test_ask_question_invalid_is_422(client, changes, field):
    headers = bearer(client, make_user())
    response = client.post(
        f"{API}/questions", json=dict(GOOD, **changes), headers=headers
    )
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"]
    assert count(Question) == 0 and count(Revision) == 0 and count(Tag) == 0


def test_ask_question_anonymous_is_401(client):
    assert_error(client.post(f"{API}/questions", json=GOOD), 401)
    assert count(Question) == 0


def test_question_detail_orders_answers(client):
    question = make_question()
    oldest = make_answer(question)
    top = make_answer(question)
    accepted = make_answer(question)
    deleted = make_answer(question)
    voting.cast_vote(make_user(reputation=15), top, 1)
    voting.accept_answer(question.owner, question, accepted)
    posts.delete_post(deleted.owner, deleted)
    commenter = make_user(reputation=50)
    comment = make_comment(question, commenter)
    answer_comment = make_comment(top, commenter)
    response = client.get(f"{API}/questions/{question.id}")
    assert response.status_code == 200
    data = response.json
    assert set(data) == QUESTION_KEYS | {"answers", "comments"}
    assert [a["id"] for a in data["answers"]] == [accepted.id, top.id, oldest.id]
    assert data["accepted_answer_id"] == accepted.id
    assert data["accepted_by"] == "asker" and data["answer_count"] == 3
    first = data["answers"][0]
    assert set(first) == ANSWER_KEYS | {"comments"}
    assert first["is_accepted"] is True and data["answers"][1]["is_accepted"] is False
    assert [c["id"] for c in data["comments"]] == [comment.id]
    assert set(data["comments"][0]) == COMMENT_KEYS
    assert [c["id"] for c in data["answers"][1]["comments"]] == [answer_comment.id]
    assert data["answers"][1]["score"] == 1


def test_question_detail_my_vote(client):
    question = make_question()
    answer = make_answer(question)
    voter = make_user(reputation=15)
    voting.cast_vote(voter, answer, 1)
    data = client.get(
        f"{API}/questions/{question.id}", headers=bearer(client, voter)
    ).json
    assert data["my_vote"] == 0 and data["answers"][0]["my_vote"] == 1


def test_question_detail_does_not_count_views(client):
    question = make_question()
    client.get(f"{API}/questions/{question.id}")
    assert client.get(f"{API}/questions/{question.id}").json["view_count"] == 0


@pytest.mark.parametrize("path", ["999", "0", "-1", "x", "2147483648"])
def test_question_detail_unknown_is_404(client, path):
    assert_error(client.get(f"{API}/questions/{path}"), 404, "not_found")


def test_deleted_question_is_404_for_others_but_not_owner(client):
    question = make_question()
    owner = question.owner
    posts.delete_post(owner, question)
    assert_error(client.get(f"{API}/questions/{question.id}"), 404)
    headers = bearer(client, owner)
    assert (
        client.get(f"{API}/questions/{question.id}", headers=headers).status_code == 200
    )


def test_answer_is_not_a_question(client):
    answer = make_answer(make_question())
    assert_error(client.get(f"{API}/questions/{answer.id}"), 404)
