"""Reputation rules: the append-only ledger behind votes, accepts and deletions."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Post, Question, ReputationEvent, User, Vote, utcnow
from forum.services import posts, reputation, voting
from forum.services.errors import PermissionDenied, ValidationError
from tests.factories import make_answer, make_question, make_user
from tests.helpers import API, assert_error, bearer, count, fresh
from tests.ledger import assert_consistent, live

pytestmark = pytest.mark.usefixtures("app_ctx")

VOTER_REP = 200  # enough to vote up (15) and down (125)


# --- helpers -----------------------------------------------------------------


def rows() -> list[tuple]:
    """Every ledger row as a plain tuple, oldest first (to prove rows never change)."""
    db.session.expire_all()
    return [
        (e.id, e.user_id, e.post_id, e.actor_id, e.kind, e.delta, e.reverses_id)
        for e in db.session.scalars(
            select(ReputationEvent).order_by(ReputationEvent.id)
        )
    ]


def new_rows(before: list[tuple]) -> list[tuple]:
    """Rows written since ``before``; fails if any earlier row changed or vanished."""
    after = rows()
    assert after[: len(before)] == before, "ledger rows were edited or deleted"
    return after[len(before) :]


def rep(user: User) -> int:
    """The user's cached reputation, read afresh."""
    return fresh(User, user.id).reputation


def gained(user: User, since: list[tuple]) -> int:
    """The sum of the user's deltas written since the ``since`` snapshot."""
    return sum(row[5] for row in new_rows(since) if row[1] == user.id)


def voters(n: int, rep_: int = VOTER_REP) -> list[User]:
    """``n`` users who may vote both ways."""
    return [make_user(reputation=rep_) for _ in range(n)]


# --- votes ---------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kind", "is_answer"), [("question_upvoted", False), ("answer_upvoted", True)]
)
def test_upvote_gives_the_owner_ten(kind, is_answer):
    question = make_question()
    post = make_answer(question) if is_answer else question
    (voter,) = voters(1)
    before = rows()
    assert voting.cast_vote(voter, post, 1) == 1
    added = new_rows(before)
    assert added == [(added[0][0], post.owner_id, post.id, voter.id, kind, 10, None)]
    assert rep(post.owner) == 11
    assert rep(voter) == VOTER_REP
    assert_consistent()


def test_downvote_on_a_question_costs_only_the_owner():
    question = make_question()
    question.owner and reputation.grant(question.owner, 50)
    (voter,) = voters(1)
    before = rows()
    assert voting.cast_vote(voter, question, -1) == -1
    added = new_rows(before)
    assert [(r[1], r[4], r[5]) for r in added] == [
        (question.owner_id, "post_downvoted", -2)
    ]
    assert rep(question.owner) == 49
    assert rep(voter) == VOTER_REP
    assert_consistent()


def test_downvote_on_an_answer_costs_the_owner_two_and_the_voter_one():
    answer = make_answer(make_question(), make_user(reputation=50))
    (voter,) = voters(1)
    before = rows()
    voting.cast_vote(voter, answer, -1)
    added = new_rows(before)
    assert sorted((r[1], r[4], r[5]) for r in added) == sorted(
        [(answer.owner_id, "post_downvoted", -2), (voter.id, "downvoted_answer", -1)]
    )
    assert rep(answer.owner) == 48
    assert rep(voter) == VOTER_REP - 1
    assert_consistent()


def test_changing_up_to_down_writes_reversing_events():
    answer = make_answer(make_question(), make_user(reputation=50))
    (voter,) = voters(1)
    voting.cast_vote(voter, answer, 1)
    (upvote,) = live(answer.owner, "answer_upvoted")
    before = rows()
    assert voting.cast_vote(voter, answer, -1) == -1
    added = new_rows(before)
    assert len(added) == 3
    reversal = [r for r in added if r[6] is not None]
    assert reversal == [
        (
            reversal[0][0],
            answer.owner_id,
            answer.id,
            voter.id,
            "answer_upvoted",
            -10,
            upvote.id,
        ),
    ]
    assert rep(answer.owner) == 50 - 2
    assert rep(voter) == VOTER_REP - 1
    assert db.session.scalar(select(Vote.value).where(Vote.post_id == answer.id)) == -1
    assert_consistent()


def test_changing_down_to_up_reverses_both_downvote_events():
    answer = make_answer(make_question(), make_user(reputation=50))
    (voter,) = voters(1)
    voting.cast_vote(voter, answer, -1)
    downs = live(answer.owner, "post_downvoted") + live(voter, "downvoted_answer")
    before = rows()
    assert voting.cast_vote(voter, answer, 1) == 1
    added = new_rows(before)
    assert {r[6] for r in added if r[6]} == {e.id for e in downs}
    assert rep(answer.owner) == 60
    assert rep(voter) == VOTER_REP
    assert_consistent()


@pytest.mark.parametrize("value", [1, -1])
def test_withdrawing_a_vote_reverses_its_events_and_deletes_the_vote(value):
    answer = make_answer(make_question(), make_user(reputation=50))
    (voter,) = voters(1)
    start = rows()
    voting.cast_vote(voter, answer, value)
    before = rows()
    assert voting.cast_vote(voter, answer, 0) == 0
    added = new_rows(before)
    originals = {r[0]: r for r in before[len(start) :]}
    assert len(added) == len(originals)
    for row in added:
        first = originals[row[6]]
        assert (row[1], row[4], row[5]) == (first[1], first[4], -first[5])
    assert count(Vote) == 0
    assert rep(answer.owner) == 50 and rep(voter) == VOTER_REP
    assert_consistent()


def test_repeating_the_same_vote_writes_nothing():
    question = make_question()
    (voter,) = voters(1)
    voting.cast_vote(voter, question, 1)
    before = rows()
    assert voting.cast_vote(voter, question, 1) == 1
    assert voting.cast_vote(make_user(), question, 0) == 1  # nothing to withdraw
    assert new_rows(before) == []
    assert count(Vote) == 1


# --- accepted answers ------------------------------------------------------------


def test_asker_accepting_gives_fifteen_and_two():
    question = make_question()
    answer = make_answer(question)
    before = rows()
    voting.accept_answer(question.owner, question, answer)
    added = new_rows(before)
    assert sorted((r[1], r[2], r[4], r[5]) for r in added) == sorted(
        [
            (answer.owner_id, answer.id, "answer_accepted", 15),
            (question.owner_id, answer.id, "accepted_answer", 2),
        ]
    )
    assert rep(answer.owner) == 16 and rep(question.owner) == 3
    assert question.accepted_by == "asker"
    assert_consistent()


def test_accepting_your_own_answer_earns_nothing():
    question = make_question()
    own = make_answer(question, question.owner)
    before = rows()
    voting.accept_answer(question.owner, question, own)
    assert new_rows(before) == []
    assert question.accepted_answer_id == own.id
    assert rep(question.owner) == 1


def test_staff_accepting_gives_fifteen_but_no_two_then_the_asker_confirms():
    question = make_question()
    answer = make_answer(question)
    staff = make_user(staff=True)
    before = rows()
    voting.accept_answer(staff, question, answer)
    added = new_rows(before)
    assert [(r[1], r[4], r[5]) for r in added] == [
        (answer.owner_id, "answer_accepted", 15)
    ]
    assert question.accepted_by == "staff"
    assert rep(staff) == 1 and rep(question.owner) == 1

    before = rows()
    voting.accept_answer(staff, question, answer)  # again: nothing
    voting.accept_answer(question.owner, question, answer)
    added = new_rows(before)
    assert [(r[1], r[4], r[5]) for r in added] == [
        (question.owner_id, "accepted_answer", 2)
    ]
    db.session.refresh(question)
    assert question.accepted_by == "asker"
    assert rep(answer.owner) == 16 and rep(question.owner) == 3

    before = rows()
    voting.accept_answer(question.owner, question, answer)  # a repeat: nothing
    voting.accept_answer(staff, question, answer)  # staff cannot undo "asker"
    assert new_rows(before) == []
    db.session.refresh(question)
    assert question.accepted_by == "asker"
    assert_consistent()


def test_moving_and_removing_the_acceptance_reverses_it():
    question = make_question()
    first, second = make_answer(question), make_answer(question)
    voting.accept_answer(question.owner, question, first)
    paid = {e.id for e in live(first.owner, "answer_accepted")}
    paid |= {e.id for e in live(question.owner, "accepted_answer")}
    before = rows()
    voting.accept_answer(question.owner, question, second)
    added = new_rows(before)
    assert {r[6] for r in added if r[6]} == paid
    assert rep(first.owner) == 1 and rep(second.owner) == 16
    assert rep(question.owner) == 3

    before = rows()
    voting.accept_answer(question.owner, question, None)
    added = new_rows(before)
    assert sorted(r[5] for r in added) == [-15, -2] and all(r[6] for r in added)
    assert question.accepted_answer_id is None and question.accepted_by is None
    assert rep(second.owner) == 1 and rep(question.owner) == 1
    assert_consistent()


def test_staff_moving_an_askers_acceptance_takes_back_the_askers_two():
    question = make_question()
    first, second = make_answer(question), make_answer(question)
    staff = make_user(staff=True)
    voting.accept_answer(question.owner, question, first)
    voting.accept_answer(staff, question, second)
    assert question.accepted_by == "staff"
    assert rep(question.owner) == 1
    assert rep(first.owner) == 1 and rep(second.owner) == 16
    assert_consistent()


def test_accepts_are_not_capped():
    question = make_question()
    answer = make_answer(question)
    for voter in voters(20, rep_=15):
        voting.cast_vote(voter, answer, 1)
    assert rep(answer.owner) == 201
    voting.accept_answer(question.owner, question, answer)
    assert rep(answer.owner) == 216
    assert_consistent()


def test_accept_guards_write_nothing():
    question = make_question()
    answer = make_answer(question)
    other = make_answer(make_question())
    before = rows()
    with pytest.raises(PermissionDenied):
        voting.accept_answer(answer.owner, question, answer)
    with pytest.raises(ValidationError):
        voting.accept_answer(question.owner, question, other)
    assert new_rows(before) == []
    assert db.session.get(Question, question.id).accepted_answer_id is None


# --- deletion --------------------------------------------------------------------


def voted_answer():
    """An answer with one upvote and one downvote, accepted by the asker."""
    question = make_question()
    answer = make_answer(question, make_user(reputation=50))
    up, down = voters(2)
    voting.cast_vote(up, answer, 1)
    voting.cast_vote(down, answer, -1)
    voting.accept_answer(question.owner, question, answer)
    assert rep(answer.owner) == 50 + 10 - 2 + 15
    return question, answer, up, down


@pytest.mark.parametrize("by_staff", [False, True])
def test_deleting_a_post_reverses_its_events(by_staff):
    question, answer, up, down = voted_answer()
    deleter = make_user(staff=True) if by_staff else answer.owner
    before = rows()
    posts.delete_post(deleter, answer)
    added = new_rows(before)
    assert len(added) == 5  # +10, -2, -1, +15, +2
    assert all(r[6] is not None and r[3] == deleter.id for r in added)
    assert rep(answer.owner) == 50
    assert rep(down) == VOTER_REP and rep(question.owner) == 1
    db.session.refresh(question)
    assert question.accepted_answer_id is None and question.accepted_by is None
    assert count(Vote) == 2  # votes stay; they pay again on undelete
    assert_consistent()


@pytest.mark.parametrize("reason", ["spam", "offensive"])
def test_staff_delete_as_spam_costs_100_and_undelete_restores(reason):
    question, answer, up, down = voted_answer()
    reputation.grant(answer.owner, 100)
    staff = make_user(staff=True)
    posts.delete_post(staff, answer, reason)
    assert rep(answer.owner) == 150 - 100
    (penalty,) = live(answer.owner, "spam_penalty")
    assert (penalty.delta, penalty.actor_id) == (-100, staff.id)

    before = rows()
    posts.undelete_post(staff, answer)
    added = new_rows(before)
    assert [r for r in added if r[6]] == [
        (
            added[0][0],
            answer.owner_id,
            answer.id,
            staff.id,
            "spam_penalty",
            100,
            penalty.id,
        ),
    ]
    # The votes pay again (+10 -2, and -1 to the downvoter); the accept does not
    # come back, because deleting un-accepted the answer.
    assert rep(answer.owner) == 150 + 10 - 2
    assert rep(down) == VOTER_REP - 1
    assert_consistent()


def test_a_plain_delete_has_no_penalty_and_spam_needs_staff():
    question, answer, up, down = voted_answer()
    with pytest.raises(PermissionDenied):
        posts.delete_post(answer.owner, answer, "spam")
    posts.delete_post(make_user(staff=True), answer, "obsolete")
    assert live(answer.owner, "spam_penalty") == []
    assert rep(answer.owner) == 50
    assert_consistent()


def test_spam_penalty_stops_at_one():
    question = make_question()
    posts.delete_post(make_user(staff=True), question, "spam")
    assert reputation.ledger_sum(question.owner_id) == -100
    assert rep(question.owner) == 1
    assert_consistent()


def test_deleting_a_question_reverses_only_the_questions_events():
    question = make_question()
    answer = make_answer(question)
    (voter,) = voters(1)
    voting.cast_vote(voter, question, 1)
    voting.cast_vote(voter, answer, 1)
    posts.delete_post(make_user(staff=True), question)
    assert rep(question.owner) == 1
    assert rep(answer.owner) == 11
    assert_consistent()


# --- the daily cap and the floor ------------------------------------------------


def test_upvotes_are_capped_at_200_a_day_and_the_rest_is_lost():
    question = make_question()
    owner = question.owner
    crowd = voters(21, rep_=15)
    for voter in crowd:
        voting.cast_vote(voter, question, 1)
    assert db.session.get(Post, question.id).score == 21
    assert rep(owner) == 201  # 1 + 200, not 1 + 210
    assert sorted(e.delta for e in live(owner, "question_upvoted")) == [0] + [10] * 20

    # Withdrawing the unpaid 21st vote reverses exactly what it paid: nothing.
    before = rows()
    voting.cast_vote(crowd[-1], question, 0)
    assert [r[5] for r in new_rows(before)] == [0]
    assert rep(owner) == 201

    # Withdrawing a paid vote takes back its 10; what the cap withheld earlier
    # is not paid after all.
    voting.cast_vote(crowd[0], question, 0)
    assert rep(owner) == 191
    # A fresh upvote today is paid again, up to the cap and no further.
    voting.cast_vote(crowd[0], question, 1)
    voting.cast_vote(crowd[-1], question, 1)
    assert rep(owner) == 201
    assert_consistent()


def test_a_partly_capped_upvote_reverses_exactly_what_it_paid():
    question = make_question()
    owner = question.owner
    crowd = voters(19, rep_=15)
    for voter in crowd:
        voting.cast_vote(voter, question, 1)
    answer = make_answer(make_question(), owner)
    # 190 paid today: room for 10. A downvote does not count against the cap.
    (critic,) = voters(1)
    voting.cast_vote(critic, answer, -1)
    reputation.grant(owner, -5, kind="bonus")  # not an upvote: no effect on the cap
    voting.cast_vote(crowd[0], answer, 1)
    (paid,) = [e for e in live(owner, "answer_upvoted")]
    assert paid.delta == 10
    voting.cast_vote(crowd[1], answer, 0)  # nothing to withdraw
    # Drop an earlier upvote, then two new upvotes share the 10 left.
    voting.cast_vote(crowd[2], question, 0)
    voting.cast_vote(crowd[2], answer, 1)
    voting.cast_vote(crowd[3], answer, 1)
    deltas = sorted(e.delta for e in live(owner, "answer_upvoted"))
    assert deltas == [0, 10, 10]
    before = rows()
    voting.cast_vote(crowd[0], answer, 0)
    assert [r[5] for r in new_rows(before)] == [-10]
    assert_consistent()


def test_the_cap_is_per_utc_day():
    question = make_question()
    owner = question.owner
    crowd = voters(21, rep_=15)
    for voter in crowd[:20]:
        voting.cast_vote(voter, question, 1)
    assert rep(owner) == 201
    # Yesterday's upvotes (and their reversals) do not count against today.
    yesterday = utcnow() - timedelta(days=1)
    db.session.execute(
        update(ReputationEvent)
        .where(ReputationEvent.user_id == owner.id)
        .values(created_at=yesterday)
    )
    db.session.commit()
    voting.cast_vote(crowd[20], question, 1)
    assert rep(owner) == 211
    voting.cast_vote(crowd[0], question, 0)  # reverses yesterday's 10, today
    assert rep(owner) == 201
    assert reputation.upvote_total_today(owner.id, utcnow()) == 10
    assert_consistent()


def test_reputation_never_goes_below_one():
    question = make_question()
    answer = make_answer(question)
    assert rep(answer.owner) == 1
    critics = voters(3)
    for critic in critics:
        voting.cast_vote(critic, answer, -1)
    assert reputation.ledger_sum(answer.owner_id) == -6
    assert rep(answer.owner) == 1
    # The floor applies to the sum: the ledger is not rewritten to hide it.
    voting.cast_vote(critics[0], answer, 1)
    assert reputation.ledger_sum(answer.owner_id) == -6 + 2 + 10
    assert rep(answer.owner) == 7
    for critic in critics:
        voting.cast_vote(critic, answer, 0)
    assert rep(answer.owner) == 1
    assert reputation.ledger_sum(answer.owner_id) == 0
    assert_consistent()


# --- through the API -----------------------------------------------------------


def test_api_vote_and_accept_write_the_same_ledger(client):
    question = make_question()
    answer = make_answer(question)
    (voter,) = voters(1)
    headers = bearer(client, voter)
    response = client.put(
        f"{API}/posts/{answer.id}/vote", json={"value": 1}, headers=headers
    )
    assert response.status_code == 200
    assert response.json == {"score": 1, "my_vote": 1}
    response = client.put(
        f"{API}/questions/{question.id}/accepted-answer",
        json={"answer_id": answer.id},
        headers=bearer(client, question.owner),
    )
    assert response.status_code == 200
    assert response.json["accepted_answer_id"] == answer.id
    assert response.json["accepted_by"] == "asker"
    assert rep(answer.owner) == 1 + 10 + 15 and rep(question.owner) == 3
    response = client.put(
        f"{API}/posts/{answer.id}/vote", json={"value": 0}, headers=headers
    )
    assert response.json == {"score": 0, "my_vote": 0}
    assert rep(answer.owner) == 16
    deltas = db.session.scalars(
        select(ReputationEvent.delta).where(ReputationEvent.user_id == answer.owner_id)
    )
    assert sorted(deltas) == [-10, 10, 15]
    assert_consistent()


def test_api_abuse_gets_a_clear_4xx_and_writes_nothing(client):
    question = make_question()
    answer = make_answer(question)
    elsewhere = make_answer(make_question())
    newcomer = bearer(client, make_user())
    upvoter = bearer(client, make_user(reputation=20))
    owner = bearer(client, answer.owner)
    asker = bearer(client, question.owner)
    before = rows()
    votes = [
        (owner, 1, 403, "own post"),
        (newcomer, 1, 403, "15 reputation"),
        (upvoter, -1, 403, "125 reputation"),
        (newcomer, 2, 422, None),
        (newcomer, True, 422, None),
    ]
    for headers, value, status, words in votes:
        response = client.put(
            f"{API}/posts/{answer.id}/vote", json={"value": value}, headers=headers
        )
        error = assert_error(response, status)
        if words:
            assert words in error["message"]
    url = f"{API}/questions/{question.id}/accepted-answer"
    assert_error(client.put(url, json={"answer_id": elsewhere.id}, headers=asker), 422)
    assert_error(client.put(url, json={"answer_id": answer.id}, headers=owner), 403)
    assert new_rows(before) == []
    assert count(Vote) == 0
    # Double accepting: the second is a no-op, not a second payment.
    for _ in range(2):
        response = client.put(url, json={"answer_id": answer.id}, headers=asker)
        assert response.status_code == 200
    assert rep(answer.owner) == 16 and rep(question.owner) == 3
    assert len(new_rows(before)) == 2
    assert_consistent()


def test_api_delete_reverses_and_staff_spam_penalises(client):
    question, answer, up, down = voted_answer()
    staff = bearer(client, make_user(staff=True))
    response = client.delete(
        f"{API}/posts/{answer.id}", json={"reason": "spam"}, headers=staff
    )
    assert response.status_code == 204
    assert rep(answer.owner) == 1  # 50 - 100, floored
    assert reputation.ledger_sum(answer.owner_id) == 49 - 100
    assert rep(question.owner) == 1 and rep(down) == VOTER_REP
    assert_consistent()
