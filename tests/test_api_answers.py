"""API: answering questions and accepting an answer."""

import pytest

from forum.extensions import db
from forum.models import Answer, Question, utcnow
from forum.services import permissions
from tests.factories import make_answer, make_question, make_user
from tests.helpers import (
    ANSWER_KEYS,
    API,
    QUESTION_KEYS,
    assert_error,
    bearer,
    count,
    fresh,
)

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_post_answer(client):
    question = make_question()
    user = make_user()
    body = {"body": "Restart the print spooler service, then reconnect."}
    response = client.post(
        f"{API}/questions/{question.id}/answers",
        json=body,
        headers=bearer(client, user),
    )
    assert response.status_code == 201
    data = response.json
    assert set(data) == ANSWER_KEYS | {"my_vote"}
    assert data["question_id"] == question.id and data["owner"]["id"] == user.id
    assert data["is_accepted"] is False and data["score"] == 0
    assert fresh(Question, question.id).answer_count == 1


@pytest.mark.parametrize("body", [{"body": "too short"}, {"body": 5}, {}])
def test_post_answer_invalid_is_422(client, body):
    question = make_question()
    response = client.post(
        f"{API}/questions/{question.id}/answers",
        json=body,
        headers=bearer(client, make_user()),
    )
    assert "body" in assert_error(response, 422, "validation_failed")["fields"]
    assert count(Answer) == 0


def test_post_answer_guards(client):
    question = make_question()
    body = {"body": "Restart the print spooler service, then reconnect."}
    url = f"{API}/questions/{question.id}/answers"
    assert_error(client.post(url, json=body), 401)
    headers = bearer(client, make_user())
    assert_error(
        client.post(f"{API}/questions/9999/answers", json=body, headers=headers), 404
    )
    question.closed_at = utcnow()
    db.session.commit()
    assert_error(client.post(url, json=body, headers=headers), 403, "forbidden")
    assert count(Answer) == 0


def test_a_locked_question_takes_no_answers(client):
    question = make_question()
    question.locked_at = utcnow()
    db.session.commit()
    user = make_user()
    assert permissions.can_answer(user, question) is False
    response = client.post(
        f"{API}/questions/{question.id}/answers",
        json={"body": "Restart the print spooler service, then reconnect."},
        headers=bearer(client, user),
    )
    error = assert_error(response, 403, "forbidden")
    assert error["message"] == "This question is locked; answers are closed."
    assert count(Answer) == 0


def test_accept_answer_by_asker_and_unaccept(client):
    question = make_question()
    answer = make_answer(question)
    headers = bearer(client, question.owner)
    url = f"{API}/questions/{question.id}/accepted-answer"
    response = client.put(url, json={"answer_id": answer.id}, headers=headers)
    assert response.status_code == 200
    assert set(response.json) == QUESTION_KEYS | {"my_vote"}
    assert response.json["accepted_answer_id"] == answer.id
    assert response.json["accepted_by"] == "asker"
    response = client.put(url, json={"answer_id": None}, headers=headers)
    assert response.json["accepted_answer_id"] is None
    assert response.json["accepted_by"] is None
    assert fresh(Question, question.id).accepted_answer_id is None


def test_accept_answer_by_staff(client):
    question = make_question()
    answer = make_answer(question)
    staff = make_user(staff=True)
    response = client.put(
        f"{API}/questions/{question.id}/accepted-answer",
        json={"answer_id": answer.id},
        headers=bearer(client, staff),
    )
    assert response.json["accepted_by"] == "staff"


def test_accept_answer_guards(client):
    question = make_question()
    answer = make_answer(question)
    other_answer = make_answer(make_question())
    url = f"{API}/questions/{question.id}/accepted-answer"
    assert_error(client.put(url, json={"answer_id": answer.id}), 401)
    stranger = bearer(client, make_user())
    assert_error(
        client.put(url, json={"answer_id": answer.id}, headers=stranger),
        403,
        "forbidden",
    )
    owner = bearer(client, question.owner)
    for bad in (
        {"answer_id": other_answer.id},
        {"answer_id": "1"},
        {"answer_id": 99999},
        {"answer_id": True},
        {"answer_id": 2**40},
        {"answer_id": question.id},
        {},
    ):
        error = assert_error(client.put(url, json=bad, headers=owner), 422)
        assert "answer_id" in error["fields"]
    assert_error(
        client.put(
            f"{API}/questions/{other_answer.id}/accepted-answer",
            json={"answer_id": None},
            headers=owner,
        ),
        404,
    )
    assert fresh(Question, question.id).accepted_answer_id is None
