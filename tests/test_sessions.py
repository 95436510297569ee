"""Sign-ins kept on the server: log-out, copied cookies, password changes, CSRF."""

from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import ApiToken, UserSession, utcnow
from forum.services import sessions
from tests.factories import make_user
from tests.helpers import (
    API,
    assert_error,
    bearer,
    count,
    csrf_from,
    session_owner,
)

pytestmark = pytest.mark.usefixtures("app_ctx")

NEW_PASSWORD = "quiet harbour lantern"


def copy_cookie(source, target, name: str) -> None:
    """Give ``target`` the cookie ``name`` of ``source``, as a thief would."""
    cookie = source.get_cookie(name)
    assert cookie is not None, name
    target.set_cookie(name, cookie.value)


def signed_in(client) -> bool:
    """Whether the client reaches a page only signed-in users see."""
    return client.get("/users/edit").status_code == 200


def test_login_records_a_server_side_session(client, auth):
    user = make_user()
    auth.login(user.username, remember=True)
    row = db.session.query(UserSession).one()
    assert row.user_id == user.id and row.remember
    # The cookie holds a random key; the table holds only its hash.
    with client.session_transaction() as session:
        key = session["_user_id"]
    assert len(key) >= 32 and key != row.id and str(user.id) != key
    assert session_owner(client) == user.id


def test_copied_session_cookie_is_dead_after_logout(app, client, auth):
    user = make_user()
    auth.login(user.username)
    thief = app.test_client()
    copy_cookie(client, thief, "session")
    assert signed_in(thief)
    assert auth.logout().status_code == 302
    assert count(UserSession) == 0
    assert not signed_in(client)
    assert not signed_in(thief)


def test_copied_remember_cookie_is_dead_after_logout(app, client, auth):
    user = make_user()
    auth.login(user.username, remember=True)
    thief = app.test_client()
    copy_cookie(client, thief, "remember_token")
    assert signed_in(thief)  # the remember cookie alone signs in
    auth.logout()
    fresh_thief = app.test_client()
    copy_cookie(thief, fresh_thief, "remember_token")
    assert not signed_in(thief)
    assert not signed_in(fresh_thief)


def test_logout_ends_only_that_session(app, client, auth):
    user = make_user()
    other = app.test_client()
    auth.login(user.username)
    other_auth = type(auth)(other)
    other_auth.login(user.username)
    assert count(UserSession) == 2
    auth.logout()
    assert not signed_in(client)
    assert signed_in(other)


def test_csrf_token_changes_at_login(app, client, auth):
    user = make_user()
    before = csrf_from(client, "/login")
    with client.session_transaction() as session:
        raw_before = session["csrf_token"]
    auth.login(user.username)
    after = csrf_from(client, "/")
    with client.session_transaction() as session:
        assert session["csrf_token"] != raw_before
    assert after != before
    # A token planted before log-in is worthless after it.
    response = client.post("/logout", data={"csrf_token": before})
    assert response.status_code == 400
    assert signed_in(client)


def test_password_change_ends_other_sessions_keeps_this_one_revokes_tokens(
    app, client, auth
):
    user = make_user()
    laptop, phone = app.test_client(), app.test_client()
    type(auth)(laptop).login(user.username, remember=True)
    type(auth)(phone).login(user.username)
    headers = bearer(app.test_client(), user)
    auth.login(user.username)
    response = auth.change_password(NEW_PASSWORD)
    assert response.status_code == 302
    assert signed_in(client)
    assert not signed_in(laptop) and not signed_in(phone)
    laptop.delete_cookie("session")  # the remember cookie is dead too
    assert not signed_in(laptop)
    assert count(UserSession) == 1
    response = app.test_client().get(f"{API}/users", headers=headers)
    assert_error(response, 401, "invalid_token")
    assert db.session.query(ApiToken).one().revoked_at is not None


def test_cli_set_password_ends_every_session_and_token(app, client, auth, runner):
    user = make_user(username="grace")
    auth.login(user.username, remember=True)
    headers = bearer(app.test_client(), user)
    stdin = f"{NEW_PASSWORD}\n{NEW_PASSWORD}\n"
    result = runner.invoke(args=["users", "set-password", "grace"], input=stdin)
    assert result.exit_code == 0, result.output
    assert count(UserSession) == 0
    assert not signed_in(client)
    assert_error(client.get(f"{API}/users", headers=headers), 401, "invalid_token")


def test_idle_session_is_refused_and_pruned(app, client, auth, runner):
    user = make_user()
    auth.login(user.username, remember=True)
    idle = timedelta(days=app.config["SESSION_IDLE_DAYS"], minutes=1)
    db.session.execute(update(UserSession).values(last_seen_at=utcnow() - idle))
    db.session.commit()
    assert not signed_in(client)
    result = runner.invoke(args=["sessions", "prune"])
    assert result.exit_code == 0, result.output
    assert "1 idle sign-in" in result.output
    assert count(UserSession) == 0


def test_last_seen_is_written_at_most_every_interval(app, client, auth):
    user = make_user()
    auth.login(user.username)
    interval = app.config["LAST_SEEN_SECONDS"]
    recent = utcnow() - timedelta(seconds=interval // 2)
    db.session.execute(update(UserSession).values(last_seen_at=recent))
    db.session.commit()
    assert signed_in(client)
    db.session.expire_all()
    assert db.session.query(UserSession).one().last_seen_at == recent
    stale = utcnow() - timedelta(seconds=interval + 60)
    db.session.execute(update(UserSession).values(last_seen_at=stale))
    db.session.commit()
    assert signed_in(client)
    db.session.expire_all()
    assert db.session.query(UserSession).one().last_seen_at > recent


def test_unknown_session_key_is_anonymous(client):
    with client.session_transaction() as session:
        session["_user_id"] = "not-a-real-key"
    assert not signed_in(client)
    assert sessions.load_session_user("x" * 500) is None


def test_password_change_keeps_this_browsers_remember_cookie(client, auth):
    user = make_user()
    auth.login(user.username, remember=True)
    response = auth.change_password(NEW_PASSWORD)
    assert response.status_code == 302
    client.delete_cookie("session")
    assert signed_in(client)
    assert session_owner(client) == user.id
