"""API: the badge list and the badge counts of the user resource."""

import pytest
from sqlalchemy import event

from forum.extensions import db
from forum.services import voting
from forum.services.badge_rules import BADGES
from tests.factories import make_question, make_user
from tests.helpers import API, assert_error, thresholds

pytestmark = pytest.mark.usefixtures("app_ctx")

BADGE_KEYS = {"name", "class", "description", "awarded_count"}


def by_name(items: list[dict]) -> dict[str, dict]:
    """Badge items keyed by name."""
    return {item["name"]: item for item in items}


def test_badges_list_every_badge_with_award_counts(client):
    voter = make_user(reputation=15)
    for _ in range(3):
        voting.cast_vote(voter, make_question(), 1)
    response = client.get(f"{API}/badges?per_page=100")
    assert response.status_code == 200 and response.mimetype == "application/json"
    data = response.json
    assert data["total"] == len(BADGES) and data["has_more"] is False
    assert data["page"] == 1 and data["per_page"] == 100
    assert all(set(item) == BADGE_KEYS for item in data["items"])
    assert [item["name"] for item in data["items"]] == [b.name for b in BADGES]
    items = by_name(data["items"])
    assert items["Supporter"] == {
        "name": "Supporter",
        "class": "bronze",
        "description": "Cast a first upvote.",
        "awarded_count": 1,
    }
    assert items["Student"]["awarded_count"] == 3
    assert items["Great Question"]["class"] == "gold"
    assert items["Good Answer"]["class"] == "silver"
    assert items["Nice Question"]["description"] == (
        "Asked a question with a score of 10."
    )
    assert items["Famous Question"]["awarded_count"] == 0


def test_badges_are_paged(client):
    first = client.get(f"{API}/badges?per_page=5").json
    assert len(first["items"]) == 5 and first["has_more"] is True
    last = client.get(f"{API}/badges?per_page=5&page=4").json
    assert [i["name"] for i in last["items"]] == [b.name for b in BADGES[15:]]
    assert last["has_more"] is False
    beyond = client.get(f"{API}/badges?per_page=5&page=9").json
    assert beyond["items"] == [] and beyond["total"] == len(BADGES)


@pytest.mark.parametrize("query", ["page=0", "page=x", "per_page=0", "per_page=101"])
def test_badges_bad_params_are_400(client, query):
    assert_error(client.get(f"{API}/badges?{query}"), 400, "bad_request")


def test_openapi_documents_the_badge_list(client):
    document = client.get(f"{API}/openapi.json").json
    assert "get" in document["paths"]["/badges"]
    schema = document["components"]["schemas"]["Badge"]
    assert set(schema["required"]) == BADGE_KEYS


def earn_one_of_each_class(app, asker) -> None:
    """Thresholds of 1: one upvote earns Student and Nice/Good/Great Question."""
    thresholds(app, nice_question=1, good_question=1, great_question=1)
    voting.cast_vote(make_user(reputation=15), make_question(asker), 1)


def test_user_resource_counts_badges_by_class(app, client):
    asker = make_user()
    earn_one_of_each_class(app, asker)
    data = client.get(f"{API}/users/{asker.id}").json
    assert data["badges"] == {"gold": 1, "silver": 1, "bronze": 2}
    nobody = make_user()
    assert client.get(f"{API}/users/{nobody.id}").json["badges"] == {
        "gold": 0,
        "silver": 0,
        "bronze": 0,
    }


def test_user_list_counts_badges_without_a_query_per_user(app, client):
    asker = make_user()
    earn_one_of_each_class(app, asker)
    url = f"{API}/users?per_page=100"

    def statements() -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    few = statements()
    for _ in range(6):
        voting.cast_vote(make_user(reputation=15), make_question(), 1)
    assert statements() == few
    users = {u["id"]: u["badges"] for u in client.get(url).json["items"]}
    assert users[asker.id] == {"gold": 1, "silver": 1, "bronze": 2}
    # Seven voters earned Supporter; seven askers four badges each.
    counts = sorted((b["gold"], b["silver"], b["bronze"]) for b in users.values())
    assert counts == [(0, 0, 1)] * 7 + [(1, 1, 2)] * 7
