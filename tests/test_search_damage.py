"""A search index found damaged while read: search answers 503 "being
rebuilt" (not 500), question pages render without their related box, and
the next drain (the indexer's, or the index thread's) rebuilds it."""

import logging
from pathlib import Path

import pytest

from forum import search
from tests.factories import make_question
from tests.helpers import API, found, live_name, text

pytestmark = pytest.mark.usefixtures("app_ctx")


def corrupt_postings(app) -> None:
    """Overwrite the live generation's postings with garbage of their size."""
    folder = Path(app.config["SEARCH_INDEX_DIR"]) / live_name()
    for path in folder.glob("*.pst"):
        path.write_bytes(b"\xff\x00garbage" * (path.stat().st_size // 9 + 1))


def test_damaged_postings_answer_503_and_the_next_drain_rebuilds(app, client, caplog):
    question = make_question(title="Kumquat printer jams on envelopes")
    make_question(title="Kumquat scanner jams on thick paper")
    search.drain()
    assert sorted(found("kumquat")) != []
    corrupt_postings(app)
    search.close_searchers()  # a new searcher reads the damaged files
    with caplog.at_level(logging.ERROR, logger="forum.search"):
        response = client.get("/search?q=kumquat")
    assert response.status_code == 503
    assert response.headers["Retry-After"] == "5"
    assert "Search is being rebuilt" in response.get_data(as_text=True)
    assert "failed while read" in caplog.text
    response = client.get(f"{API}/search?q=kumquat")
    assert response.status_code == 503
    assert response.json["error"]["code"] == "search_unavailable"
    # The question page works, without its related box.
    response = client.get(f"/questions/{question.id}", follow_redirects=True)
    assert response.status_code == 200
    page = response.get_data(as_text=True)
    assert "Kumquat printer jams on envelopes" in page
    assert "related-heading" not in page
    # The next drain rebuilds the damaged generation; search works again.
    damaged = live_name()
    with caplog.at_level(logging.WARNING, logger="forum.search"):
        search.drain()
    assert "reported damaged while read" in caplog.text
    assert live_name() != damaged
    response = client.get("/search?q=kumquat")
    assert response.status_code == 200
    assert len(found("kumquat")) == 2
    page = text(client, f"/questions/{question.id}/{question.slug}")
    assert "related-heading" in page  # the related box is back
    assert search.check() == []
