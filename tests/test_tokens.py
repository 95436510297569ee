"""API tokens: expiry, last use, listing and revoking (API and the tokens page)."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import ApiToken, utcnow
from tests.factories import PASSWORD, make_user
from tests.helpers import API, assert_error, count, fresh, text

pytestmark = pytest.mark.usefixtures("app_ctx")


def issue(client, user, name=None) -> tuple[dict, dict]:
    """Create a token through the API: (Authorization header, response body)."""
    body = {"username": user.username, "password": PASSWORD}
    if name is not None:
        body["name"] = name
    response = client.post(f"{API}/tokens", json=body)
    assert response.status_code == 201, response.json
    return {"Authorization": f"Bearer {response.json['token']}"}, response.json


def test_token_expires_after_configured_days(app, client):
    user = make_user()
    headers, body = issue(client, user, name="laptop script")
    token = fresh(ApiToken, body["id"])
    assert token.name == "laptop script"
    assert token.expires_at - token.created_at == timedelta(
        days=app.config["API_TOKEN_DAYS"]
    )
    assert body["expires_at"].startswith(token.expires_at.strftime("%Y-%m-%dT%H:%M"))
    assert client.get(f"{API}/tokens", headers=headers).status_code == 200
    db.session.execute(
        update(ApiToken).values(expires_at=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    error = assert_error(client.get(f"{API}/tokens", headers=headers), 401)
    assert error["code"] == "invalid_token"
    assert "expired" in error["message"] and "POST /api/v1/tokens" in error["message"]


def test_token_days_setting_is_read(app, client):
    app.config["API_TOKEN_DAYS"] = 7
    _headers, body = issue(client, make_user())
    token = fresh(ApiToken, body["id"])
    assert token.expires_at - token.created_at == timedelta(days=7)


def test_token_name_too_long_is_422(app, client):
    user = make_user()
    body = {"username": user.username, "password": PASSWORD, "name": "x" * 51}
    error = assert_error(client.post(f"{API}/tokens", json=body), 422)
    assert "name" in error["fields"]
    assert count(ApiToken) == 0


def test_last_used_is_noted_at_most_every_interval(app, client):
    user = make_user()
    headers, body = issue(client, user)
    assert fresh(ApiToken, body["id"]).last_used_at is None
    client.get(f"{API}/users", headers=headers)
    first = fresh(ApiToken, body["id"]).last_used_at
    assert first is not None
    client.get(f"{API}/users", headers=headers)
    assert fresh(ApiToken, body["id"]).last_used_at == first
    stale = utcnow() - timedelta(seconds=app.config["LAST_SEEN_SECONDS"] + 60)
    db.session.execute(update(ApiToken).values(last_used_at=stale))
    db.session.commit()
    client.get(f"{API}/users", headers=headers)
    assert fresh(ApiToken, body["id"]).last_used_at > stale


def test_list_shows_my_live_tokens_without_secrets(client):
    user, other = make_user(), make_user()
    headers, mine = issue(client, user, name="ci")
    _, second = issue(client, user)
    _, expired = issue(client, user, name="old")
    _, revoked = issue(client, user, name="gone")
    issue(client, other, name="not mine")
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == expired["id"])
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    db.session.execute(
        update(ApiToken).where(ApiToken.id == revoked["id"]).values(revoked_at=utcnow())
    )
    db.session.commit()
    response = client.get(f"{API}/tokens", headers=headers)
    assert response.status_code == 200
    items = response.json["items"]
    assert [item["id"] for item in items] == [second["id"], mine["id"]]
    assert list(items[1]) == ["id", "name", "created_at", "expires_at", "last_used_at"]
    assert items[1]["name"] == "ci" and items[1]["last_used_at"] is not None
    raw = headers["Authorization"].split()[1]
    assert raw not in response.get_data(as_text=True)
    assert fresh(ApiToken, mine["id"]).token_hash not in response.get_data(as_text=True)


def test_list_needs_credentials(client):
    assert_error(client.get(f"{API}/tokens"), 401, "authentication_required")


def test_revoke_by_id(client):
    user = make_user()
    headers, current = issue(client, user)
    other_headers, other = issue(client, user)
    response = client.delete(f"{API}/tokens/{other['id']}", headers=headers)
    assert response.status_code == 204
    assert_error(client.get(f"{API}/users", headers=other_headers), 401)
    assert client.get(f"{API}/users", headers=headers).status_code == 200
    # Revoking it again, or an unknown id, is a 404.
    assert_error(client.delete(f"{API}/tokens/{other['id']}", headers=headers), 404)
    assert_error(client.delete(f"{API}/tokens/999999", headers=headers), 404)
    # Revoking the token in use ends it too.
    response = client.delete(f"{API}/tokens/{current['id']}", headers=headers)
    assert response.status_code == 204
    assert_error(client.get(f"{API}/tokens", headers=headers), 401, "invalid_token")


def test_revoking_another_users_token_is_404(client):
    owner, thief = make_user(), make_user()
    owner_headers, token = issue(client, owner)
    thief_headers, _ = issue(client, thief)
    response = client.delete(f"{API}/tokens/{token['id']}", headers=thief_headers)
    assert_error(response, 404)
    assert fresh(ApiToken, token["id"]).revoked_at is None
    assert client.get(f"{API}/users", headers=owner_headers).status_code == 200


def test_tokens_page_lists_and_revokes(app, client, auth):
    user, other = make_user(), make_user()
    headers, body = issue(client, user, name="backup <script>")
    _, others = issue(client, other, name="someone else's")
    auth.login(user.username)
    profile = text(client, f"/users/{user.id}/{user.username}")
    assert 'href="/users/tokens"' in profile
    page = text(client, "/users/tokens")
    assert "backup &lt;script&gt;" in page
    assert "someone else" not in page
    assert headers["Authorization"].split()[1] not in page
    url = f"/users/tokens/{body['id']}/revoke"
    assert f'action="{url}"' in page
    assert client.post(url).status_code == 400  # CSRF required
    response = auth.post(url, token_from="/users/tokens")
    assert response.status_code == 302
    assert response.headers["Location"] == "/users/tokens"
    assert fresh(ApiToken, body["id"]).revoked_at is not None
    assert_error(client.get(f"{API}/users", headers=headers), 401, "invalid_token")
    page = text(client, "/users/tokens")
    assert "The token was revoked." in page and "You have no API tokens." in page
    # Another user's token: 404, and it stays alive.
    response = auth.post(f"/users/tokens/{others['id']}/revoke", token_from="/")
    assert response.status_code == 404
    assert fresh(ApiToken, others["id"]).revoked_at is None


def test_tokens_page_needs_login(client):
    response = client.get("/users/tokens")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")


def test_prune_deletes_expired_and_revoked_tokens(client, runner):
    user = make_user()
    _, live = issue(client, user)
    _, expired = issue(client, user)
    _, revoked = issue(client, user)
    db.session.execute(
        update(ApiToken)
        .where(ApiToken.id == expired["id"])
        .values(expires_at=utcnow() - timedelta(days=1))
    )
    db.session.execute(
        update(ApiToken).where(ApiToken.id == revoked["id"]).values(revoked_at=utcnow())
    )
    db.session.commit()
    result = runner.invoke(args=["sessions", "prune"])
    assert result.exit_code == 0, result.output
    assert "2 expired or revoked token(s)" in result.output
    db.session.expire_all()
    assert [t.id for t in db.session.query(ApiToken)] == [live["id"]]
