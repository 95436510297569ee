"""The user list, profiles, editing one's profile and changing one's password."""

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import User
from forum.services import posts
from tests.factories import PASSWORD, make_answer, make_question, make_user
from tests.helpers import fresh, session_owner

pytestmark = pytest.mark.usefixtures("app_ctx")


def profile_path(user: User) -> str:
    """The canonical profile URL."""
    return f"/users/{user.id}/{user.username}"


PROFILE = {
    "display_name": "Ada L.",
    "email": "ada@example.com",
    "location": "London",
    "website": "https://ada.example.com/",
    "about": "I like **engines**.",
}


# --- profile pages -----------------------------------------------------------


def test_profile_shows_user(client):
    user = make_user(username="ada")
    page = client.get(profile_path(user))
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "@ada" in html
    assert "Member since" in html and "Reputation" in html
    assert "Edit profile" not in html


@pytest.mark.parametrize("suffix", ["", "/", "/wrong-name", "/ADA"])
def test_profile_redirects_to_canonical_url(client, suffix):
    user = make_user(username="ada")
    response = client.get(f"/users/{user.id}{suffix}")
    if suffix == "/":
        # Werkzeug's strict slashes: /users/1/ is not a route.
        assert response.status_code == 404
        return
    assert response.status_code == 301
    assert response.headers["Location"] == f"/users/{user.id}/ada"


@pytest.mark.parametrize("path", ["/users/99999", "/users/99999/ada", "/users/x"])
def test_unknown_profile_is_404(client, path):
    make_user(username="ada")
    assert client.get(path).status_code == 404


def test_profile_lists_questions_and_answers(client):
    user = make_user()
    asked = make_question(user, title="My printer eats <paper> all day")
    other = make_question(title="Somebody else's scanner question")
    make_answer(other, user)
    deleted = make_question(user, title="This one was deleted by me later")
    posts.delete_post(user, deleted)
    html = client.get(profile_path(user)).get_data(as_text=True)
    assert "My printer eats &lt;paper&gt; all day" in html
    assert f'href="/questions/{asked.id}/{asked.slug}"' in html
    assert "Somebody else&#39;s scanner question" in html
    assert "#answer-" in html
    assert "This one was deleted by me later" not in html


def test_profile_leaves_out_answers_on_deleted_questions(client):
    user, staff = make_user(), make_user(staff=True)
    live = make_question(title="Kept question about toner streaks")
    gone = make_question(title="Removed question about fuser noise")
    kept_answer = make_answer(live, user)
    hidden_answer = make_answer(gone, user)
    posts.delete_post(staff, gone)
    html = client.get(profile_path(user)).get_data(as_text=True)
    assert f"#answer-{kept_answer.id}" in html
    assert f"#answer-{hidden_answer.id}" not in html
    assert "Removed question about fuser noise" not in html


def test_profile_shows_about_website_location(client, auth):
    user = make_user()
    auth.login(user.username)
    auth.post("/users/edit", PROFILE, token_from="/users/edit")
    html = client.get(profile_path(user)).get_data(as_text=True)
    assert "<strong>engines</strong>" in html
    assert "London" in html
    assert (
        '<a class="profile-website" href="https://ada.example.com/" '
        'rel="nofollow ugc noopener">'
    ) in html
    assert "Edit profile" in html and "/users/password" in html


# --- editing the profile ---------------------------------------------------------


def test_edit_profile_requires_login(client):
    response = client.get("/users/edit")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_edit_profile_prefills(client, auth):
    user = make_user(username="prefill", email="prefill@example.com")
    auth.login(user.username)
    html = client.get("/users/edit").get_data(as_text=True)
    assert 'value="prefill@example.com"' in html
    assert 'value="prefill"' in html


def test_edit_profile_saves(client, auth):
    user = make_user()
    auth.login(user.username)
    response = auth.post("/users/edit", PROFILE, token_from="/users/edit")
    assert response.status_code == 302
    assert response.headers["Location"] == profile_path(user)
    saved = fresh(User, user.id)
    assert saved.display_name == "Ada L."
    assert saved.email == "ada@example.com"
    assert saved.location == "London"
    assert saved.website == "https://ada.example.com/"
    assert saved.about_markdown == "I like **engines**."
    assert saved.about_html == "<p>I like <strong>engines</strong>.</p>"


def test_a_website_scheme_in_capitals_is_a_website(client, auth):
    user = make_user()
    auth.login(user.username)
    site = "Http://www.wheels.example/shop"
    auth.post("/users/edit", dict(PROFILE, website=site), token_from="/users/edit")
    assert fresh(User, user.id).website == site
    html = client.get(profile_path(user)).get_data(as_text=True)
    assert f'href="{site}"' in html


def test_about_me_is_sanitised(client, auth):
    user = make_user()
    auth.login(user.username)
    about = (
        'Hi <script>alert("x")</script> <img src=x onerror="alert(1)"> '
        "[link](javascript:alert(2))"
    )
    auth.post("/users/edit", dict(PROFILE, about=about), token_from="/users/edit")
    saved = fresh(User, user.id)
    assert "<script" not in saved.about_html
    assert "onerror" not in saved.about_html
    assert "javascript:" not in saved.about_html
    html = client.get(profile_path(user)).get_data(as_text=True)
    assert '<script>alert("x")</script>' not in html
    assert "onerror" not in html


@pytest.mark.parametrize(
    ("fields", "field_error"),
    [
        ({"display_name": ""}, "Display name is required."),
        ({"display_name": "x" * 51}, "Display name must be at most 50 characters"),
        ({"email": "nope"}, "Email is not valid"),
        ({"email": ""}, "Email is required."),
        ({"website": "javascript:alert(1)"}, "Website must be an http:// or https://"),
        ({"website": "ftp://files.example.com"}, "Website must be an http://"),
        ({"website": "https://ada@evil.example"}, "Website must be an http://"),
        ({"location": "l" * 101}, "Location must be at most 100 characters"),
        ({"about": "a" * 5001}, "About me must be at most 5000 characters"),
        ({"display_name": "nul\x00"}, "must not contain NUL characters"),
    ],
)
def test_edit_profile_validation(client, auth, fields, field_error):
    user = make_user()
    before = (
        user.display_name,
        user.email,
        user.location,
        user.website,
        user.about_markdown,
    )
    auth.login(user.username)
    response = auth.post(
        "/users/edit", dict(PROFILE, **fields), token_from="/users/edit"
    )
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    saved = fresh(User, user.id)
    assert (
        saved.display_name,
        saved.email,
        saved.location,
        saved.website,
        saved.about_markdown,
    ) == before


def test_edit_profile_email_taken_is_409(client, auth):
    make_user(email="taken@example.com")
    user = make_user()
    auth.login(user.username)
    response = auth.post(
        "/users/edit",
        dict(PROFILE, email="Taken@example.com"),
        token_from="/users/edit",
    )
    assert response.status_code == 409
    assert "An account with that email already exists." in response.get_data(
        as_text=True
    )
    assert fresh(User, user.id).display_name != "Ada L."


def test_edit_changes_only_own_profile(client, auth):
    victim = make_user(username="victim")
    attacker = make_user(username="attacker")
    auth.login(attacker.username)
    # The form has no user id: whatever is posted edits the signed-in user.
    response = auth.post(
        "/users/edit", dict(PROFILE, user_id=str(victim.id)), token_from="/users/edit"
    )
    assert response.status_code == 302
    assert fresh(User, victim.id).display_name == "victim"
    assert fresh(User, attacker.id).display_name == "Ada L."
    html = client.get(profile_path(victim)).get_data(as_text=True)
    assert "Edit profile" not in html


# --- password ---------------------------------------------------------------------


NEW_PASSWORD = "a brand new password"


def change_password(auth, current=PASSWORD, new=NEW_PASSWORD, confirm=NEW_PASSWORD):
    """Submit the password form."""
    return auth.change_password(new, current, confirm)


def test_password_page_requires_login(client):
    response = client.get("/users/password")
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")


def test_password_change_keeps_this_session(client, auth):
    user = make_user()
    old_hash = user.password_hash
    auth.login(user.username)
    response = change_password(auth)
    assert response.status_code == 302
    assert response.headers["Location"] == profile_path(user)
    saved = fresh(User, user.id)
    assert saved.password_hash != old_hash
    assert saved.password_hash.startswith("scrypt:")
    assert session_owner(client) == user.id
    assert client.get("/users/password").status_code == 200


@pytest.mark.parametrize(
    ("kwargs", "field_error"),
    [
        ({"current": "not my password"}, "Current password is not correct."),
        ({"current": ""}, "Current password is not correct."),
        ({"new": "short", "confirm": "short"}, "Password must be at least 10"),
        ({"confirm": "something else entirely"}, "The two new passwords do not match."),
        ({"new": "nul\x00" * 4, "confirm": "nul\x00" * 4}, "NUL characters"),
    ],
)
def test_password_change_rules(client, auth, kwargs, field_error):
    user = make_user()
    old_hash = user.password_hash
    auth.login(user.username)
    response = change_password(auth, **kwargs)
    assert response.status_code == 422
    assert field_error in response.get_data(as_text=True)
    saved = fresh(User, user.id)
    assert saved.password_hash == old_hash


# --- the user list -------------------------------------------------------------


def test_users_list_by_reputation(client):
    low = make_user(username="lowrep")
    high = make_user(username="highrep")
    high.reputation = 500
    db.session.commit()
    html = client.get("/users").get_data(as_text=True)
    assert html.index("highrep") < html.index("lowrep")
    assert "500 reputation" in html
    assert f'href="/users/{low.id}/lowrep"' in html
    assert "joined" in html


def test_users_list_pagination(app, client):
    app.config["USERS_PER_PAGE"] = 2
    for _ in range(5):
        make_user()
    first = client.get("/users").get_data(as_text=True)
    assert 'href="/users?page=2"' in first
    third = client.get("/users?page=3")
    assert third.status_code == 200
    names = db.session.scalars(select(User.username).order_by(User.id)).all()
    assert names[-1] in third.get_data(as_text=True)
    assert client.get("/users?page=0").status_code == 400
    assert client.get("/users?page=abc").status_code == 400
