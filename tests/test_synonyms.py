"""Synonyms and tag words in search, the staff page and API, tagging with them."""

import re

import pytest
from sqlalchemy import select

from forum import search
from forum.demo import load_demo
from forum.extensions import db
from forum.models import Question, Synonym, Tag
from tests.factories import make_question, make_user
from tests.helpers import API, assert_error, bearer, csrf_from, text

PARTIAL_LINE = "Results that match some of your words"


def page_ids(client, query: str) -> list[int]:
    """Question ids the search page lists for ``query`` holding every word
    (those above the partial tier's line)."""
    html = text(client, "/search?" + f"q={query}".replace(" ", "+"))
    html = html.split(PARTIAL_LINE)[0]
    return [int(i) for i in re.findall(r'id="search-hit-(\d+)"', html)]


def api_ids(client, query: str) -> list[int]:
    """Question ids the search API finds for ``query`` holding every word."""
    response = client.get(f"{API}/search", query_string={"q": query})
    assert response.status_code == 200
    return [hit["id"] for hit in response.json["items"] if hit["match"] == "all"]


def both(client, query: str) -> set[int]:
    """The ids found holding every word, checking the page and the API agree."""
    ids = set(api_ids(client, query))
    assert set(page_ids(client, query)) == ids
    return ids


def add(client, headers, term, replacement, two_way=False, status=201) -> dict:
    """POST a synonym through the API."""
    response = client.post(
        f"{API}/synonyms",
        json={"term": term, "replacement": replacement, "two_way": two_way},
        headers=headers,
    )
    assert response.status_code == status, response.json
    return response.json


@pytest.fixture
def staff(app, client):
    """A bearer header of a staff member."""
    with app.app_context():
        user = make_user(staff=True)
        return bearer(client, user)


def test_demo_queries_find_tagged_and_synonym_threads(app, client):
    with app.app_context():
        load_demo()
        search.drain()
        tagged = {
            name: {
                q.id
                for q in db.session.scalars(select(Question))
                if name in q.tag_names
            }
            for name in ("bsod", "wifi", "printer", "router")
        }
    assert len(tagged["wifi"]) == 2 and len(tagged["bsod"]) == 1
    assert tagged["bsod"] <= both(client, "BSOD")
    assert tagged["bsod"] <= both(client, "bsod")
    assert tagged["wifi"] <= both(client, "wifi")
    # A tagged thread ranks first.
    assert api_ids(client, "wifi")[0] in tagged["wifi"]
    assert both(client, "[printer] OR [router]") == tagged["printer"] | tagged["router"]
    assert both(client, "[printer]") == tagged["printer"]
    # The demo ships bsod <-> blue screen.
    assert tagged["bsod"] <= both(client, "blue screen")


def test_synonyms_expand_searches_both_ways_without_a_rebuild(app, client, staff):
    with app.app_context():
        acronym = make_question(
            title="BSOD every morning at boot",
            body="The machine stops with a stop code on each boot of the day.",
            tags="crash",
        )
        spelled = make_question(
            title="Blue screen after the graphics update",
            body="It restarts with a stop code every time a game starts up.",
            tags="crash",
        )
        search.drain()
        acronym_id, spelled_id = acronym.id, spelled.id
    assert both(client, "blue screen") == {spelled_id}
    assert both(client, "bsod") == {acronym_id}
    created = add(client, staff, "bsod", "blue screen", two_way=True)
    assert both(client, "blue screen") == {acronym_id, spelled_id}
    assert both(client, "bsod") == {acronym_id, spelled_id}
    # The other words still all have to match; a one-way synonym below.
    assert both(client, "bsod graphics") == {spelled_id}
    response = client.delete(f"{API}/synonyms/{created['id']}", headers=staff)
    assert response.status_code == 204
    assert both(client, "bsod") == {acronym_id}
    add(client, staff, "crashes", "bsod")
    assert both(client, "crashes") == {acronym_id}
    assert both(client, "bsod") == {acronym_id}


def test_tagging_maps_a_tag_synonym_to_its_tag(app, client, staff):
    add(client, staff, "pc", "windows")
    add(client, staff, "laptop", "notebook", two_way=True)  # two-way: no mapping
    user_headers = staff
    response = client.post(
        f"{API}/questions",
        json={
            "title": "My pc fan is loud since the update",
            "body": "The fan spins at full speed since yesterday's update.",
            "tags": "pc windows laptop",
        },
        headers=user_headers,
    )
    assert response.status_code == 201, response.json
    assert response.json["tags"] == ["windows", "laptop"]
    with app.app_context():
        assert db.session.scalar(select(Tag).where(Tag.name == "pc")) is None


def test_a_query_word_that_is_a_tag_synonym_finds_the_tag(app, client, staff):
    with app.app_context():
        tagged = make_question(
            title="Fan is loud after the update",
            body="It spins at full speed all day long, even when idle.",
            tags="hardware windows",
        )
        make_question(
            title="Loud fan on my router",
            body="It spins loudly all night long in the living room.",
            tags="router",
        )
        search.drain()
        tagged_id = tagged.id
    assert both(client, "pc") == set()
    add(client, staff, "pc", "windows")
    assert both(client, "pc") == {tagged_id}
    assert both(client, "loud pc") == {tagged_id}


def test_api_list_is_public_and_changes_are_for_staff(app, client, staff):
    created = add(client, staff, "PC", "  Windows ")
    assert created["term"] == "pc" and created["replacement"] == "windows"
    assert created["two_way"] is False
    listed = client.get(f"{API}/synonyms").json["items"]
    assert [(s["term"], s["replacement"]) for s in listed] == [("pc", "windows")]
    with app.app_context():
        member = bearer(client, make_user())
    assert_error(
        client.post(
            f"{API}/synonyms", json={"term": "a", "replacement": "b"}, headers=member
        ),
        403,
    )
    assert_error(client.delete(f"{API}/synonyms/{created['id']}", headers=member), 403)
    assert_error(
        client.post(f"{API}/synonyms", json={"term": "a", "replacement": "b"}), 401
    )
    assert_error(client.delete(f"{API}/synonyms/999", headers=staff), 404)
    with app.app_context():
        assert db.session.scalar(select(Synonym.term)) == "pc"


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"term": "", "replacement": "windows"}, "term"),
        ({"term": "pc"}, "replacement"),
        ({"term": "pc", "replacement": "pc"}, "replacement"),
        ({"term": "p c!", "replacement": "windows"}, "term"),
        ({"term": "one two three four", "replacement": "x"}, "term"),
        ({"term": "x" * 61, "replacement": "y"}, "term"),
        ({"term": 5, "replacement": "y"}, "term"),
        ({"term": "pc", "replacement": "windows", "two_way": "yes"}, "two_way"),
        ({"term": "bsod", "replacement": "blue screen"}, "term"),  # listed
        ({"term": "blue screen", "replacement": "bsod"}, "term"),  # listed both ways
    ],
)
def test_api_validation_errors_are_422(client, staff, body, field):
    add(client, staff, "bsod", "blue screen", two_way=True)
    response = client.post(f"{API}/synonyms", json=body, headers=staff)
    error = assert_error(response, 422, "validation_failed")
    assert field in error["fields"]


def test_staff_page_adds_and_deletes(app, client, auth):
    with app.app_context():
        admin = make_user(staff=True).username
    auth.login(admin)
    assert 'href="/admin/synonyms"' in text(client, "/")
    html = text(client, "/admin/synonyms")
    assert "No synonyms yet." in html
    token = csrf_from(client, "/admin/synonyms")
    response = client.post(
        "/admin/synonyms",
        data={
            "term": "bsod",
            "replacement": "blue screen",
            "two_way": "y",
            "csrf_token": token,
        },
    )
    assert response.status_code == 302
    html = text(client, "/admin/synonyms")
    assert "<td>blue screen</td>" in html and "both ways" in html
    refused = client.post(
        "/admin/synonyms",
        data={"term": "bsod!", "replacement": "x", "csrf_token": token},
    )
    assert refused.status_code == 422
    assert "field-error" in refused.get_data(as_text=True)
    assert 'value="bsod!"' in refused.get_data(as_text=True)
    with app.app_context():
        synonym_id = db.session.scalar(select(Synonym.id))
    response = client.post(
        f"/admin/synonyms/{synonym_id}/delete", data={"csrf_token": token}
    )
    assert response.status_code == 302
    assert "No synonyms yet." in text(client, "/admin/synonyms")


def test_staff_page_is_404_for_everyone_else(app, client, auth):
    with app.app_context():
        make_user(staff=True)
        member = make_user().username
    client.get("/admin/synonyms")
    assert client.get("/admin/synonyms").status_code == 404
    auth.login(member)
    assert client.get("/admin/synonyms").status_code == 404
    assert 'href="/admin/synonyms"' not in text(client, "/")
    token = csrf_from(client, "/")
    response = client.post(
        "/admin/synonyms",
        data={"term": "pc", "replacement": "windows", "csrf_token": token},
    )
    assert response.status_code == 404
    assert (
        client.post("/admin/synonyms/1/delete", data={"csrf_token": token}).status_code
        == 404
    )
    with app.app_context():
        assert db.session.scalar(select(Synonym.id)) is None
