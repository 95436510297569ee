"""Voting and accepting on the question page, through plain forms (no JS)."""

import re

import pytest
from sqlalchemy import select

from forum.extensions import db
from forum.models import Post, Question, ReputationEvent, User, Vote
from forum.services import posts, voting
from tests.factories import PASSWORD, make_answer, make_question, make_user
from tests.helpers import (
    article,
    canonical,
    count,
    count_statements,
    csrf_from,
    fresh,
    text,
)

pytestmark = pytest.mark.usefixtures("app_ctx")


def ledger(user_id: int) -> list[tuple[str, int, int | None]]:
    """A user's events as (kind, delta, reverses_id), oldest first."""
    db.session.expire_all()
    rows = db.session.execute(
        select(ReputationEvent.kind, ReputationEvent.delta, ReputationEvent.reverses_id)
        .where(ReputationEvent.user_id == user_id, ReputationEvent.kind != "bonus")
        .order_by(ReputationEvent.id)
    )
    return [tuple(row) for row in rows]


def vote(auth, post: Post, value: str, question: Question):
    """Submit a vote form from the question page."""
    return auth.post(
        f"/posts/{post.id}/vote", {"value": value}, token_from=canonical(question)
    )


def accept(auth, question: Question, answer_id):
    """Submit the accept form from the question page."""
    return auth.post(
        f"/questions/{question.id}/accept",
        {"answer_id": "" if answer_id is None else str(answer_id)},
        token_from=canonical(question),
    )


def login_link(question: Question, anchor: str) -> str:
    """The href of a visitor's vote arrow: log in, then back to the post."""
    return f"/login?next=/questions/{question.id}/{question.slug}%23{anchor}"


def vote_form(html: str, post_id: int) -> str:
    """The HTML of one post's vote form."""
    start = html.index(f'action="/posts/{post_id}/vote"')
    return html[start : html.index("</form>", start)]


# ---- Voting --------------------------------------------------------------------


def test_everybody_sees_scores_and_visitors_get_plain_login_links(client):
    question = make_question()
    answer = make_answer(question)
    voting.cast_vote(make_user(reputation=15), answer, 1)
    html = text(client, canonical(question))
    card = article(html, f"answer-{answer.id}")
    assert '<span class="score-value">1</span> <span class="score-label">vote' in card
    # Visitors get links to the login page (and back to the post), not forms:
    # no vote form, no JS hook, no token.
    assert 'action="/posts/' not in card and "data-vote-api" not in card
    login = login_link(question, f"answer-{answer.id}")
    assert card.count(f'href="{login}"') == 2
    assert 'aria-label="Log in to vote up"' in card
    assert 'aria-label="Log in to vote down"' in card
    assert "aria-pressed" not in card and "csrf_token" not in card


def test_upvote_by_form_scores_and_pays_the_owner(client, auth):
    question = make_question()
    voter = make_user(reputation=15)
    auth.login(voter.username)
    response = vote(auth, question, "1", question)
    assert response.status_code == 302
    back = f"{canonical(question)}#question-{question.id}"
    assert response.headers["Location"] == back
    assert fresh(Question, question.id).score == 1
    row = db.session.scalar(select(Vote).where(Vote.post_id == question.id))
    assert (row.user_id, row.value) == (voter.id, 1)
    assert ledger(question.owner_id) == [("question_upvoted", 10, None)]
    assert fresh(User, question.owner_id).reputation == 11
    html = text(client, response.headers["Location"])
    assert "Upvoted." in html
    form = vote_form(html, question.id)
    assert f'data-vote-api="/api/v1/posts/{question.id}/vote"' in form
    # Pressed, and pressing it again sends 0 (withdraw).
    up = re.search(r"<button[^>]*vote-up[^>]*>", form).group(0)
    assert 'aria-pressed="true"' in up and 'value="0"' in up
    down = re.search(r"<button[^>]*vote-down[^>]*>", form).group(0)
    assert 'aria-pressed="false"' in down and 'value="-1"' in down


def test_pressing_again_withdraws_and_reverses(client, auth):
    question = make_question()
    voter = make_user(reputation=15)
    auth.login(voter.username)
    vote(auth, question, "1", question)
    response = vote(auth, question, "0", question)
    assert response.status_code == 302
    assert fresh(Question, question.id).score == 0
    assert count(Vote) == 0
    events = ledger(question.owner_id)
    assert [e[:2] for e in events] == [
        ("question_upvoted", 10),
        ("question_upvoted", -10),
    ]
    first_id = db.session.scalar(
        select(ReputationEvent.id).where(
            ReputationEvent.reverses_id.is_(None),
            ReputationEvent.user_id == question.owner_id,
        )
    )
    assert events[1][2] == first_id
    assert fresh(User, question.owner_id).reputation == 1
    assert "Your vote was withdrawn." in text(client, canonical(question))


def test_changing_up_to_down_writes_reversing_events(client, auth):
    question = make_question()
    answer = make_answer(question)
    voter = make_user(reputation=125)
    auth.login(voter.username)
    vote(auth, answer, "1", question)
    vote(auth, answer, "-1", question)
    assert fresh(Post, answer.id).score == -1
    assert db.session.scalar(select(Vote.value).where(Vote.post_id == answer.id)) == -1
    kinds = [e[:2] for e in ledger(answer.owner_id)]
    assert kinds == [
        ("answer_upvoted", 10),
        ("answer_upvoted", -10),
        ("post_downvoted", -2),
    ]
    assert ledger(voter.id) == [("downvoted_answer", -1, None)]
    assert fresh(User, answer.owner_id).reputation == 1  # never below 1
    assert fresh(User, voter.id).reputation == 124
    form = vote_form(text(client, canonical(question)), answer.id)
    down = re.search(r"<button[^>]*vote-down[^>]*>", form).group(0)
    assert 'aria-pressed="true"' in down and 'value="0"' in down


@pytest.mark.parametrize(
    ("reputation", "value", "status", "message"),
    [
        (1, "1", 403, "Vote up requires 15 reputation; you have 1."),
        (15, "-1", 403, "Vote down requires 125 reputation; you have 15."),
        (500, "2", 422, "Vote value must be 1, -1 or 0."),
        (500, "", 422, "Vote value must be 1, -1 or 0."),
    ],
)
def test_refused_vote_shows_the_message_and_writes_nothing(
    client, auth, reputation, value, status, message
):
    question = make_question()
    voter = make_user(reputation=reputation)
    auth.login(voter.username)
    events_before = count(ReputationEvent)
    response = vote(auth, question, value, question)
    assert response.status_code == status
    assert f"<p>{message}</p>" in response.get_data(as_text=True)
    assert count(Vote) == 0 and count(ReputationEvent) == events_before
    assert fresh(Question, question.id).score == 0


def test_visitor_voting_goes_to_login_and_back(client):
    question = make_question()
    answer = make_answer(question)
    voter = make_user(reputation=15)
    # A visitor's arrow is a plain link, so the card carries no CSRF token
    # and is the same for every visitor (and cached as such).
    login = login_link(question, f"answer-{answer.id}")
    assert f'href="{login}"' in text(client, canonical(question))
    token = csrf_from(client, login)
    response = client.post(
        login,
        data={"login": voter.username, "password": PASSWORD, "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"{canonical(question)}#answer-{answer.id}"
    assert f'action="/posts/{answer.id}/vote"' in text(client, canonical(question))
    assert count(Vote) == 0


def test_a_visitor_vote_post_is_csrf_checked_then_sent_to_login(client):
    question = make_question()
    answer = make_answer(question)
    # Protected like every other POST: no token, no further.
    response = client.post(f"/posts/{answer.id}/vote", data={"value": "1"})
    assert response.status_code == 400
    # With a valid token (a session whose login expired) it leads to login.
    token = csrf_from(client, "/login")
    response = client.post(
        f"/posts/{answer.id}/vote", data={"value": "1", "csrf_token": token}
    )
    assert response.status_code == 302
    assert response.headers["Location"] == f"/login?next={canonical(question)}"
    assert count(Vote) == 0


def test_a_signed_in_vote_without_the_csrf_token_is_refused(client, auth):
    question = make_question()
    auth.login(make_user(reputation=15).username)
    assert 'name="csrf_token"' in vote_form(
        text(client, canonical(question)), question.id
    )
    response = client.post(f"/posts/{question.id}/vote", data={"value": "1"})
    assert response.status_code == 400
    assert count(Vote) == 0


def test_no_buttons_on_own_posts_but_the_score_shows(client, auth):
    question = make_question()
    make_answer(question)
    auth.login(question.owner.username)
    html = text(client, canonical(question))
    own = article(html, f"question-{question.id}")
    assert "vote-form" not in own
    assert '<span class="score-value">0</span>' in own


def test_own_post_vote_by_form_is_refused(client, auth):
    question = make_question(make_user(reputation=500))
    auth.login(question.owner.username)
    response = vote(auth, question, "1", question)
    assert response.status_code == 403
    assert "You cannot vote on your own post." in response.get_data(as_text=True)
    assert count(Vote) == 0


def test_voting_on_a_missing_post_is_a_404(client, auth):
    question = make_question()
    auth.login(make_user(reputation=15).username)
    response = auth.post(
        "/posts/999999/vote", {"value": "1"}, token_from=canonical(question)
    )
    assert response.status_code == 404


def test_deleted_answer_has_no_vote_buttons(client, auth):
    question = make_question()
    answer = make_answer(question)
    posts.delete_post(answer.owner, answer)
    auth.login(make_user(staff=True).username)
    html = text(client, canonical(question))
    assert "vote-form" not in article(html, f"answer-{answer.id}")


def test_vote_counts_need_the_privilege(client, auth):
    question = make_question()
    answer = make_answer(question)
    for value in (1, 1, -1):
        voting.cast_vote(make_user(reputation=125), answer, value)
    auth.login(make_user(reputation=499).username)
    assert "vote-counts" not in text(client, canonical(question))
    auth.logout()
    auth.login(make_user(reputation=500).username)
    card = article(text(client, canonical(question)), f"answer-{answer.id}")
    assert ">up votes </span>+2</span>" in card
    assert ">down votes </span>&minus;1</span>" in card


def test_question_page_votes_do_not_grow_queries_with_answers(client, auth):
    question = make_question()
    viewer = make_user(reputation=600)
    for _ in range(2):
        voting.cast_vote(viewer, make_answer(question), 1)
    auth.login(viewer.username)
    url, ids = canonical(question), (question.id, viewer.id)
    client.get(url)
    few = count_statements(client, url)
    question, viewer = db.session.get(Question, ids[0]), db.session.get(User, ids[1])
    for _ in range(8):
        voting.cast_vote(viewer, make_answer(question), -1)
    many = count_statements(client, url)
    assert many == few
    assert text(client, url).count('aria-pressed="true"') == 10


# ---- Accepting -------------------------------------------------------------------


def test_asker_accepts_switches_and_unaccepts(client, auth):
    question = make_question()
    first = make_answer(question)
    second = make_answer(question)
    auth.login(question.owner.username)
    html = text(client, canonical(question))
    assert html.count(">Accept</button>") == 2
    response = accept(auth, question, second.id)
    assert response.status_code == 302
    assert response.headers["Location"] == f"{canonical(question)}#answer-{second.id}"
    q = fresh(Question, question.id)
    assert (q.accepted_answer_id, q.accepted_by) == (second.id, "asker")
    assert fresh(User, question.owner_id).reputation == 3
    assert fresh(User, second.owner_id).reputation == 16
    html = text(client, response.headers["Location"])
    assert "The answer is accepted as the solution." in html
    # Pinned first, marked, and its button now un-accepts.
    pinned = html.index(f'id="answer-{second.id}"')
    assert pinned < html.index(f'id="answer-{first.id}"')
    card = article(html, f"answer-{second.id}")
    assert "Solution" in card and "Accepted by the asker" in card
    assert '<input type="hidden" name="answer_id" value="">' in card
    assert ">Unaccept</button>" in card

    accept(auth, question, first.id)  # switch: the old acceptance is reversed
    assert fresh(Question, question.id).accepted_answer_id == first.id
    assert fresh(User, second.owner_id).reputation == 1
    assert fresh(User, first.owner_id).reputation == 16
    assert fresh(User, question.owner_id).reputation == 3
    assert [e[:2] for e in ledger(second.owner_id)] == [
        ("answer_accepted", 15),
        ("answer_accepted", -15),
    ]

    response = accept(auth, question, None)
    assert fresh(Question, question.id).accepted_answer_id is None
    assert fresh(User, first.owner_id).reputation == 1
    assert fresh(User, question.owner_id).reputation == 1
    html = text(client, response.headers["Location"])
    assert "No answer is accepted now." in html
    assert 'class="solution-marker"' not in html


def test_staff_acceptance_shows_and_the_asker_replaces_it(client, auth):
    question = make_question()
    staff_pick = make_answer(question)
    asker_pick = make_answer(question)
    staff = make_user(staff=True)
    auth.login(staff.username)
    accept(auth, question, staff_pick.id)
    html = text(client, canonical(question))
    assert "Accepted by staff" in article(html, f"answer-{staff_pick.id}")
    assert fresh(User, staff_pick.owner_id).reputation == 16
    assert fresh(User, question.owner_id).reputation == 1  # staff's pick: no +2
    auth.logout()
    auth.login(question.owner.username)
    accept(auth, question, asker_pick.id)
    q = fresh(Question, question.id)
    assert (q.accepted_answer_id, q.accepted_by) == (asker_pick.id, "asker")
    html = text(client, canonical(question))
    assert "Accepted by staff" not in html
    assert "Accepted by the asker" in article(html, f"answer-{asker_pick.id}")
    assert fresh(User, staff_pick.owner_id).reputation == 1
    assert fresh(User, question.owner_id).reputation == 3


def test_others_cannot_accept(client, auth):
    question = make_question()
    answer = make_answer(question)
    other = make_user(reputation=2000)
    auth.login(other.username)
    assert ">Accept</button>" not in text(client, canonical(question))
    response = accept(auth, question, answer.id)
    assert response.status_code == 403
    html = response.get_data(as_text=True)
    assert "Only the asker or staff can accept an answer." in html
    assert fresh(Question, question.id).accepted_answer_id is None
    assert count(ReputationEvent) == 1  # the bonus that made the 2000


@pytest.mark.parametrize(
    ("answer_id", "message"),
    [
        ("abc", "Must be an answer id or null."),
        ("99999999999", "Must be an answer id or null."),
        ("999999", "No answer with that id."),
        ("other", "That answer belongs to another question."),
    ],
)
def test_bad_accept_input_is_refused_with_a_message(client, auth, answer_id, message):
    question = make_question()
    make_answer(question)
    other = make_answer(make_question())
    if answer_id == "other":
        answer_id = str(other.id)
    auth.login(question.owner.username)
    response = accept(auth, question, answer_id)
    assert response.status_code == 422
    assert message in response.get_data(as_text=True)
    assert fresh(Question, question.id).accepted_answer_id is None
    assert count(ReputationEvent) == 0


def test_visitor_accepting_goes_to_login(client):
    question = make_question()
    answer = make_answer(question)
    token = csrf_from(client, "/login")
    response = client.post(
        f"/questions/{question.id}/accept",
        data={"answer_id": str(answer.id), "csrf_token": token},
    )
    assert response.status_code == 302
    assert response.headers["Location"].startswith("/login?next=")
    assert fresh(Question, question.id).accepted_answer_id is None
