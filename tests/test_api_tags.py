"""API: tags."""

import pytest

from forum.services import posts
from tests.factories import make_question
from tests.helpers import API, assert_error

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_tags_popular_and_by_name(client):
    make_question(tags="wifi printer")
    make_question(tags="printer")
    deleted = make_question(tags="zebra")
    posts.delete_post(deleted.owner, deleted)
    response = client.get(f"{API}/tags")
    assert response.status_code == 200
    assert response.json["items"] == [
        {"name": "printer", "question_count": 2},
        {"name": "wifi", "question_count": 1},
    ]
    assert response.json["total"] == 2
    by_name = client.get(f"{API}/tags?sort=name&per_page=1").json
    assert [t["name"] for t in by_name["items"]] == ["printer"]
    assert by_name["has_more"] is True


@pytest.mark.parametrize("query", ["sort=newest", "sort=", "page=0", "per_page=500"])
def test_tags_bad_params_are_400(client, query):
    assert_error(client.get(f"{API}/tags?{query}"), 400, "bad_request")
