"""API: registration, tokens and users."""

import re

import pytest

from forum.extensions import db
from forum.models import ApiToken, User
from tests.factories import PASSWORD, make_user
from tests.helpers import API, assert_error, bearer, count

pytestmark = pytest.mark.usefixtures("app_ctx")

USER_KEYS = {
    "id",
    "username",
    "display_name",
    "role",
    "reputation",
    "rank",
    "created_at",
    "badges",
}
ISO_Z = re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$")


def register(client, **overrides):
    """POST /users with valid defaults."""
    data = {"username": "alice", "email": "alice@example.com", "password": PASSWORD}
    data.update(overrides)
    return client.post(f"{API}/users", json=data)


def test_register_returns_the_user_with_email(client):
    response = register(client)
    assert response.status_code == 201
    data = response.json
    assert set(data) == USER_KEYS | {"email"}
    assert data["username"] == "alice" and data["display_name"] == "alice"
    assert data["email"] == "alice@example.com"
    assert data["role"] == "user" and data["reputation"] == 1
    assert data["rank"] == "Newcomer"
    assert data["badges"] == {"gold": 0, "silver": 0, "bronze": 0}
    assert ISO_Z.match(data["created_at"])
    assert response.headers["Location"] == f"{API}/users/{data['id']}"
    assert db.session.get(User, data["id"]).email == "alice@example.com"


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "Alice"}, "username"),  # case-insensitive
        ({"username": "bob", "email": "ALICE@example.com"}, "email"),
    ],
)
def test_register_taken_is_409(client, overrides, field):
    assert register(client).status_code == 201
    error = assert_error(register(client, **overrides), 409, "conflict")
    assert field in error["fields"]
    assert count(User) == 1


@pytest.mark.parametrize(
    ("overrides", "field"),
    [
        ({"username": "a b"}, "username"),
        ({"username": "ab"}, "username"),
        ({"username": 42}, "username"),
        ({"username": None}, "username"),
        ({"email": "not-an-email"}, "email"),
        ({"email": ["a@example.com"]}, "email"),
        ({"password": "short"}, "password"),
        ({"password": 1234567890123}, "password"),
        ({"username": "ali\u0000ce"}, "username"),
    ],
)
def test_register_invalid_is_422(client, overrides, field):
    error = assert_error(register(client, **overrides), 422, "validation_failed")
    assert field in error["fields"]
    assert count(User) == 0


def test_register_missing_body_is_400(client):
    assert_error(client.post(f"{API}/users"), 400, "invalid_json")
    assert count(User) == 0


def test_token_for_username_or_email(client, app):
    user = make_user()
    for login in (user.username, user.email):
        response = client.post(
            f"{API}/tokens", json={"username": login, "password": PASSWORD}
        )
        assert response.status_code == 201
        assert list(response.json) == [
            "token",
            "id",
            "name",
            "created_at",
            "expires_at",
            "last_used_at",
        ]
        assert len(response.json["token"]) >= 32
    # Stored hashed: the raw token is nowhere in the table.
    hashes = [t.token_hash for t in db.session.query(ApiToken)]
    assert len(hashes) == 2 and response.json["token"] not in hashes


@pytest.mark.parametrize("password", ["wrong password!", ""])
def test_token_wrong_credentials_is_401(client, password):
    user = make_user()
    response = client.post(
        f"{API}/tokens", json={"username": user.username, "password": password}
    )
    assert_error(response, 401, "authentication_required")
    assert response.headers["WWW-Authenticate"].startswith("Bearer")
    assert count(ApiToken) == 0


def test_token_unknown_user_is_401(client):
    response = client.post(
        f"{API}/tokens", json={"username": "nobody", "password": PASSWORD}
    )
    assert_error(response, 401)


@pytest.mark.parametrize(
    "body", [{"username": 5, "password": PASSWORD}, {"username": "x"}, {}]
)
def test_token_wrong_types_is_422(client, body):
    assert_error(client.post(f"{API}/tokens", json=body), 422, "validation_failed")
    assert count(ApiToken) == 0


def test_token_authenticates_requests(client):
    user = make_user()
    headers = bearer(client, user)
    response = client.get(f"{API}/users/{user.id}", headers=headers)
    assert response.json["email"] == user.email  # the owner sees it


def test_revoke_token_stops_it_working(client):
    user = make_user()
    headers = bearer(client, user)
    other = bearer(client, user)
    response = client.delete(f"{API}/tokens/current", headers=headers)
    assert response.status_code == 204 and response.data == b""
    assert db.session.query(ApiToken).filter(ApiToken.revoked_at.is_not(None)).count()
    assert_error(client.get(f"{API}/users", headers=headers), 401, "invalid_token")
    assert_error(client.delete(f"{API}/tokens/current", headers=headers), 401)
    # Only that token: the user's other token still works.
    assert client.get(f"{API}/users", headers=other).status_code == 200


def test_revoke_without_token_is_401(client):
    assert_error(client.delete(f"{API}/tokens/current"), 401, "authentication_required")


@pytest.mark.parametrize(
    "header",
    ["Bearer nonsense", "Bearer ", "Basic dXNlcjpwYXNz", "Bearer " + "x" * 500],
)
def test_bad_authorization_header_is_401(client, header):
    response = client.get(f"{API}/questions", headers={"Authorization": header})
    assert_error(response, 401, "invalid_token")


def test_list_users_by_reputation(client):
    low = make_user()
    high = make_user()
    high.reputation = 50
    db.session.commit()
    response = client.get(f"{API}/users")
    assert response.status_code == 200
    data = response.json
    assert set(data) == {"items", "page", "per_page", "total", "has_more"}
    assert [u["id"] for u in data["items"]] == [high.id, low.id]
    assert (data["page"], data["per_page"], data["total"]) == (1, 30, 2)
    assert data["has_more"] is False
    assert all("email" not in u for u in data["items"])
    assert set(data["items"][0]) == USER_KEYS


@pytest.mark.parametrize("period", ["all", "month", "week"])
def test_list_users_periods(client, period):
    make_user()
    response = client.get(f"{API}/users?period={period}")
    assert response.status_code == 200 and response.json["total"] == 1


@pytest.mark.parametrize(
    "query",
    [
        "period=year",
        "period=",
        "page=0",
        "page=x",
        "per_page=101",
        "per_page=0",
        "page=-1",
        "page=1e3",
    ],
)
def test_list_users_bad_params_are_400(client, query):
    assert_error(client.get(f"{API}/users?{query}"), 400, "bad_request")


def test_list_users_paging(client):
    ids = [make_user().id for _ in range(3)]
    data = client.get(f"{API}/users?per_page=2&page=2").json
    assert [u["id"] for u in data["items"]] == ids[2:]
    assert (data["page"], data["per_page"], data["total"]) == (2, 2, 3)
    assert data["has_more"] is False
    assert client.get(f"{API}/users?per_page=2").json["has_more"] is True


def test_get_user_email_only_for_owner_and_staff(client):
    user = make_user()
    other = make_user()
    staff = make_user(staff=True)
    url = f"{API}/users/{user.id}"
    anonymous = client.get(url).json
    assert set(anonymous) == USER_KEYS and anonymous["username"] == user.username
    assert "email" not in client.get(url, headers=bearer(client, other)).json
    assert client.get(url, headers=bearer(client, user)).json["email"] == user.email
    assert client.get(url, headers=bearer(client, staff)).json["email"] == user.email
    assert client.get(f"{API}/users/{staff.id}").json["role"] == "staff"


@pytest.mark.parametrize("user_id", ["999", "0", "abc", "99999999999999999999"])
def test_get_unknown_user_is_404(client, user_id):
    assert_error(client.get(f"{API}/users/{user_id}"), 404, "not_found")
