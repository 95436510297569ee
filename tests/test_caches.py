"""The short-lived caches: list counts and the related questions box."""

import pytest

from forum.services import posts, questions
from tests.factories import make_question, make_user

pytestmark = pytest.mark.usefixtures("app_ctx")


def total(app) -> int:
    """The total of the newest-questions list."""
    return questions.list_questions("newest").total


def test_list_counts_are_reused_for_their_time(app, clock):
    make_question()
    app.config["LIST_COUNT_CACHE_SECONDS"] = 0.5
    assert total(app) == 1
    make_question()
    # The rows are fresh; the count lags until it expires.
    page = questions.list_questions("newest")
    assert (len(page.items), page.total) == (2, 1)
    # Another filter is another count.
    assert questions.list_questions("newest", tags=["printer"]).total == 2
    # The same query with another value is another count too.
    assert questions.list_questions("newest", tags=["scanner"]).total == 0
    clock.advance(0.4)
    assert total(app) == 1
    clock.advance(0.2)
    assert total(app) == 2


def test_counts_are_not_cached_when_the_setting_is_0(app):
    app.config["LIST_COUNT_CACHE_SECONDS"] = 0
    make_question()
    assert total(app) == 1
    make_question()
    assert total(app) == 2


def test_related_box_is_reused_but_never_shows_a_deleted_question(app, client, indexed):
    app.config["RELATED_CACHE_SECONDS"] = 60
    first = make_question(title="Printer offline after the Windows update")
    page_of = make_question(title="Printer offline on the second floor")
    url = f"/questions/{page_of.id}/{page_of.slug}"
    assert f"/questions/{first.id}/" in client.get(url).get_data(as_text=True)
    later = make_question(title="Printer offline after the driver update")
    html = client.get(url).get_data(as_text=True)
    assert f"/questions/{later.id}/" not in html  # the cached box
    posts.delete_post(make_user(staff=True), first, "spam")
    html = client.get(url).get_data(as_text=True)
    assert f"/questions/{first.id}/" not in html
    app.config["RELATED_CACHE_SECONDS"] = 0
    html = client.get(url).get_data(as_text=True)
    assert f"/questions/{later.id}/" in html


def test_anonymous_pages_answer_304_while_unchanged(client, auth):
    question = make_question()
    first = client.get("/")
    etag = first.headers["ETag"]
    assert first.status_code == 200 and first.headers["Cache-Control"] == "no-cache"
    again = client.get("/", headers={"If-None-Match": etag})
    assert again.status_code == 304 and again.get_data() == b""
    url = f"/questions/{question.id}/{question.slug}"
    page_etag = client.get(url).headers["ETag"]
    assert page_etag != etag
    make_question(title="Scanner jams on every second sheet of paper")
    changed = client.get("/", headers={"If-None-Match": etag})
    assert changed.status_code == 200 and changed.headers["ETag"] != etag
    # Signed-in pages differ per viewer: no ETag, always the page.
    make_user(username="reader")
    auth.login("reader")
    signed_in = client.get("/", headers={"If-None-Match": etag})
    assert signed_in.status_code == 200 and "ETag" not in signed_in.headers
