"""Rate limits (Flask-Limiter): each action refused after its limit with a 429,
Retry-After and a message, on pages and in the API, counted together; per
account and per address; tiers by reputation; staff exempt; failed log-ins."""

import itertools
import json
import re
import time
import uuid

import pytest

from forum.config import DefaultConfig
from forum.extensions import db
from forum.search import close_searchers
from forum.views.limits import LIMITED, WRITES
from tests.factories import PASSWORD, make_question, make_user
from tests.helpers import API, assert_error, bearer, canonical, make_app, reset_database

# Small limits, so a test reaches each one in a few requests.
LIMITS = {
    "login_failure": {"account": "2 per minute", "address": "4 per minute"},
    "signup": {"address": "2 per minute"},
    "token": {"account": "3 per minute", "address": "10 per minute"},
    "preview": {
        "new": "2 per minute",
        "established": "4 per minute",
        "address": "10 per minute",
    },
    "search": {
        "new": "2 per minute",
        "established": "4 per minute",
        "address": "3 per minute",
    },
    "ask": {
        "new": "1 per minute",
        "established": "3 per minute",
        "address": "10 per minute",
    },
    "answer": {
        "new": "2 per minute",
        "established": "4 per minute",
        "address": "10 per minute",
    },
    "comment": {
        "new": "2 per minute",
        "established": "4 per minute",
        "address": "10 per minute",
    },
    "edit": {
        "new": "2 per minute",
        "established": "4 per minute",
        "address": "10 per minute",
    },
    "vote": {
        "new": "2 per minute",
        "established": "4 per minute",
        "address": "10 per minute",
    },
}
_n = itertools.count(1)


def limited_app(tmp_path, **overrides):
    """An app with rate limits on and the small LIMITS."""
    config = {"RATELIMIT_ENABLED": True, "RATE_LIMITS": LIMITS} | overrides
    tmp_path.mkdir(exist_ok=True)
    app = make_app(tmp_path, **config)
    with app.app_context():
        reset_database()
    return app


@pytest.fixture
def app(tmp_path):
    """The conftest app, with rate limits on."""
    app = limited_app(tmp_path)
    yield app
    with app.app_context():
        db.engine.dispose()
    close_searchers()


pytestmark = pytest.mark.usefixtures("app_ctx")


def assert_page_429(response) -> str:
    """A refused page: 429, Retry-After in seconds, an HTML page saying why."""
    assert response.status_code == 429, response.status_code
    assert response.mimetype == "text/html"
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    html = response.get_data(as_text=True)
    assert "Too many requests" in html and "Try again in" in html
    return html


def assert_api_429(response) -> str:
    """A refused API call: 429, Retry-After, the API's error shape."""
    error = assert_error(response, 429, "rate_limited")
    assert 1 <= int(response.headers["Retry-After"]) <= 60
    assert "Try again in" in error["message"]
    return error["message"]


def unique_body() -> str:
    return f"Body number {next(_n)} of a post about printers going offline."


# -- each action, on the page and in the API, counted together ----------------


def ask_page(auth, client, headers, q):
    n = next(_n)
    data = {"title": f"Printer {n} is offline again", "body": unique_body()}
    data["tags"] = "printer"
    return auth.post("/questions/ask", data, token_from="/questions/ask")


def ask_api(auth, client, headers, q):
    n = next(_n)
    body = {"title": f"Printer {n} is offline again", "body": unique_body()}
    return client.post(
        f"{API}/questions", json=body | {"tags": ["printer"]}, headers=headers
    )


def answer_page(auth, client, headers, q):
    return auth.post(
        f"/questions/{q.id}/answers", {"body": unique_body()}, token_from=canonical(q)
    )


def answer_api(auth, client, headers, q):
    url = f"{API}/questions/{q.id}/answers"
    return client.post(url, json={"body": unique_body()}, headers=headers)


def comment_page(auth, client, headers, q):
    return auth.post(
        f"/posts/{q.id}/comments", {"body": unique_body()}, token_from=canonical(q)
    )


def comment_api(auth, client, headers, q):
    url = f"{API}/posts/{q.id}/comments"
    return client.post(url, json={"body": unique_body()}, headers=headers)


def edit_page(auth, client, headers, q):
    data = {"title": q.title, "body": unique_body(), "tags": "printer", "summary": ""}
    return auth.post(f"/posts/{q.id}/edit", data, token_from=f"/posts/{q.id}/edit")


def edit_api(auth, client, headers, q):
    return client.patch(
        f"{API}/posts/{q.id}", json={"body": unique_body()}, headers=headers
    )


def vote_page(auth, client, headers, q):
    value = "1" if next(_n) % 2 else "0"
    return auth.post(f"/posts/{q.id}/vote", {"value": value}, token_from=canonical(q))


def vote_api(auth, client, headers, q):
    value = 1 if next(_n) % 2 else 0
    return client.put(
        f"{API}/posts/{q.id}/vote", json={"value": value}, headers=headers
    )


def search_page(auth, client, headers, q):
    return client.get("/search?q=printer")


def search_api(auth, client, headers, q):
    return client.get(f"{API}/search?q=printer", headers=headers)


ACTIONS = {
    "ask": (ask_page, ask_api),
    "answer": (answer_page, answer_api),
    "comment": (comment_page, comment_api),
    "edit": (edit_page, edit_api),
    "vote": (vote_page, vote_api),
    "search": (search_page, search_api),
}


@pytest.mark.parametrize("action", ACTIONS)
def test_each_action_is_refused_after_its_limit_on_pages_and_api(client, auth, action):
    """A new account reaches its limit by page and API together; then both 429."""
    user = make_user(reputation=20)  # enough to vote up, still "new"
    owner = user if action in ("comment", "edit") else make_user()
    q = make_question(owner)
    db.session.commit()
    headers = bearer(client, user)  # before the session: no CSRF needed
    auth.login(user.username)
    page, api = ACTIONS[action]
    allowed = int(LIMITS[action]["new"].split()[0])
    for i in range(allowed):
        response = (page if i % 2 == 0 else api)(auth, client, headers, q)
        assert response.status_code < 400, (i, response.status_code)
    html = assert_page_429(page(auth, client, headers, q))
    message = assert_api_429(api(auth, client, headers, q))
    if action != "search":
        assert "accounts under 125 reputation" in message
        assert "under 125 reputation" in html


def test_preview_is_limited_per_account_and_answers_json(client, auth):
    """The preview (a page route that speaks JSON) refuses in JSON."""
    user = make_user()
    db.session.commit()
    auth.login(user.username)
    for _ in range(2):
        assert auth.post("/preview", {"body": "*hi*"}).status_code == 200
    response = auth.post("/preview", {"body": "*hi*"})
    assert_api_429(response)


def test_anonymous_preview_and_search_are_limited_per_address(client):
    """Visitors are counted by address (search: 3 a minute here)."""
    for _ in range(3):
        assert client.get("/search?q=printer").status_code == 200
    assert_page_429(client.get("/search?q=printer"))
    assert_api_429(client.get(f"{API}/search?q=printer"))
    other = {"REMOTE_ADDR": "10.9.9.9"}
    assert client.get("/search?q=printer", environ_base=other).status_code == 200


def test_refusals_that_save_nothing_do_not_count(client, auth):
    """A question refused as invalid does not use up a new account's one question."""
    user = make_user()
    db.session.commit()
    auth.login(user.username)
    data = {"title": "short", "body": "short", "tags": "printer"}
    for _ in range(3):
        bad = auth.post("/questions/ask", data, token_from="/questions/ask")
        assert bad.status_code == 422
    assert ask_page(auth, client, None, None).status_code == 302
    assert_page_429(ask_page(auth, client, None, None))


def test_a_refused_form_shows_back_what_was_typed(client, auth):
    """A 429 on a form page keeps the title and text to copy, escaped."""
    user = make_user()
    db.session.commit()
    auth.login(user.username)
    assert ask_page(auth, client, None, None).status_code == 302
    data = {
        "title": "Scanner <b>jams</b> on every page",
        "body": "The scanner jams after the first sheet & makes a noise.",
        "tags": "scanner",
    }
    html = assert_page_429(
        auth.post("/questions/ask", data, token_from="/questions/ask")
    )
    assert "Nothing was saved" in html
    assert "Scanner &lt;b&gt;jams&lt;/b&gt; on every page" in html
    assert "first sheet &amp; makes a noise." in html
    assert "<b>jams</b>" not in html


def test_every_limited_api_operation_documents_429(app, client):
    """The OpenAPI document lists 429 (with Retry-After) on exactly the API
    operations under a limit, and every limited action has its routes."""
    document = client.get(f"{API}/openapi.json").json
    limited = set()
    for rule in app.url_map.iter_rules():
        if rule.endpoint in LIMITED and rule.rule.startswith(API + "/"):
            path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API) :])
            methods = {"GET"} if LIMITED[rule.endpoint] == ("search",) else WRITES
            limited |= {(path, m.lower()) for m in rule.methods & set(methods)}
    documented = {
        (path, method)
        for path, ops in document["paths"].items()
        for method, op in ops.items()
        if "429" in op["responses"]
    }
    assert documented == limited
    too_many = document["components"]["responses"]["TooManyRequests"]
    assert "Retry-After" in too_many["headers"]
    actions = {action for actions in LIMITED.values() for action in actions}
    assert actions == set(LIMITS)
    assert actions == set(DefaultConfig.RATE_LIMITS) - {"flag"}  # no flag route yet


# -- tiers, staff, accounts and addresses --------------------------------------


def test_reputation_loosens_the_limit(client):
    """Under 125 reputation one question a minute (here); at 125, three."""
    new, established = make_user(), make_user(reputation=125)
    db.session.commit()
    new_headers, est_headers = bearer(client, new), bearer(client, established)
    assert ask_api(None, client, new_headers, None).status_code == 201
    assert_api_429(ask_api(None, client, new_headers, None))
    for _ in range(3):
        assert ask_api(None, client, est_headers, None).status_code == 201
    message = assert_api_429(ask_api(None, client, est_headers, None))
    assert "3 per minute" in message


def test_staff_are_exempt(client):
    """Staff pass every account and address limit."""
    staff = make_user(staff=True)
    q = make_question()
    db.session.commit()
    headers = bearer(client, staff)
    for _ in range(11):  # over the address limit too
        assert ask_api(None, client, headers, None).status_code == 201
    for _ in range(5):
        assert comment_api(None, client, headers, q).status_code == 201
        assert search_api(None, client, headers, q).status_code == 200


def test_accounts_are_counted_apart_and_addresses_together(client):
    """Two accounts on one address: each its own limit, both the address's."""
    first, second = make_user(), make_user()
    db.session.commit()
    first_headers, second_headers = bearer(client, first), bearer(client, second)
    assert ask_api(None, client, first_headers, None).status_code == 201
    assert_api_429(ask_api(None, client, first_headers, None))
    assert ask_api(None, client, second_headers, None).status_code == 201


def test_address_limit_counts_every_account_on_it(client):
    """Sign-ups are counted per address (2 a minute here), not per account."""

    def signup(addr: str):
        n = next(_n)
        body = {"username": f"newbie{n}", "email": f"n{n}@example.com"}
        return client.post(
            f"{API}/users",
            json=body | {"password": PASSWORD},
            environ_base={"REMOTE_ADDR": addr},
        )

    assert signup("10.0.0.1").status_code == 201
    assert signup("10.0.0.1").status_code == 201
    message = assert_api_429(signup("10.0.0.1"))
    assert message.startswith("Too many accounts were created from your address")
    assert "(at most 2 per minute)" in message
    assert signup("10.0.0.2").status_code == 201


def test_signup_page_and_api_share_the_address_limit(client):
    """The sign-up form and POST /users count together."""
    assert (
        client.post(
            f"{API}/users",
            json={
                "username": "apiuser",
                "email": "a@example.com",
                "password": PASSWORD,
            },
        ).status_code
        == 201
    )
    from tests.helpers import csrf_from

    data = {"username": "pageuser", "email": "p@example.com", "password": PASSWORD}
    page = client.post(
        "/signup", data=data | {"csrf_token": csrf_from(client, "/signup")}
    )
    assert page.status_code == 302
    client.post("/logout", data={"csrf_token": csrf_from(client, "/")})
    data = {"username": "pageuser2", "email": "p2@example.com", "password": PASSWORD}
    again = client.post(
        "/signup", data=data | {"csrf_token": csrf_from(client, "/signup")}
    )
    assert_page_429(again)


# -- failed log-ins ------------------------------------------------------------


def login_page(client, login, password, addr="127.0.0.1"):
    from tests.helpers import csrf_from

    env = {"REMOTE_ADDR": addr}
    token = csrf_from(client, "/login")
    return client.post(
        "/login",
        data={"login": login, "password": password, "csrf_token": token},
        environ_base=env,
    )


def token_api(client, login, password, addr="127.0.0.1"):
    return client.post(
        f"{API}/tokens",
        json={"username": login, "password": password},
        environ_base={"REMOTE_ADDR": addr},
    )


def test_failed_logins_per_account_block_that_account_only(app, client):
    """Two wrong passwords (page and API, from two addresses, by name and
    email) lock the account for the window, even with the right password;
    another account logs in from the same address."""
    victim, other = make_user(), make_user()
    db.session.commit()
    assert login_page(client, victim.username, "wrong", "10.0.0.1").status_code == 401
    assert token_api(client, victim.email, "wrong", "10.0.0.2").status_code == 401
    html = assert_page_429(login_page(client, victim.username, PASSWORD, "10.0.0.3"))
    assert "for this account" in html
    assert_api_429(token_api(client, victim.username.upper(), PASSWORD, "10.0.0.3"))
    assert login_page(client, other.username, PASSWORD, "10.0.0.1").status_code == 302


def test_failed_logins_per_address_block_that_address_only(client):
    """Four wrong passwords on four accounts from one address lock the
    address; the same account logs in from another address; a right password
    before the limit never counted."""
    people = [make_user() for _ in range(5)]
    db.session.commit()
    assert (
        token_api(client, people[4].username, PASSWORD, "10.0.0.1").status_code == 201
    )
    for person in people[:4]:
        assert (
            token_api(client, person.username, "wrong", "10.0.0.1").status_code == 401
        )
    message = assert_api_429(
        token_api(client, people[4].username, PASSWORD, "10.0.0.1")
    )
    assert "from your address" in message
    assert (
        token_api(client, people[4].username, PASSWORD, "10.0.0.2").status_code == 201
    )


def test_a_body_without_content_type_is_counted_too(client):
    """The API reads JSON whatever the Content-Type; so does the limit."""
    user = make_user()
    db.session.commit()
    body = json.dumps({"username": user.username, "password": "wrong"})
    for addr in ("10.0.0.1", "10.0.0.2"):
        response = client.post(
            f"{API}/tokens", data=body, environ_base={"REMOTE_ADDR": addr}
        )
        assert response.status_code == 401
    assert_api_429(token_api(client, user.username, PASSWORD, "10.0.0.3"))


def test_unknown_names_count_as_accounts_too(client):
    """Guesses at a name that does not exist are limited like an account's."""
    for _ in range(2):
        assert token_api(client, "nobody", "wrong", "10.0.0.1").status_code == 401
    assert_api_429(token_api(client, "NoBody", "wrong", "10.0.0.2"))


def test_token_creation_is_limited_per_account(client):
    """Three tokens a minute per account here."""
    user = make_user()
    db.session.commit()
    for _ in range(3):
        assert token_api(client, user.username, PASSWORD).status_code == 201
    assert_api_429(token_api(client, user.username, PASSWORD))


# -- windows and storage ---------------------------------------------------------


def test_a_window_ends_and_the_action_is_allowed_again(app, client):
    """With a one-second window the refusal lasts about a second."""
    app.config["RATE_LIMITS"] = LIMITS | {"search": {"address": "2 per 1 second"}}
    for _ in range(2):
        assert client.get("/search?q=printer").status_code == 200
    refused = client.get("/search?q=printer")
    assert refused.status_code == 429 and refused.headers["Retry-After"] == "1"
    time.sleep(1.1)
    assert client.get("/search?q=printer").status_code == 200


def test_limits_off_when_disabled(tmp_path):
    """RATELIMIT_ENABLED False (the rest of the suite) limits nothing."""
    app = limited_app(tmp_path / "off", RATELIMIT_ENABLED=False)
    client = app.test_client()
    for _ in range(5):
        assert client.get("/search?q=printer").status_code == 200
    with app.app_context():
        db.engine.dispose()


REDIS_URL = "redis://127.0.0.1:6379/15"


def test_unreachable_redis_falls_back_to_memory(tmp_path):
    """With Redis down, requests are still served and still limited."""
    dead = "redis://127.0.0.1:9/0"  # the discard port: nothing listens
    app = limited_app(tmp_path / "dead", RATELIMIT_STORAGE_URL=dead)
    client = app.test_client()
    for _ in range(3):
        assert client.get("/search?q=printer").status_code == 200
    assert_page_429(client.get("/search?q=printer"))
    with app.app_context():
        db.engine.dispose()


def test_redis_storage_counts_across_apps(tmp_path, monkeypatch):
    """Two apps (two workers) on one Redis share the counts; keys are cleaned.
    The first finds Redis through FORUM_RATELIMIT_STORAGE_URL."""
    redis = pytest.importorskip("redis")
    server = redis.Redis.from_url(REDIS_URL)
    try:
        server.ping()
    except redis.exceptions.ConnectionError:
        pytest.skip("Redis is not reachable at 127.0.0.1:6379")
    prefix = f"forum-test-{uuid.uuid4().hex}"
    monkeypatch.setenv("FORUM_RATELIMIT_STORAGE_URL", REDIS_URL)
    first = limited_app(tmp_path / "one", RATELIMIT_KEY_PREFIX=prefix)
    monkeypatch.delenv("FORUM_RATELIMIT_STORAGE_URL")
    second = limited_app(
        tmp_path / "two", RATELIMIT_STORAGE_URL=REDIS_URL, RATELIMIT_KEY_PREFIX=prefix
    )
    try:
        for worker in (first, second, first):
            response = worker.test_client().get("/search?q=printer")
            assert response.status_code == 200
        assert_api_429(second.test_client().get(f"{API}/search?q=printer"))
        assert list(server.scan_iter(f"*{prefix}*"))
    finally:
        for key in server.scan_iter(f"*{prefix}*"):
            server.delete(key)
        for worker in (first, second):
            with worker.app_context():
                db.engine.dispose()
    assert not list(server.scan_iter(f"*{prefix}*"))
