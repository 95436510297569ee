"""Page numbers: one parser for pages and the API, a 400 for bad ones on both."""

import pytest

from tests.factories import make_question
from tests.helpers import API, assert_error

pytestmark = pytest.mark.usefixtures("app_ctx")

# Not whole numbers of at least 1 in nine ASCII digits ("²" and an Arabic three
# are digits to str.isdigit, not to the parser).
BAD = ["abc", "0", "-1", "1.5", "", "9999999999", "%C2%B2", "%D9%A3"]
MESSAGE = "must be a whole number of at least 1."

# Every page that reads a page number, with the parameter it reads.
PAGES = {
    "home": "/?page=",
    "questions": "/questions?sort=votes&page=",
    "tagged": "/questions/tagged/printer?page=",
    "tags": "/tags?page=",
    "users": "/users?period=week&page=",
    "badge": "/badges/supporter?page=",
    "search": "/search?q=printer&page=",
    "profile reputation": "/users/{user}/{username}?rep_page=",
}

# Every API list.
LISTS = {
    "questions": "/questions?page=",
    "users": "/users?page=",
    "reputation": "/users/{user}/reputation?page=",
    "tags": "/tags?page=",
    "badges": "/badges?page=",
    "revisions": "/posts/{post}/revisions?page=",
    "search": "/search?q=printer&page=",
    "similar": "/similar?title=printer&page=",
}


@pytest.fixture
def url(app):
    """Fill a URL pattern with the ids of a question and its asker."""
    question = make_question()
    ids = {"user": question.owner.id, "username": question.owner.username}
    ids["post"] = question.id
    return lambda pattern, value: pattern.format(**ids) + value


@pytest.mark.parametrize("pattern", PAGES.values(), ids=PAGES.keys())
def test_every_list_page_refuses_a_bad_page_number_with_400(client, url, pattern):
    assert client.get(url(pattern, "2")).status_code == 200
    for value in BAD:
        response = client.get(url(pattern, value))
        assert response.status_code == 400, value
        html = response.get_data(as_text=True)
        assert "Bad request" in html and MESSAGE in html


@pytest.mark.parametrize("pattern", LISTS.values(), ids=LISTS.keys())
def test_every_api_list_refuses_a_bad_page_number_with_400(client, url, pattern):
    assert client.get(API + url(pattern, "2")).status_code == 200
    for value in BAD:
        error = assert_error(client.get(API + url(pattern, value)), 400, "bad_request")
        assert error["message"].endswith(MESSAGE), value
        assert error["fields"] == {"page": "≥ 1"}


def test_a_bad_page_is_named_before_a_bad_page_size(client):
    error = assert_error(client.get(f"{API}/questions?page=0&per_page=0"), 400)
    assert error["fields"] == {"page": "≥ 1"}
    error = assert_error(client.get(f"{API}/questions?per_page=101"), 400)
    assert error == {
        "code": "bad_request",
        "message": "per_page must be a whole number from 1 to 100.",
        "fields": {"per_page": "1-100"},
    }
