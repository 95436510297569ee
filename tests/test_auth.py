"""Signing up, logging in and out, remember-me, and sessions after a password change."""

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from tests.factories import PASSWORD, make_question, make_user
from tests.helpers import count, csrf_from, session_owner, text

pytestmark = pytest.mark.usefixtures("app_ctx")


def signup(
    client,
    username="newcomer",
    email="newcomer@example.com",
    password="a long enough password",
    url="/signup",
):
    """Submit the sign-up form with a valid CSRF token."""
    data = {
        "username": username,
        "email": email,
        "password": password,
        "csrf_token": csrf_from(client, "/signup"),
    }
    return client.post(url, data=data)


def session_user_id(client) -> str | None:
    """The Flask-Login id stored in the client's session."""
    with client.session_transaction() as session:
        return session.get("_user_id")


# --- sign up -----------------------------------------------------------------


def test_signup_page_renders(client):
    response = client.get("/signup")
    assert response.status_code == 200
    assert 'name="csrf_token"' in response.get_data(as_text=True)


def test_signup_creates_account_and_logs_in(client):
    response = signup(client, username="Ada.Lovelace", email="Ada@Example.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    user = db.session.scalars(select(User).where(User.username == "Ada.Lovelace")).one()
    assert user.email == "ada@example.com"
    assert user.display_name == "Ada.Lovelace"
    assert user.reputation == 1 and user.role == "user"
    assert session_owner(client) == user.id
    assert "Welcome, Ada.Lovelace!" in client.get("/").get_data(as_text=True)


def test_password_is_stored_hashed_with_scrypt(client):
    signup(client, password="a long enough password")
    user = db.session.scalars(select(User)).one()
    assert user.password_hash.startswith("scrypt:")
    assert "a long enough password" not in user.password_hash


@pytest.mark.parametrize(
    ("fields", "message"),
    [
        ({"username": "ab"}, "Username must be 3-30 characters long."),
        ({"username": "a" * 31}, "Username must be 3-30 characters long."),
        ({"username": "bad name!"}, "Username may contain only letters"),
        ({"username": "émile"}, "Username may contain only letters"),
        ({"username": ""}, "Username must be 3-30 characters long."),
        ({"username": "nul\x00byte"}, "must not contain NUL characters"),
        ({"email": "not-an-email"}, "Email is not valid"),
        ({"email": "two@@example.com"}, "Email is not valid"),
        ({"email": ""}, "Email is required"),
        ({"password": "short"}, "Password must be at least 10 characters"),
        ({"password": "x\x00" * 6}, "Password must not contain NUL characters"),
    ],
)
def test_signup_rules(client, fields, message):
    response = signup(client, **fields)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert count(User) == 0
    assert session_user_id(client) is None


def test_signup_keeps_input_after_error(client):
    response = signup(client, username="kept<name>", password="short")
    html = response.get_data(as_text=True)
    assert response.status_code == 422
    assert 'value="kept&lt;name&gt;"' in html
    # Passwords are never echoed back.
    assert 'value="short"' not in html


def test_duplicate_username_is_409_case_insensitively(client):
    make_user(username="Grace")
    response = signup(client, username="gRACE")
    assert response.status_code == 409
    assert "That username is taken" in response.get_data(as_text=True)
    assert count(User) == 1


def test_duplicate_email_is_409(client):
    make_user(email="taken@example.com")
    response = signup(client, email="TAKEN@example.com")
    assert response.status_code == 409
    assert "An account with that email already exists." in response.get_data(
        as_text=True
    )
    assert count(User) == 1


def test_signup_follows_safe_next_only(app, client):
    response = signup(client, url="/signup?next=/tags")
    assert response.headers["Location"] == "/tags"
    other_browser = app.test_client()
    response = signup(
        other_browser,
        username="second",
        email="second@example.com",
        url="/signup?next=//evil.com",
    )
    assert response.headers["Location"] == "/"


# --- log in --------------------------------------------------------------------


def login(client, login_name, password=PASSWORD, url="/login", remember=False):
    """Submit the login form with a valid CSRF token."""
    data = {
        "login": login_name,
        "password": password,
        "csrf_token": csrf_from(client, "/login"),
    }
    if remember:
        data["remember"] = "y"
    return client.post(url, data=data)


def test_login_by_username_any_case(client):
    user = make_user(username="Linus")
    response = login(client, "linus")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert session_owner(client) == user.id


def test_login_by_email(client):
    user = make_user(email="mail@example.com")
    response = login(client, "Mail@Example.com")
    assert response.status_code == 302
    assert session_owner(client) == user.id


@pytest.mark.parametrize(
    ("name", "password"),
    [("right", "wrong password!"), ("nobody", PASSWORD), ("right", ""), ("", "")],
)
def test_wrong_credentials_are_401(client, name, password):
    make_user(username="right")
    response = login(client, name, password)
    assert response.status_code == 401
    assert "Username/email or password is not correct." in response.get_data(
        as_text=True
    )
    assert session_user_id(client) is None


def test_login_follows_same_site_next(client):
    make_user(username="nexter")
    response = login(client, "nexter", url="/login?next=/users%3Fpage%3D1")
    assert response.headers["Location"] == "/users?page=1"


@pytest.mark.parametrize(
    "target",
    [
        "//evil.com",
        "https://evil.com",
        "/\\evil.com",
        "javascript:alert(1)",
        "http:/evil.com",
        "/\r\nevil",
        "\\\\evil.com",
        "/\tevil",
    ],
)
def test_login_ignores_foreign_next(client, target):
    make_user(username="careful")
    response = client.post(
        "/login",
        query_string={"next": target},
        data={
            "login": "careful",
            "password": PASSWORD,
            "csrf_token": csrf_from(client, "/login"),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


def test_logged_in_user_visiting_login_is_redirected(client, auth):
    auth.login(make_user().username)
    response = client.get("/login?next=//evil.com")
    assert response.status_code == 302
    assert response.headers["Location"] == "/"


# --- log out -------------------------------------------------------------------


def test_logout_is_post_only(client, auth):
    user = make_user()
    auth.login(user.username)
    assert client.get("/logout").status_code == 405
    assert session_owner(client) == user.id


def test_logout_needs_csrf(client, auth):
    user = make_user()
    auth.login(user.username)
    response = client.post("/logout")
    assert response.status_code == 400
    assert session_owner(client) == user.id
    response = auth.logout()
    assert response.status_code == 302
    assert response.headers["Location"] == "/"
    assert session_user_id(client) is None


# --- remember me and sessions ------------------------------------------------------


def test_remember_me_sets_cookie(client):
    make_user(username="rememberer")
    login(client, "rememberer", remember=True)
    cookie = client.get_cookie("remember_token")
    assert cookie is not None and cookie.http_only


def test_no_remember_cookie_by_default(client):
    make_user(username="forgetful")
    login(client, "forgetful")
    assert client.get_cookie("remember_token") is None


def test_remember_cookie_restores_session(client):
    user = make_user(username="returning")
    login(client, "returning", remember=True)
    # Drop the session cookie only: the remember cookie logs the user back in.
    client.delete_cookie("session")
    assert client.get("/users/edit").status_code == 200
    assert session_owner(client) == user.id


def signed_in_as(client) -> str | None:
    """The name the nav shows for the client's user, or None when signed out."""
    match = re.search(r'class="nav-user" href="[^"]*">([^<]+)<', text(client, "/"))
    return match.group(1) if match else None


def test_two_clients_in_one_test_are_two_browsers(app, client):
    """Neither the signed-in user nor the CSRF token passes from one to the other."""
    make_user(username="alice")
    make_user(username="bobby")
    other = app.test_client()
    login(client, "alice")
    assert signed_in_as(other) is None
    login(other, "bobby")
    for _ in range(2):  # alternate, as two people browsing at once
        assert signed_in_as(client) == "alice"
        assert signed_in_as(other) == "bobby"
        assert signed_in_as(app.test_client()) is None
    alices_token = csrf_from(client, "/")
    response = other.post("/logout", data={"csrf_token": alices_token})
    assert response.status_code == 400
    assert signed_in_as(other) == "bobby"
    response = other.post("/logout", data={"csrf_token": csrf_from(other, "/")})
    assert response.status_code == 302
    assert signed_in_as(other) is None
    assert signed_in_as(client) == "alice"


def test_password_change_signs_out_other_sessions(app, client, auth):
    user = make_user(username="twodevices")
    other = app.test_client()
    login(other, "twodevices", remember=True)
    auth.login(user.username)
    assert other.get("/users/edit").status_code == 200
    response = auth.change_password("a brand new password")
    assert response.status_code == 302
    # This browser stays logged in; the other one (session and remember cookie)
    # is signed out.
    assert client.get("/users/edit").status_code == 200
    response = other.get("/users/edit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login")
    other.delete_cookie("session")
    assert other.get("/users/edit").status_code == 302
    # The new password works, the old one does not.
    third = app.test_client()
    assert login(third, "twodevices", "a brand new password").status_code == 302
    assert login(app.test_client(), "twodevices", PASSWORD).status_code == 401


def page_post_routes(app) -> list[str]:
    """Every POST route of the pages (not the API), ids filled with 1."""
    urls = []
    for rule in app.url_map.iter_rules():
        if "POST" in rule.methods and not rule.rule.startswith("/api/"):
            urls.append(re.sub(r"<(?:int:)?[^>]+>", "1", rule.rule))
    return sorted(urls)


def test_every_page_post_needs_the_csrf_token(app, client, auth):
    urls = page_post_routes(app)
    assert "/posts/1/vote" in urls and "/logout" in urls
    for url in urls:  # a visitor, then a signed-in user
        assert client.post(url, data={"value": "1"}).status_code == 400, url
    make_question()  # id 1
    auth.login(make_user(reputation=15).username)
    for url in urls:
        assert client.post(url, data={"value": "1"}).status_code == 400, url
