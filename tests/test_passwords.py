"""Password strength: common passwords and ones built from the person's own
details are refused at sign-up (page and API), password change and the CLI."""

import pytest

from forum.extensions import db
from forum.models import User
from forum.services import users
from tests.factories import PASSWORD, make_user
from tests.helpers import API, assert_error, count, csrf_from, fresh

pytestmark = pytest.mark.usefixtures("app_ctx")

COMMON = ["password123", "qwertyuiop", "1234567890", "iloveyou12", "P@ssw0rd2024"]
TOO_EASY = "Password is too easy to guess"
PERSONAL = "built from your username, email or name"


def signup(client, username, password, email=None):
    data = {
        "username": username,
        "email": email or f"{username}@example.com",
        "password": password,
        "csrf_token": csrf_from(client, "/signup"),
    }
    return client.post("/signup", data=data)


@pytest.mark.parametrize("password", COMMON)
def test_signup_refuses_common_passwords(client, password):
    response = signup(client, "marguerite", password)
    assert response.status_code == 422
    assert TOO_EASY in response.get_data(as_text=True)
    assert count(User) == 0


@pytest.mark.parametrize(
    ("username", "email", "password"),
    [
        ("marguerite", None, "marguerite2024!"),
        ("marguerite", None, "Marguerite1234"),
        ("zanzibar77", "fjord.quokka@example.com", "fjordquokka99"),
    ],
)
def test_signup_refuses_passwords_built_from_username_or_email(
    client, username, email, password
):
    response = signup(client, username, password, email=email)
    assert response.status_code == 422
    assert PERSONAL in response.get_data(as_text=True)
    assert count(User) == 0


def test_signup_accepts_a_strong_password(client):
    assert signup(client, "marguerite", "velvet tundra orchestra").status_code == 302
    assert count(User) == 1


def test_api_signup_refuses_a_common_password(client):
    body = {"username": "marguerite", "email": "m@example.com", "password": COMMON[0]}
    error = assert_error(client.post(f"{API}/users", json=body), 422)
    assert TOO_EASY in error["fields"]["password"]
    assert count(User) == 0


@pytest.mark.parametrize(
    "new_password", ["qwertyuiop123", "GretaGarbo2024", "greta_g@example.com"]
)
def test_password_change_refuses_weak_and_personal(client, auth, new_password):
    user = make_user(username="greta_g", email="greta_g@example.com")
    user.display_name = "Greta Garbo"
    db.session.commit()
    old_hash = user.password_hash
    auth.login(user.username)
    response = auth.change_password(new_password)
    assert response.status_code == 422
    assert TOO_EASY in response.get_data(as_text=True)
    assert fresh(User, user.id).password_hash == old_hash


def test_cli_set_password_refuses_a_personal_password(runner):
    user = make_user(username="heidi_k")
    old_hash = user.password_hash
    weak = "heidi_k12345"
    result = runner.invoke(
        args=["users", "set-password", "heidi_k"], input=f"{weak}\n{weak}\n"
    )
    assert result.exit_code == 1
    assert PERSONAL in result.output
    assert fresh(User, user.id).password_hash == old_hash


def test_cli_create_refuses_a_common_password(runner):
    result = runner.invoke(
        args=["users", "create", "olga", "--email", "olga@example.com"],
        input="1234567890\n1234567890\n",
    )
    assert result.exit_code == 1
    assert TOO_EASY in result.output
    assert count(User) == 0


@pytest.mark.parametrize(
    "password",
    [
        "a" * 1024,  # past zxcvbn's own limit: only a prefix is scored
        ("!$%(+0123456789<@[{|" * 52)[:1024],  # every l33t character at once
    ],
)
def test_long_and_l33t_heavy_passwords_are_judged_without_error(password):
    reason = users.password_weakness(password, ("someone",))
    assert reason is None or reason.startswith(TOO_EASY)
    assert users.password_weakness("a" * 1024) is not None


def test_fixture_and_demo_passwords_pass():
    assert users.password_weakness(PASSWORD, ("user1", "user1@example.com")) is None
