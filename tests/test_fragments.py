"""Visitors' post cards and question rows, reused while what they show holds.

The cache is keyed by every value a card shows, so each change below must
show at once to the next visitor; the tests read the page as a visitor would.
"""

import re

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import Question
from forum.services import comments, posts, voting
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import article, canonical, text

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def fragments(app):
    """The fragment cache, on, and empty."""
    app.config["FRAGMENT_CACHE_SECONDS"] = 600
    return app


def cached_count(app) -> int:
    cache = app.extensions.get("forum_cache_fragments")
    return len(cache.cache) if cache is not None else 0


def test_visitors_get_the_same_cards_and_signed_in_viewers_their_own(
    fragments, client, auth
):
    question = make_question()
    make_answer(question)
    first = text(client, canonical(question))
    assert cached_count(fragments) == 2  # the question's card and the answer's
    assert text(client, canonical(question)) == first
    auth.login(make_user(reputation=200).username)
    mine = text(client, canonical(question))
    assert 'name="csrf_token"' in article(mine, f"question-{question.id}")
    assert cached_count(fragments) == 2  # nothing of a signed-in page is kept


def test_visitors_cached_cards_need_no_token_nor_session(fragments, client):
    question = make_question()
    answer = make_answer(question)
    for _ in range(2):  # rendered, then served from the cache
        response = client.get(f"/questions/{question.id}/{question.slug}")
        html = response.get_data(as_text=True)
        assert "Set-Cookie" not in response.headers
        assert "csrf_token" not in html and 'name="csrf-token"' not in html
        assert 'aria-label="Log in to vote up"' in article(html, f"answer-{answer.id}")
    assert cached_count(fragments) == 2


def test_every_change_a_card_shows_reaches_the_next_visitor(fragments, client):
    asker = make_user()
    question = make_question(asker, body="The kumquat printer jams on envelopes.")
    answerer = make_user()
    answer = make_answer(question, answerer, body="Clean the kumquat rollers first.")
    voter = make_user(reputation=200)
    html = text(client, canonical(question))
    assert "Clean the kumquat rollers first." in html

    posts.edit_post(answerer, answer, body="Clean the papaya rollers, then retry.")
    html = text(client, canonical(question))
    assert "papaya rollers" in article(html, f"answer-{answer.id}")

    voting.cast_vote(voter, answer, 1)
    html = text(client, canonical(question))
    assert '<span class="score-value">1</span>' in article(html, f"answer-{answer.id}")
    # The vote paid the answerer: their reputation on the card follows.
    reputation = db.session.get(type(answerer), answerer.id).reputation
    assert re.search(
        rf'class="reputation" title="Reputation">{reputation}<',
        article(html, f"answer-{answer.id}"),
    )

    note = make_comment(answer, asker, body="Which roller exactly, the upper one?")
    html = text(client, canonical(question))
    assert "Which roller exactly" in article(html, f"answer-{answer.id}")

    voting.accept_answer(asker, question, answer)
    html = text(client, canonical(question))
    assert "Solution" in article(html, f"answer-{answer.id}")

    comments.delete_comment(note.owner, note)
    html = text(client, canonical(question))
    assert "Which roller exactly" not in html

    posts.edit_post(asker, question, tags="kumquat printer")
    html = text(client, canonical(question))
    assert 'href="/questions/tagged/kumquat"' in article(
        html, f"question-{question.id}"
    )


def test_a_change_made_outside_the_services_shows_too(fragments, client):
    # Keys hold the rows' values, not a version the services bump.
    question = make_question(body="The printer jams on envelopes.")
    assert "jams on envelopes" in text(client, canonical(question))
    db.session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(body_html="<p>Fixed by hand in the database.</p>")
    )
    db.session.commit()
    assert "Fixed by hand in the database." in text(client, canonical(question))


def test_question_rows_follow_their_questions(fragments, client):
    question = make_question(title="Kumquat printer jams on envelopes")
    assert '0</span> <span class="stat-label">answers' in client.get("/").get_data(
        as_text=True
    )
    make_answer(question)
    html = client.get("/").get_data(as_text=True)
    row = html[html.index(f'id="question-summary-{question.id}"') :]
    assert '<span class="stat-value">1</span> <span class="stat-label">answer<' in row
