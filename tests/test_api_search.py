"""API: GET /search (search hits) and GET /similar (questions like a draft)."""

import pytest

from forum import search
from forum.services import voting
from tests.factories import make_answer, make_question, make_user
from tests.helpers import API

pytestmark = pytest.mark.usefixtures("app_ctx")


ENVELOPE = {"items", "page", "per_page", "total", "has_more"}
SUMMARY = {"id", "title", "tags", "score", "answer_count", "accepted_answer_id"}


def get_json(client, url: str, status: int = 200, **kwargs) -> dict:
    """GET an API URL, check the status and that the answer is JSON."""
    response = client.get(url, **kwargs)
    assert response.status_code == status, response.get_data(as_text=True)[:500]
    assert response.mimetype == "application/json"
    return response.json


def test_search_hit_shape(client, indexed):
    asker = make_user()
    question = make_question(
        asker,
        title="Printer shows offline after reboot",
        body="The office printer shows offline every morning.",
        tags="printer windows",
    )
    answer = make_answer(question, body="Restart the spooler and the printer again.")
    voting.accept_answer(asker, question, answer)
    data = get_json(client, f"{API}/search?q=printer")
    assert set(data) == ENVELOPE
    assert (data["page"], data["per_page"], data["total"], data["has_more"]) == (
        1,
        20,
        1,
        False,
    )
    (item,) = data["items"]
    assert set(item) == SUMMARY | {"highlights", "match"}
    assert item["match"] == "all"
    assert item["id"] == question.id and item["title"] == question.title
    assert item["tags"] == ["printer", "windows"]
    assert (item["score"], item["answer_count"]) == (0, 1)
    assert item["accepted_answer_id"] == answer.id
    assert item["highlights"] == [
        "The office <mark>printer</mark> shows offline every morning"
    ]


def test_search_hit_found_through_an_answer_has_answer_id(client, indexed):
    question = make_question(title="Laptop battery drains overnight")
    answer = make_answer(question, body="Disable the hibernate timer in the firmware.")
    (item,) = get_json(client, f"{API}/search?q=hibernate")["items"]
    assert item["id"] == question.id and item["answer_id"] == answer.id
    assert "<mark>hibernate</mark>" in item["highlights"][0]


def test_highlights_escape_html(client, indexed):
    make_question(
        title="Intranet page shows raw markup",
        body="The intranet page shows `<script>alert(1)</script>` as plain text.",
    )
    (item,) = get_json(client, f"{API}/search?q=intranet")["items"]
    (fragment,) = item["highlights"]
    assert "<script>" not in fragment and "&lt;script&gt;alert(1)" in fragment
    without_marks = fragment.replace("<mark>", "").replace("</mark>", "")
    assert "<" not in without_marks


def test_search_pages_and_sorts(app, client):
    author = make_user()
    made = [make_question(author, title=f"Docking station fault {n}") for n in range(7)]
    search.drain()
    first = get_json(client, f"{API}/search?q=docking&per_page=5&sort=newest")
    assert [i["id"] for i in first["items"]] == [q.id for q in made[::-1][:5]]
    assert (first["total"], first["has_more"]) == (7, True)
    second = get_json(client, f"{API}/search?q=docking&per_page=5&page=2&sort=newest")
    assert [i["id"] for i in second["items"]] == [made[1].id, made[0].id]
    assert second["has_more"] is False
    assert get_json(client, f"{API}/search?q=docking&per_page=100")["total"] == 7
    assert get_json(client, f"{API}/search?q=docking&page=50")["items"] == []


def test_empty_query_is_an_empty_list(client):
    for url in (f"{API}/search", f"{API}/search?q=", f"{API}/search?q=%20"):
        data = get_json(client, url)
        assert data["items"] == [] and data["total"] == 0 and not data["has_more"]


@pytest.mark.parametrize(
    "query",
    [
        "sort=loudest",
        "sort=",
        "page=0",
        "page=-1",
        "page=abc",
        "page=1.0",
        "page=9999999999",
        "per_page=0",
        "per_page=101",
        "per_page=x",
        "per_page=",
    ],
)
def test_bad_sort_or_paging_is_400(client, query):
    data = get_json(client, f"{API}/search?q=printer&{query}", status=400)
    assert data["error"]["code"] == "bad_request" and data["error"]["message"]


@pytest.mark.parametrize(
    "query",
    [
        "q=%22printer",
        "q=%5Bprinter",
        "q=printer%5D",
        "q=nope%3Aprinter",
        "q=%00",
        "q=%FF%FE",
        "q=%ED%A0%80",
        "q=" + "printer+" * 5000,
        "q=print*",
        "q=printer~3",
        "q=score%3A99999999999999999999",
        "q=created%3A2025-13..2024-00",
        "q=answers%3A..",
        "q=-%22%22",
        "q=OR+OR",
        "q=%3Cscript%3E",
    ],
)
def test_malformed_queries_return_a_list(client, indexed, query):
    make_question(title="Printer shows offline after reboot")
    data = get_json(client, f"{API}/search?{query}")
    assert set(data) == ENVELOPE and isinstance(data["items"], list)


def test_over_long_query_is_truncated_not_refused(client, indexed):
    question = make_question(title="Printer shows offline after reboot")
    data = get_json(client, f"{API}/search?q=printer+{'offline+' * 3000}")
    assert [i["id"] for i in data["items"]] == [question.id]


def test_similar_questions(client, indexed):
    asker = make_user()
    solved = make_question(asker, title="Printer offline after Windows update")
    answer = make_answer(solved, body="Reinstall the printer driver from the vendor.")
    voting.accept_answer(asker, solved, answer)
    open_one = make_question(title="Printer offline on the second floor")
    make_question(
        title="Calendar invites arrive twice",
        body="Every meeting invitation shows up two times in my calendar.",
    )
    data = get_json(client, f"{API}/similar?title=the+printer+is+offline")
    assert set(data) == ENVELOPE and data["per_page"] == 10
    by_id = {item["id"]: item for item in data["items"]}
    assert set(by_id) == {solved.id, open_one.id}
    assert set(by_id[solved.id]) == SUMMARY | {"is_solved"}
    assert by_id[solved.id]["is_solved"] is True
    assert by_id[solved.id]["accepted_answer_id"] == answer.id
    assert by_id[open_one.id]["is_solved"] is False


def test_similar_uses_the_body_too(client, indexed):
    question = make_question(
        title="Scanner cannot reach the share",
        body="Scanning to the network folder fails with an unreachable error.",
    )
    url = f"{API}/similar?title=saving+documents+fails&body=unreachable+folder"
    assert [i["id"] for i in get_json(client, url)["items"]] == [question.id]


def test_similar_with_an_empty_title_is_an_empty_list(client, indexed):
    make_question(title="Printer offline after Windows update")
    for url in ("/similar", "/similar?title=", "/similar?title=++&body=printer"):
        data = get_json(client, f"{API}{url}")
        assert data["items"] == [] and data["total"] == 0


def test_similar_returns_at_most_ten(app, client):
    author = make_user()
    for n in range(14):
        make_question(author, title=f"Docking station fault number {n}")
    search.drain()
    data = get_json(client, f"{API}/similar?title=docking+station+fault")
    assert len(data["items"]) == 10 and data["total"] == 10
    five = get_json(client, f"{API}/similar?title=docking+station&per_page=5")
    assert len(five["items"]) == 5 and five["has_more"] is True
    rest = get_json(client, f"{API}/similar?title=docking+station&per_page=5&page=2")
    assert not {i["id"] for i in five["items"]} & {i["id"] for i in rest["items"]}
    for bad in ("per_page=11", "per_page=0", "page=0", "page=x"):
        error = get_json(client, f"{API}/similar?title=docking&{bad}", status=400)
        assert error["error"]["code"] == "bad_request"


def test_similar_never_fails_on_odd_titles(client, indexed):
    make_question(title="Printer offline after Windows update")
    for title in (
        '"printer',
        "[printer",
        "printer:offline",
        "*",
        "~",
        "%00",
        "%FF",
        "x" * 5000,
        "-printer OR",
    ):
        data = get_json(client, f"{API}/similar?title={title}")
        assert isinstance(data["items"], list)


def test_openapi_documents_search_and_similar(client):
    document = get_json(client, f"{API}/openapi.json")
    search_op = document["paths"]["/search"]["get"]
    similar_op = document["paths"]["/similar"]["get"]
    schemas = document["components"]["schemas"]
    assert set(schemas["SearchHit"]["properties"]) == SUMMARY | {
        "highlights",
        "answer_id",
        "match",
    }
    assert "answer_id" not in schemas["SearchHit"]["required"]
    assert set(schemas["SimilarQuestion"]["properties"]) == SUMMARY | {"is_solved"}
    assert "400" in search_op["responses"] and "400" in similar_op["responses"]
    params = document["components"]["parameters"]
    assert params["SearchPerPage"]["schema"]["default"] == 20
    assert params["SimilarPerPage"]["schema"]["maximum"] == 10
