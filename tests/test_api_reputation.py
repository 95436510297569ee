"""API: a user's reputation events, ranks, and users listed by period gain."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import ReputationEvent, utcnow
from forum.services import voting
from tests.factories import make_answer, make_question, make_user
from tests.helpers import API, assert_error

pytestmark = pytest.mark.usefixtures("app_ctx")

EVENT_KEYS = {"id", "user_id", "post_id", "kind", "delta", "created_at", "reverses_id"}


def test_reputation_events_newest_first_with_reversals(client):
    question = make_question()
    owner = question.owner
    voter = make_user(reputation=15)
    voting.cast_vote(voter, question, 1)
    voting.cast_vote(voter, question, 0)
    response = client.get(f"{API}/users/{owner.id}/reputation")
    assert response.status_code == 200
    data = response.json
    assert set(data) == {"items", "page", "per_page", "total", "has_more"}
    assert (data["page"], data["per_page"], data["total"]) == (1, 30, 2)
    assert data["has_more"] is False
    reversal, original = data["items"]
    assert set(original) == EVENT_KEYS
    assert original["user_id"] == owner.id and original["post_id"] == question.id
    assert (original["kind"], original["delta"]) == ("question_upvoted", 10)
    assert original["reverses_id"] is None
    assert (reversal["kind"], reversal["delta"]) == ("question_upvoted", -10)
    assert reversal["reverses_id"] == original["id"]
    assert original["created_at"].endswith("Z")


def test_reputation_events_sum_to_the_reputation(client):
    answer = make_answer(make_question())
    for _ in range(3):
        voting.cast_vote(make_user(reputation=15), answer, 1)
    voting.accept_answer(answer.question.owner, answer.question, answer)
    user = client.get(f"{API}/users/{answer.owner_id}").json
    items = client.get(f"{API}/users/{answer.owner_id}/reputation").json["items"]
    assert user["reputation"] == 1 + sum(e["delta"] for e in items) == 46
    assert items[0]["kind"] == "answer_accepted"


def test_reputation_events_are_paged(client):
    user = make_user()
    for n in range(5):
        db.session.add(ReputationEvent(user_id=user.id, kind="bonus", delta=n + 1))
    db.session.commit()
    data = client.get(f"{API}/users/{user.id}/reputation?per_page=2&page=2").json
    assert [e["delta"] for e in data["items"]] == [3, 2]
    assert (data["total"], data["has_more"]) == (5, True)
    last = client.get(f"{API}/users/{user.id}/reputation?per_page=2&page=3").json
    assert [e["delta"] for e in last["items"]] == [1] and last["has_more"] is False


def test_a_user_without_events_has_an_empty_list(client):
    user = make_user()
    data = client.get(f"{API}/users/{user.id}/reputation").json
    assert data["items"] == [] and data["total"] == 0


@pytest.mark.parametrize(
    "query", ["page=0", "page=x", "per_page=0", "per_page=101", "page=-1"]
)
def test_reputation_bad_paging_is_400(client, query):
    user = make_user()
    response = client.get(f"{API}/users/{user.id}/reputation?{query}")
    assert_error(response, 400, "bad_request")


@pytest.mark.parametrize("user_id", [999999, 2147483647])
def test_reputation_of_unknown_user_is_404(client, user_id):
    assert_error(client.get(f"{API}/users/{user_id}/reputation"), 404, "not_found")


def test_reputation_out_of_range_id_is_404_json(client):
    response = client.get(f"{API}/users/2147483648/reputation")
    assert response.status_code == 404 and response.mimetype == "application/json"


def test_user_resource_has_its_rank(client):
    users = [make_user(reputation=r) for r in (1, 50, 200, 1000, 5000)]
    ranks = [client.get(f"{API}/users/{u.id}").json["rank"] for u in users]
    assert ranks == ["Newcomer", "Contributor", "Helper", "Expert", "Guru"]


def test_users_by_period_gain(client):
    old = make_user(reputation=900)
    recent = make_user(reputation=20)
    db.session.execute(
        update(ReputationEvent)
        .where(ReputationEvent.user_id == old.id)
        .values(created_at=utcnow() - timedelta(days=45))
    )
    db.session.commit()
    ids = [old.id, recent.id]
    for period, expected in [("all", ids), ("month", ids[::-1]), ("week", ids[::-1])]:
        items = client.get(f"{API}/users?period={period}").json["items"]
        assert [u["id"] for u in items] == expected, period


def test_openapi_describes_the_reputation_endpoint(client):
    document = client.get(f"{API}/openapi.json").json
    operation = document["paths"]["/users/{user_id}/reputation"]["get"]
    assert set(operation["responses"]) == {"200", "400", "404", "503"}
    schema = document["components"]["schemas"]["ReputationEvent"]
    assert set(schema["properties"]) == EVENT_KEYS
