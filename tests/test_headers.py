"""Security headers on every page type, HTTPS behind a trusted proxy, no server
version, and templates with nothing inline for the CSP to block."""

import re
import threading
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from forum.extensions import db
from forum.models import Question
from tests.factories import PASSWORD, make_question, make_user
from tests.helpers import API, canonical, csrf_from, make_app, reset_database

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; "
    "img-src 'self' data:; object-src 'none'; base-uri 'self'; "
    "form-action 'self'; frame-ancestors 'none'"
)


@pytest.fixture
def pages(app):
    """One URL (and its status) per page type."""
    with app.app_context():
        question = make_question()
        author = make_user()
        user_url = f"/users/{author.id}/{author.username}"
        question_url = canonical(question)
    return [
        ("/", 200),
        (question_url, 200),
        (user_url, 200),
        ("/tags", 200),
        ("/search?q=printer", 200),
        ("/login", 200),
        ("/no/such/page", 404),
        ("/questions?page=x", 400),
        (f"{API}/questions", 200),
        (f"{API}/questions/999999", 404),
        ("/static/css/base.css", 200),
        ("/static/js/forum.js", 200),
        (f"{API}/openapi.json", 200),
    ]


def assert_security_headers(response) -> None:
    """The headers every response carries."""
    headers = response.headers
    assert headers["Content-Security-Policy"] == CSP
    assert headers["X-Content-Type-Options"] == "nosniff"
    assert headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert headers["X-Frame-Options"] == "DENY"
    for name, value in headers.items():
        assert not re.search(r"python|werkzeug|flask", value, re.I), (name, value)


def test_every_page_type_sends_the_security_headers(client, pages):
    for url, status in pages:
        with client.get(url) as response:
            assert response.status_code == status, url
            assert_security_headers(response)
            # Over plain HTTP without any HTTPS setting: no HSTS.
            assert "Strict-Transport-Security" not in response.headers


def test_signed_in_pages_and_posts_send_them_too(client, auth):
    user = make_user_in(client.application)
    login = auth.login(user)
    assert login.status_code == 302
    assert_security_headers(login)
    assert_security_headers(client.get("/users/edit"))


def make_user_in(app) -> str:
    """A user's name, made in the app's context."""
    with app.app_context():
        return make_user().username


def test_image_hosts_from_config_join_img_src(app, client):
    app.config["IMAGE_HOSTS"] = ["i.example.com", "https://cdn.example.org", "a b;"]
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: i.example.com cdn.example.org;" in policy
    # From the environment it may be one string; junk never reaches the header.
    app.config["IMAGE_HOSTS"] = "img.example.net, x;script-src *"
    policy = client.get("/").headers["Content-Security-Policy"]
    assert "img-src 'self' data: img.example.net;" in policy
    assert "script-src *" not in policy


def test_the_development_server_names_no_framework_or_python(app):
    server = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        base = f"http://127.0.0.1:{server.server_port}"
        for url in ("/login", "/no/such/page"):
            try:
                response = urllib.request.urlopen(base + url, timeout=10)
            except urllib.error.HTTPError as error:
                response = error
            with response:
                headers = response.headers
                assert headers["Server"] == "forum"
                assert headers["X-Content-Type-Options"] == "nosniff"
                for name, value in headers.items():
                    assert not re.search(r"python|werkzeug", value, re.I), name
    finally:
        server.shutdown()
        thread.join(timeout=5)
        server.server_close()


INLINE = re.compile(
    r"<script(?![^>]*\ssrc=)[^>]*>|<style\b|\sstyle=|\son[a-z]+\s*=|javascript:",
    re.I,
)


def test_templates_have_no_inline_script_style_or_handlers():
    found = []
    for path in sorted(TEMPLATES.rglob("*.html")):
        source = re.sub(r"{#.*?#}", "", path.read_text(), flags=re.S)
        for match in INLINE.finditer(source):
            found.append(f"{path.relative_to(TEMPLATES)}: {match.group(0)}")
    assert found == []


# -- HTTPS ---------------------------------------------------------------------


@pytest.fixture
def https_app(tmp_path):
    """Build an app with the given settings (the HTTPS ones are read at start)."""
    built = []

    def build(**config):
        app = make_app(tmp_path, **config)
        with app.app_context():
            reset_database()
            make_user(username="carol")
        built.append(app)
        return app

    yield build
    for app in built:
        with app.app_context():
            db.engine.dispose()


def log_in(client, **headers) -> list[str]:
    """Log carol in with "remember me"; the Set-Cookie headers of the answer."""
    token = csrf_from(client, "/login")
    response = client.post(
        "/login",
        data={
            "login": "carol",
            "password": PASSWORD,
            "remember": "y",
            "csrf_token": token,
        },
        headers=headers,
    )
    assert response.status_code == 302
    cookies = response.headers.getlist("Set-Cookie")
    names = {cookie.split("=", 1)[0] for cookie in cookies}
    assert {"session", "remember_token"} <= names
    return cookies


def is_secure(cookie: str) -> bool:
    """Whether a Set-Cookie value has the Secure attribute."""
    return "secure" in [part.strip().lower() for part in cookie.split(";")[1:]]


FORWARDED_HTTPS = {"X-Forwarded-Proto": "https", "X-Forwarded-For": "203.0.113.9"}


def test_https_through_a_trusted_proxy_sends_hsts_and_secure_cookies(https_app):
    client = https_app(PROXY_FIX={"x_for": 1, "x_proto": 1}).test_client()
    page = client.get("/", headers=FORWARDED_HTTPS)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"
    cookies = log_in(client, **FORWARDED_HTTPS)
    assert all(is_secure(cookie) for cookie in cookies), cookies
    # The same proxy forwarding plain HTTP: no HSTS, cookies as they are.
    plain = {"X-Forwarded-Proto": "http"}
    assert "Strict-Transport-Security" not in client.get("/", headers=plain).headers


def test_forwarded_headers_are_ignored_without_a_trusted_proxy(https_app):
    client = https_app().test_client()
    page = client.get("/", headers=FORWARDED_HTTPS)
    assert "Strict-Transport-Security" not in page.headers
    cookies = log_in(client, **FORWARDED_HTTPS)
    assert not any(is_secure(cookie) for cookie in cookies), cookies


def test_an_https_only_site_sends_hsts_and_secure_cookies(https_app):
    client = https_app(PREFERRED_URL_SCHEME="https").test_client()
    assert client.get("/").headers["Strict-Transport-Security"] == "max-age=31536000"
    cookies = log_in(client)
    assert all(is_secure(cookie) for cookie in cookies), cookies


def test_hsts_can_be_turned_off(https_app):
    app = https_app(PREFERRED_URL_SCHEME="https", HSTS_MAX_AGE=0)
    page = app.test_client().get("/")
    assert "Strict-Transport-Security" not in page.headers
    assert page.headers["X-Frame-Options"] == "DENY"


def test_the_proxy_is_trusted_through_the_environment(https_app, monkeypatch):
    monkeypatch.setenv("FORUM_PROXY_FIX", '{"x_for": 1, "x_proto": 1}')
    client = https_app().test_client()
    page = client.get("/", headers=FORWARDED_HTTPS)
    assert page.headers["Strict-Transport-Security"] == "max-age=31536000"


def test_behind_a_trusted_proxy_each_forwarded_address_is_one_viewer(https_app):
    app = https_app(PROXY_FIX={"x_for": 1, "x_proto": 1})
    with app.app_context():
        question = make_question()
        url, question_id = canonical(question), question.id
    client = app.test_client()
    # One client behind the proxy, changing its User-Agent: one view.
    for agent in ("a", "b", "c"):
        client.get(url, headers={"X-Forwarded-For": "203.0.113.9", "User-Agent": agent})
    # Another client through the same proxy: a second view.
    client.get(url, headers={"X-Forwarded-For": "203.0.113.10"})
    with app.app_context():
        assert db.session.get(Question, question_id).view_count == 2
