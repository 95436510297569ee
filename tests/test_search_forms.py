"""Word forms: hyphenated and joined compounds, words written apart, acronyms."""

import re

import pytest
from sqlalchemy import select

from forum import demo
from forum.extensions import db
from forum.models import Question
from forum.search import indexer
from forum.search.schema import TEXT_ANALYZER, CompoundFilter
from tests.factories import make_question
from tests.helpers import API, found, found_all, text

pytestmark = pytest.mark.usefixtures("app_ctx")


def hit_ids(html: str) -> list[int]:
    """The question ids of the hits on a results page, in order."""
    return [int(i) for i in re.findall(r'id="search-hit-(\d+)"', html)]


def api_ids(client, query: str) -> list[int]:
    """The question ids the API's search returns."""
    response = client.get(f"{API}/search", query_string={"q": query})
    assert response.status_code == 200, response.get_data(as_text=True)[:300]
    return [item["id"] for item in response.json["items"]]


@pytest.fixture
def forms(indexed):
    """Questions writing the same words in different forms."""
    return {
        "Wi-Fi": make_question(
            title="Laptop loses Wi-Fi after sleep",
            body="The Wi-Fi icon goes grey every time.",
        ),
        "wifi": make_question(
            title="Phone drops wifi at night",
            body="My phone drops wifi often at night.",
        ),
        "wi-fi": make_question(
            title="Tablet wi-fi router setup",
            body="Setting up the wi-fi router for a tablet.",
        ),
        "e-mail": make_question(
            title="Cannot send e-mail from the app",
            body="Every e-mail bounces back at once.",
        ),
        "email": make_question(
            title="Email stuck in the outbox", body="The email never leaves the outbox."
        ),
        "usb-c": make_question(
            title="USB-C dock shows no picture",
            body="The USB-C port stays dark all along.",
        ),
        "BSOD": make_question(
            title="BSOD after a driver update", body="Blue screen, then a BSOD loop."
        ),
        "other": make_question(
            title="Printer shows offline after reboot",
            body="The office printer shows offline every morning.",
        ),
    }


WIFI = ("Wi-Fi", "wifi", "wi-fi")


@pytest.mark.parametrize("query", ["wifi", "wi-fi", "Wi-Fi", "WIFI", "wi fi"])
def test_every_spelling_of_wifi_finds_every_wifi_thread(client, forms, query):
    expected = sorted(forms[k].id for k in WIFI)
    html = text(client, "/search?" + f"q={query.replace(' ', '+')}")
    assert sorted(hit_ids(html)) == expected
    assert sorted(api_ids(client, query)) == expected


@pytest.mark.parametrize("query", ["email", "e-mail", "E-Mail", "e mail"])
def test_hyphenated_and_joined_email_match_each_other(client, forms, query):
    expected = sorted([forms["e-mail"].id, forms["email"].id])
    assert sorted(found(query)) == expected
    assert sorted(api_ids(client, query)) == expected


@pytest.mark.parametrize("query", ["usb-c", "usbc", "USB-C", "usb c"])
def test_usb_c_in_any_spelling(client, forms, query):
    assert api_ids(client, query) == [forms["usb-c"].id]


@pytest.mark.parametrize("query", ["BSOD", "bsod", "Bsod"])
def test_acronyms_in_any_case(client, forms, query):
    assert api_ids(client, query) == [forms["BSOD"].id]
    assert hit_ids(text(client, f"/search?q={query}")) == [forms["BSOD"].id]


def test_phrases_with_hyphens_still_work(client, forms):
    router = forms["wi-fi"].id
    assert found('"wi-fi router"') == [router]
    assert found('"wi fi router"') == [router]
    assert found('"wifi router"') == [router]  # the joined form stands at "fi"
    assert found('"router wi-fi"') == []
    assert sorted(api_ids(client, '"Wi-Fi icon"')) == [forms["Wi-Fi"].id]


def test_exclusions_and_or_with_compounds(client, forms):
    assert sorted(found("wifi -wi-fi")) == []
    assert sorted(found("drops -wi-fi")) == [forms["wifi"].id]
    assert sorted(found("usb-c OR bsod")) == sorted(
        [forms["usb-c"].id, forms["BSOD"].id]
    )


def test_words_written_apart_join_only_when_they_look_like_one(forms):
    # Stop words are not joined into a word that would have to match.
    assert found("is it offline") == [forms["other"].id]
    # "wi OR fi" is an explicit choice: each word on its own, not joined.
    assert forms["wifi"].id not in found("wi OR fi")
    # A pair whose joined form no text holds stays two words, each anywhere.
    apart = make_question(
        title="Printer from HP prints blank pages",
        body="The office printer made by HP feeds paper but prints nothing.",
    )
    assert apart.id in found_all("hp printer")


def test_an_index_built_by_an_older_analyzer_is_rebuilt(app, forms, monkeypatch):
    idx_store = indexer.store()
    name = idx_store.current_name()
    assert name is not None and idx_store.problem(name) is None
    # What a new version of the filter does: the analyzer's signature changes.
    (step,) = [s for s in TEXT_ANALYZER.items if isinstance(s, CompoundFilter)]
    monkeypatch.setattr(step, "version", step.VERSION + 1)
    assert idx_store.problem(name) == "an older schema"
    assert indexer.ensure_index() is True
    assert idx_store.current_name() != name
    assert sorted(found("wifi")) == sorted(forms[k].id for k in WIFI)


def test_demo_query_wifi_finds_the_threads_that_say_wi_fi(client, indexed):
    assert demo.load_demo() is not None
    saying = [
        q.id
        for q in db.session.scalars(select(Question))
        if "wi-fi" in f"{q.title} {q.body_markdown}".lower() and q.deleted_at is None
    ]
    assert len(saying) >= 4
    for query in ("wifi", "wi fi", "Wi-Fi"):
        ids = api_ids(client, query)
        assert set(saying) <= set(ids), query
        assert set(saying) <= set(hit_ids(text(client, f"/search?q={query}")))


def test_hyphenated_text_is_marked_for_the_joined_word(client, forms):
    html = text(client, "/search?q=wifi")
    assert "<mark>Wi-Fi</mark>" in html and "<mark>wi-fi</mark>" in html
    html = text(client, "/search?q=e-mail")
    assert "<mark>e-mail</mark>" in html and "<mark>email</mark>" in html
