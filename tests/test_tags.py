"""The tag list: counts, sorting, filtering, pagination and links."""

import pytest

from forum.services import posts
from tests.factories import make_question, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")


def tag_names_in_order(html: str, names: list[str]) -> list[str]:
    """The given tag names sorted by where their links appear on the page."""
    positions = {name: html.index(f'rel="tag">{name}</a>') for name in names}
    return sorted(names, key=positions.get)


def test_tags_page_shows_counts_and_links(client):
    make_question(tags="printer windows")
    make_question(tags="printer")
    html = client.get("/tags").get_data(as_text=True)
    assert 'href="/questions/tagged/printer"' in html
    assert "2 questions" in html and "1 question<" in html


def test_tags_sorted_by_popularity_then_name(client):
    make_question(tags="zebra")
    make_question(tags="zebra alpha")
    make_question(tags="zebra mango")
    make_question(tags="mango")
    html = client.get("/tags").get_data(as_text=True)
    assert tag_names_in_order(html, ["zebra", "mango", "alpha"]) == [
        "zebra",
        "mango",
        "alpha",
    ]
    html = client.get("/tags?sort=name").get_data(as_text=True)
    assert tag_names_in_order(html, ["zebra", "mango", "alpha"]) == [
        "alpha",
        "mango",
        "zebra",
    ]
    assert 'aria-current="page">Name</a>' in html


def test_unknown_sort_is_400(client):
    assert client.get("/tags?sort=bogus").status_code == 400


def test_filter_by_name(client):
    make_question(tags="wifi windows")
    make_question(tags="printer")
    html = client.get("/tags?q=WIN").get_data(as_text=True)
    assert 'rel="tag">windows</a>' in html
    assert 'rel="tag">wifi</a>' not in html
    assert 'rel="tag">printer</a>' not in html
    assert 'value="WIN"' in html


@pytest.mark.parametrize("query", ["%", "_", "<script>", "nothing-like-this"])
def test_filter_special_characters_match_literally(client, query):
    make_question(tags="printer")
    response = client.get("/tags", query_string={"q": query})
    html = response.get_data(as_text=True)
    assert response.status_code == 200
    assert 'rel="tag">printer</a>' not in html
    assert "No tags match" in html
    assert "<script>" not in html.split("<main", 1)[1]


def test_filter_with_nul_byte_is_400(client):
    assert client.get("/tags?q=a%00b").status_code == 400


def test_deleted_questions_are_not_counted(client):
    owner = make_user()
    make_question(owner, tags="printer")
    gone = make_question(owner, tags="printer scanner")
    posts.delete_post(owner, gone)
    html = client.get("/tags").get_data(as_text=True)
    assert "1 question<" in html
    assert 'rel="tag">scanner</a>' not in html


def test_tags_pagination(app, client):
    app.config["TAGS_PER_PAGE"] = 2
    make_question(tags="aaa bbb ccc")
    make_question(tags="ddd eee")
    first = client.get("/tags?sort=name").get_data(as_text=True)
    assert 'rel="tag">aaa</a>' in first and 'rel="tag">ccc</a>' not in first
    assert 'href="/tags?page=2&amp;sort=name"' in first
    third = client.get("/tags?sort=name&page=3").get_data(as_text=True)
    assert 'rel="tag">eee</a>' in third
    assert client.get("/tags?page=0").status_code == 400


def test_empty_tag_list(client):
    html = client.get("/tags").get_data(as_text=True)
    assert "No tags yet." in html
