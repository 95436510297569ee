"""API: bad input, authentication and CSRF guards, and the OpenAPI description."""

import json
import re

import pytest

from forum.models import ApiToken, Comment, Post, Question, User, Vote
from tests.factories import make_answer, make_question, make_user
from tests.helpers import API, assert_error, bearer, count, csrf_from

pytestmark = pytest.mark.usefixtures("app_ctx")

GOOD_QUESTION = {
    "title": "Printer shows offline after every reboot",
    "body": "Since the update my office printer shows offline after each reboot.",
    "tags": ["printer"],
}
GOOD_BODY = {"body": "Restart the print spooler service, then reconnect it."}

# Every route that writes, as (method, path, a valid body). {q}: a question by
# someone else, {a}: an answer to it. One line per route keeps the guards honest.
WRITES = [
    (
        "POST",
        "/users",
        {"username": "newbie", "email": "n@example.com", "password": "a long password"},
    ),
    ("POST", "/tokens", {"username": "x", "password": "y"}),
    ("DELETE", "/tokens/current", None),
    ("DELETE", "/tokens/{q}", None),  # any id: the guards answer before the lookup
    ("POST", "/questions", GOOD_QUESTION),
    ("POST", "/questions/{q}/answers", GOOD_BODY),
    ("PUT", "/questions/{q}/accepted-answer", {"answer_id": "{a}"}),
    ("PATCH", "/posts/{q}", GOOD_BODY),
    ("DELETE", "/posts/{a}", {}),
    ("POST", "/posts/{q}/comments", {"body": "Which printer model exactly?"}),
    ("PUT", "/posts/{q}/vote", {"value": 1}),
    ("POST", "/synonyms", {"term": "pc", "replacement": "windows"}),
    ("DELETE", "/synonyms/{q}", None),
]
ANONYMOUS_OK = {"/users", "/tokens"}
WITH_BODY = [w for w in WRITES if w[2] is not None]
ROWS = (User, ApiToken, Post, Comment, Vote)


@pytest.fixture
def thread(app_ctx):
    """A question with one answer, by two other users: ids for the paths."""
    question = make_question()
    answer = make_answer(question)
    return {"q": question.id, "a": answer.id}


def url(path: str, ids: dict) -> str:
    """The full API URL with ids filled in."""
    return API + path.format(**ids)


def fill(body, ids: dict):
    """The body with "{a}"-style placeholders turned into ids."""
    if body is None:
        return None
    return {k: ids[v[1:-1]] if v in ("{q}", "{a}") else v for k, v in body.items()}


def snapshot() -> tuple:
    """Row counts of every table a write could touch."""
    return tuple(count(model) for model in ROWS)


@pytest.mark.parametrize(
    ("method", "path", "body"), [w for w in WRITES if w[1] not in ANONYMOUS_OK]
)
def test_anonymous_writes_are_401(client, thread, method, path, body):
    before = snapshot()
    response = client.open(url(path, thread), method=method, json=fill(body, thread))
    assert_error(response, 401)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WRITES)
def test_cookie_session_write_without_csrf_is_400(
    client, auth, thread, method, path, body
):
    user = make_user()
    auth.login(user.username)
    before = snapshot()
    response = client.open(url(path, thread), method=method, json=fill(body, thread))
    assert_error(response, 400, "csrf_failed")
    assert snapshot() == before


def test_cookie_session_write_with_csrf_works(client, auth):
    user = make_user()
    auth.login(user.username)
    headers = {"X-CSRFToken": csrf_from(client, "/")}
    response = client.post(f"{API}/questions", json=GOOD_QUESTION, headers=headers)
    assert response.status_code == 201
    assert response.json["owner"]["id"] == user.id
    # Reads need no CSRF token, and show the session user's own data.
    assert "email" in client.get(f"{API}/users/{user.id}").json


def test_bearer_token_wins_over_session_cookie(client, auth):
    session_user = make_user()
    token_user = make_user()
    headers = bearer(client, token_user)
    auth.login(session_user.username)
    response = client.post(f"{API}/questions", json=GOOD_QUESTION, headers=headers)
    assert response.status_code == 201  # no CSRF token needed with a bearer token
    assert response.json["owner"]["id"] == token_user.id


def test_a_bearer_token_speaks_for_its_request_only(app, client, auth):
    session_user, token_user = make_user(), make_user()
    headers = bearer(client, token_user)
    auth.login(session_user.username)
    other = app.test_client()
    for _ in range(2):
        # The owner sees the email: the token's user, then the session's again.
        assert (
            "email" in client.get(f"{API}/users/{token_user.id}", headers=headers).json
        )
        assert "email" not in client.get(f"{API}/users/{token_user.id}").json
        assert "email" in client.get(f"{API}/users/{session_user.id}").json
        assert "email" not in other.get(f"{API}/users/{session_user.id}").json


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"{not json", "invalid_json"),
        (b"", "invalid_json"),
        (b"   ", "invalid_json"),
        (b"[1, 2]", "invalid_json"),
        (b'"a string"', "invalid_json"),
        (b"null", "invalid_json"),
        (b'{"title": NaN}', "invalid_json"),
        (b'{"value": Infinity}', "invalid_json"),
        (b'{"title": 1' + b"0" * 5000 + b"}", "invalid_json"),
        (b"[" * 100000 + b"]" * 100000, "invalid_json"),
        ("\ufeff{}".encode(), "invalid_json"),
        (b'{"title": "caf\xe9 au lait"}', "invalid_encoding"),
        (b"\xff\xfe{\x00}\x00", "invalid_encoding"),
    ],
)
def test_malformed_bodies_are_400(client, data, code):
    headers = bearer(client, make_user())
    before = snapshot()
    response = client.post(
        f"{API}/questions", data=data, headers=headers, content_type="application/json"
    )
    assert_error(response, 400, code)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WITH_BODY)
def test_every_body_route_refuses_malformed_bodies(client, thread, method, path, body):
    headers = {} if path in ANONYMOUS_OK else bearer(client, make_user())
    before = snapshot()
    for data, code in (
        (b"{not json", "invalid_json"),
        (b"[1]", "invalid_json"),
        (b'{"body": "\xff"}', "invalid_encoding"),
    ):
        response = client.open(
            url(path, thread),
            method=method,
            data=data,
            headers=headers,
            content_type="application/json",
        )
        assert_error(response, 400, code)
    assert snapshot() == before


@pytest.mark.parametrize(("method", "path", "body"), WITH_BODY)
def test_bodies_over_1mb_are_413(client, thread, method, path, body):
    headers = {} if path in ANONYMOUS_OK else bearer(client, make_user())
    before = snapshot()
    huge = json.dumps({"body": "x" * (1024 * 1024 + 1)})
    response = client.open(
        url(path, thread),
        method=method,
        data=huge,
        headers=headers,
        content_type="application/json",
    )
    assert_error(response, 413, "payload_too_large")
    assert snapshot() == before


def test_body_content_type_is_not_required(client):
    response = client.post(
        f"{API}/questions",
        data=json.dumps(GOOD_QUESTION),
        headers=bearer(client, make_user()),
    )
    assert response.status_code == 201


@pytest.mark.parametrize(
    "raw_title",
    [
        r'"Printer shows offline \u0000 after reboot"',
        r'"Printer shows offline \ud800 after reboot"',
        "17",
        "true",
        '["a"]',
        "{}",
    ],
)
def test_nul_surrogates_and_wrong_types_are_422(client, raw_title):
    body = json.dumps(dict(GOOD_QUESTION, title="@@")).replace('"@@"', raw_title)
    response = client.post(
        f"{API}/questions",
        data=body,
        headers=bearer(client, make_user()),
        content_type="application/json",
    )
    assert "title" in assert_error(response, 422, "validation_failed")["fields"]
    assert count(Question) == 0


def test_unknown_fields_are_ignored(client):
    body = dict(GOOD_QUESTION, score=1000, owner_id=1, id=5)
    response = client.post(
        f"{API}/questions", json=body, headers=bearer(client, make_user())
    )
    assert response.status_code == 201 and response.json["score"] == 0


@pytest.mark.parametrize(
    "path", ["/nope", "/questions/1/nope", "/posts/abc/vote", "/questions/x", "/"]
)
def test_unknown_routes_are_404_json(client, path):
    assert_error(client.get(API + path), 404, "not_found")


def test_unknown_api_version_is_404_json(client):
    assert_error(client.get("/api/v2/questions"), 404, "not_found")


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("DELETE", "/questions"),
        ("PUT", "/users"),
        ("PUT", "/tokens"),
        ("POST", "/posts/1"),
        ("GET", "/posts/1/vote"),
        ("PATCH", "/tags"),
    ],
)
def test_wrong_method_is_405_json(client, method, path):
    response = client.open(API + path, method=method)
    assert_error(response, 405, "method_not_allowed")
    assert response.headers["Allow"]


@pytest.mark.parametrize(
    ("method", "path"),
    [
        ("PUT", "/posts/99999999999999999999/vote"),
        ("POST", "/questions/4294967296/answers"),
        ("GET", "/users/2147483648"),
    ],
)
def test_huge_ids_are_404(client, method, path):
    response = client.open(
        API + path, method=method, json=GOOD_BODY, headers=bearer(client, make_user())
    )
    assert_error(response, 404)


def test_odd_query_strings_are_handled(client):
    make_question()
    assert client.get(f"{API}/questions?tag=%ff%fe").json["items"] == []
    assert_error(client.get(f"{API}/questions?sort=%00"), 400)
    assert_error(client.get(f"{API}/tags?sort=%ff"), 400)
    assert_error(client.get(f"{API}/questions?page=%D9%A3"), 400)  # Arabic three


def test_error_keys_come_in_the_contract_order(client):
    response = client.post(f"{API}/users", json={"username": "x"})
    error = assert_error(response, 422)
    assert list(response.json) == ["error"]
    assert list(error) == ["code", "message", "fields"]


def test_html_is_never_returned(client, thread):
    for response in (
        client.get(f"{API}/missing"),
        client.post(f"{API}/questions", data=b"<html>"),
        client.get(f"{API}/questions?page=0"),
    ):
        assert response.mimetype == "application/json"
        assert b"<html" not in response.data.lower()


# --- OpenAPI -----------------------------------------------------------------


def api_routes(app) -> set[tuple[str, str]]:
    """(OpenAPI path, method) for every API rule in the app's URL map."""
    routes = set()
    for rule in app.url_map.iter_rules():
        if not rule.rule.startswith(API + "/"):
            continue
        path = re.sub(r"<(?:[^:>]+:)?([^>]+)>", r"{\1}", rule.rule[len(API) :])
        for method in rule.methods - {"HEAD", "OPTIONS"}:
            routes.add((path, method.lower()))
    return routes


def resolve(document: dict, pointer: str) -> dict:
    """Follow a local JSON pointer such as #/components/schemas/User."""
    node = document
    for part in pointer.removeprefix("#/").split("/"):
        node = node[part]
    return node


def refs(node) -> list[str]:
    """Every $ref in a document."""
    if isinstance(node, dict):
        found = [node["$ref"]] if "$ref" in node else []
        return found + [r for value in node.values() for r in refs(value)]
    if isinstance(node, list):
        return [r for value in node for r in refs(value)]
    return []


def test_openapi_matches_the_url_map(client, app):
    response = client.get(f"{API}/openapi.json")
    assert response.status_code == 200 and response.mimetype == "application/json"
    document = response.json
    assert document["openapi"].startswith("3.1")
    described = {
        (path, method) for path, ops in document["paths"].items() for method in ops
    }
    assert described == api_routes(app)


def test_openapi_is_consistent(client):
    document = client.get(f"{API}/openapi.json").json
    for pointer in refs(document):
        assert pointer.startswith("#/"), pointer
        resolve(document, pointer)  # raises KeyError when dangling
    assert "Error" in document["components"]["schemas"]
    for path, ops in document["paths"].items():
        names = set(re.findall(r"{(\w+)}", path))
        for method, op in ops.items():
            assert op["summary"] and op["responses"], (path, method)
            params = [
                resolve(document, p["$ref"]) if "$ref" in p else p
                for p in op.get("parameters", [])
            ]
            in_path = {p["name"] for p in params if p["in"] == "path"}
            assert in_path == names, (path, method)
            assert any(code.startswith("2") for code in op["responses"])
            if method in ("post", "put", "patch"):
                assert "requestBody" in op, (path, method)
                assert {"400", "413", "422"} <= set(op["responses"]), (path, method)
            if names:
                assert "404" in op["responses"], (path, method)
            # Everything but this description reads the database.
            if path != "/openapi.json":
                assert "503" in op["responses"], (path, method)
    unavailable = document["components"]["responses"]["ServiceUnavailable"]
    assert "Retry-After" in unavailable["headers"]


def test_guard_tests_cover_every_write_route(app):
    def shape(path: str) -> str:
        return re.sub(r"{\w+}", "{}", path)

    writes = {(shape(path), method.lower()) for method, path, _ in WRITES}
    routes = {(shape(p), m) for p, m in api_routes(app) if m != "get"}
    assert writes == routes
