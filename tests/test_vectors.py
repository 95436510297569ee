"""Sentence vectors beside the index: kept by the outbox, cached by the hash of
their text, mixed with BM25 in similar and related questions, and never in the
way: without the model, or until they are complete, BM25 serves alone.

The model is the one `make test` installs (tests/test_encoder.py checks it).
"""

import math
import sqlite3
import time
from pathlib import Path
from urllib.parse import urlencode

import numpy as np
import pytest
from sqlalchemy import select

from forum import demo, search
from forum.extensions import db
from forum.models import Question
from forum.search import outbox, vectors
from forum.services import posts
from tests.factories import make_answer, make_question, make_user
from tests.helpers import installed_model_dir, make_app, reset_database, text

pytestmark = pytest.mark.usefixtures("app_ctx")

# No word of it is in the battery thread's title, and words alone rank two
# other demo threads above it; its meaning is that thread's.
PARAPHRASE = "notebook accumulator empty by morning"
BATTERY = "Battery drains 30% overnight while the laptop is asleep"


@pytest.fixture
def app(tmp_path):
    """A test app with the sentence model on and every commit indexed."""
    app = make_app(
        tmp_path,
        SEARCH_EMBEDDINGS=True,
        SEARCH_MODEL_DIR=str(installed_model_dir()),
        SEARCH_INDEXING="sync",
    )
    with app.app_context():
        reset_database()
    yield app
    with app.app_context():
        db.engine.dispose()
    search.close_searchers()


def status() -> dict:
    return vectors.store().status()


def similar_titles(client, title: str, body: str = "") -> list[str]:
    response = client.get(
        "/api/v1/similar", query_string={"title": title, "body": body}
    )
    assert response.status_code == 200
    return [item["title"] for item in response.json["items"]]


def demo_site() -> None:
    demo.load_demo()
    vectors.sync_until_done(math.inf)


def test_every_commit_is_encoded_through_the_outbox():
    first = make_question(title="Laptop battery drains while it sleeps")
    second = make_question(title="Router loses its settings after a power cut")
    held = status()
    assert held["built"] and held["questions"] == 2
    # Two texts per question: the title, and the title with the body.
    assert held["encoded"] == 4
    space = vectors.current()
    assert space is not None
    assert {int(i) for i in space.ids[: space.size]} == {first.id, second.id}


def test_meaning_finds_what_words_rank_lower(app, client):
    demo_site()
    assert similar_titles(client, PARAPHRASE)[0] == BATTERY
    # The same site on words alone: the paraphrase's few shared words lead
    # elsewhere (the contrast this feature exists for).
    app.config["SEARCH_EMBEDDINGS"] = False
    found = similar_titles(client, PARAPHRASE)
    assert found[0] != BATTERY and BATTERY in found


def test_similar_while_asking_reads_the_body(client):
    dock = make_question(
        title="Screen stays black at the office",
        body="The external monitor on my docking station shows no picture.",
    )
    phone = make_question(
        title="Screen stays black since Sunday",
        body="My phone's display is dark after it fell into the bath.",
    )
    asked = "Screen stays black"
    on_dock = "Nothing appears on the second display plugged into the dock."
    in_water = "I dropped my mobile in water and now the display is dark."
    assert similar_titles(client, asked, on_dock) == [dock.title, phone.title]
    assert similar_titles(client, asked, in_water) == [phone.title, dock.title]


def test_related_box_mixes_the_thread_meaning_on_the_demo(client):
    demo_site()
    charging = db.session.scalar(
        select(Question).where(Question.title.like("%stopped charging%"))
    )
    html = text(client, f"/questions/{charging.id}/{charging.slug}")
    box = html[html.index('id="related-heading"') :]
    assert "Battery drains 30% overnight" in box
    assert box.index("Battery drains") < box.index("Blue screen")


def test_an_edit_encodes_only_the_text_that_changed(client):
    author = make_user()
    question = make_question(author, title="Mouse pointer jumps around the screen")
    before = status()["encoded"]
    posts.edit_post(author, question, body="It happens only on the glass desk.")
    assert status()["encoded"] == before + 1  # the full text; the title is kept
    posts.edit_post(author, question, title="Bluetooth speaker will not pair")
    assert status()["encoded"] == before + 3
    assert similar_titles(client, "wireless loudspeaker pairing fails")[0] == (
        "Bluetooth speaker will not pair"
    )


def test_a_rebuild_or_restart_encodes_nothing_again(runner):
    for n in range(3):
        make_question(title=f"Printer tray {n} jams on thick paper")
    before = status()["encoded"]
    result = runner.invoke(args=["search", "rebuild"])
    assert result.exit_code == 0, result.output
    after = status()
    assert after["built"] and after["questions"] == 3
    assert after["encoded"] == before
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output
    assert "sentence vectors: 3 questions" in check.output


def test_a_deleted_question_leaves_the_vectors(client):
    staff = make_user(staff=True)
    keep = make_question(title="Laptop battery drains while it sleeps")
    gone = make_question(title="Notebook battery empty every morning")
    assert len(similar_titles(client, PARAPHRASE)) == 2
    posts.delete_post(staff, gone, "spam")
    assert status()["questions"] == 1
    space = vectors.current()
    assert space is not None and gone.id not in space.slot
    assert similar_titles(client, PARAPHRASE) == [keep.title]


def test_the_asked_question_is_not_its_own_related_question(client):
    question = make_question(title="Keyboard types the wrong letters")
    make_answer(question, body="Switch the keyboard layout back to English (US).")
    other = make_question(title="Keys give other characters than printed")
    html = text(client, f"/questions/{question.id}/{question.slug}")
    box = html[html.index('id="related-heading"') :]
    assert f'href="/questions/{other.id}/' in box
    assert f'href="/questions/{question.id}/' not in box


def test_until_the_pass_is_done_similar_uses_words_and_check_says_so(runner):
    words = make_question(title="Laptop battery drains while it sleeps")
    make_question(title="Notebook accumulator empty overnight")
    vectors.start_pass(outbox.snapshot())  # as a rebuild would
    assert vectors.current() is None  # BM25 alone meanwhile
    assert [q.id for q in search.similar("battery drains")] == [words.id]
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 1
    assert "sentence vectors: 0 of 2 questions gone through" in check.output
    synced = runner.invoke(args=["search", "sync"])
    assert synced.exit_code == 0, synced.output
    assert runner.invoke(args=["search", "check"]).exit_code == 0
    assert vectors.current() is not None


def test_without_the_model_the_site_works_on_words_and_check_says_so(
    app, client, runner, tmp_path
):
    empty = tmp_path / "no-model"
    empty.mkdir()
    app.config["SEARCH_MODEL_DIR"] = str(empty)
    question = make_question(title="Laptop battery drains while it sleeps")
    assert similar_titles(client, "battery drains") == [question.title]
    assert similar_titles(client, PARAPHRASE) == []
    html = text(client, f"/questions/{question.id}/{question.slug}")
    assert "Laptop battery drains" in html
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output
    assert f"no sentence model in {empty}" in check.output
    assert not Path(app.config["SEARCH_INDEX_DIR"], vectors.FILENAME).exists()


def test_switched_off_they_are_neither_built_nor_used(app, runner):
    app.config["SEARCH_EMBEDDINGS"] = False
    make_question(title="Laptop battery drains while it sleeps")
    assert vectors.current() is None
    check = runner.invoke(args=["search", "check"])
    assert check.exit_code == 0, check.output
    assert "sentence vectors are off" in check.output
    assert not Path(app.config["SEARCH_INDEX_DIR"], vectors.FILENAME).exists()


def test_another_model_s_vectors_are_dropped():
    make_question(title="Laptop battery drains while it sleeps")
    with sqlite3.connect(vectors.store().path) as con:
        con.execute("UPDATE meta SET value = 'another-model' WHERE key = 'model'")
    con.close()
    make_question(title="Router loses its settings after a power cut")
    held = status()
    assert held["model"] == "all-MiniLM-L6-v2" and held["epoch"] == 2
    # Nothing of the other model is kept: both questions are encoded anew.
    assert held["built"] and held["questions"] == 2 and held["encoded"] == 4


def search_page(client, q: str) -> str:
    return text(client, "/search?" + urlencode({"q": q}))


def test_search_adds_questions_close_in_meaning(app, client):
    demo_site()
    html = search_page(client, PARAPHRASE)
    assert "Results that match some of your words or their meaning" in html
    assert f"No question holds all of <strong>{PARAPHRASE}</strong>" in html
    assert BATTERY in html
    response = client.get("/api/v1/search", query_string={"q": PARAPHRASE})
    assert [(h["title"], h["match"]) for h in response.json["items"]] == [
        (BATTERY, "some")
    ]
    # Operators are never loosened, by words or by meaning.
    assert "No questions match" in search_page(client, f"{PARAPHRASE} is:solved")
    app.config["SEARCH_EMBEDDINGS"] = False
    assert "No questions match" in search_page(client, PARAPHRASE)


def test_search_mixes_in_threads_holding_two_rare_words(app, client):
    # Two of five words are fewer than a partial match needs (four), and
    # this thread is not close enough in meaning to join by it; with the
    # vectors it joins the mix as the similar box finds it, by holding two
    # of the words. A thread holding one word does not.
    two = make_question(
        title="Printer toner order form on Monday",
        body="Order toner every monday with the form.",
        tags="office",
    )
    make_question(
        title="Team lunch moved to Monday",
        body="The quarterly lunch is now on the first day of the week.",
        tags="office",
    )
    query = "printer spooler crashes after monday updates"
    response = client.get("/api/v1/search", query_string={"q": query})
    assert [(h["id"], h["match"]) for h in response.json["items"]] == [(two.id, "some")]
    app.config["SEARCH_EMBEDDINGS"] = False
    response = client.get("/api/v1/search", query_string={"q": query})
    assert response.json["items"] == []


def test_partial_matches_rank_by_meaning_on_the_demo(client):
    demo_site()
    response = client.get("/api/v1/search", query_string={"q": "wifi keeps dropping"})
    titles = [h["title"] for h in response.json["items"]]
    assert titles[1].startswith("Wi-Fi drops every few minutes")


def unit(vector):
    return (vector / np.linalg.norm(vector)).astype(np.float32)


def test_the_space_holds_the_weighted_sum_of_both_cosines(tmp_path):
    vstore = vectors.VectorStore(tmp_path / "space")
    rng = np.random.default_rng(7)
    title, full, other, query = (unit(rng.standard_normal(8)) for _ in range(4))
    with vstore.connect() as con:
        vstore.save(
            con,
            {b"t": title, b"f": full, b"o": other},
            {7: (b"t", b"f"), 9: (b"o", b"o")},
        )
    space = vectors.Space(8, (1.0, 1.5))
    space.refresh(vstore)
    ids, scores = space.scores(query)
    assert ids.tolist() == [7, 9]
    assert scores[0] == pytest.approx(title @ query + 1.5 * (full @ query), abs=1e-5)
    assert scores[1] == pytest.approx(2.5 * (other @ query), abs=1e-5)

    space.reweigh(vstore, (0.5, 2.0))
    _, scores = space.scores(query)
    assert scores[0] == pytest.approx(
        0.5 * (title @ query) + 2 * (full @ query), abs=1e-5
    )

    with vstore.connect() as con:  # question 7 removed, 9 edited
        vstore.save(con, {b"n": title}, {7: None, 9: (b"n", b"n")})
    space.refresh(vstore)
    ids, scores = space.scores(query)
    assert ids.tolist() == [-1, 9] and scores[0] == 0.0
    assert scores[1] == pytest.approx(2.5 * (title @ query), abs=1e-5)
    assert 7 not in space.slot and space.slot[9] == 1


def test_a_big_store_is_read_into_a_new_process_on_a_thread(client, monkeypatch):
    keep = make_question(title="Laptop battery drains while it sleeps")
    assert similar_titles(client, PARAPHRASE) == [keep.title]
    # As a new worker on a big store: its first request does not wait for the
    # vectors, it answers on words alone while a thread reads them.
    monkeypatch.setattr(vectors, "INLINE_LOAD_ROWS", 0)
    root = str(Path(vectors.store().root))
    monkeypatch.delitem(vectors._spaces, root)
    fresh = vectors.space()
    assert fresh is not None
    with fresh.lock:  # the reading thread waits until the request is answered
        assert vectors.current() is None
        assert similar_titles(client, PARAPHRASE) == []  # no word in common
    deadline = time.monotonic() + 30
    while vectors.current() is None and time.monotonic() < deadline:
        time.sleep(0.05)
    space = vectors.current()
    assert space is not None and keep.id in space.slot
    assert similar_titles(client, PARAPHRASE) == [keep.title]
