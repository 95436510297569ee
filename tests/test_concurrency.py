"""Concurrent API requests against a served app: votes and accepts stay consistent.

The app is served on 127.0.0.1 by a threaded werkzeug server (one thread per
request, each with its own database session), and a thread pool fires requests
at it together. Runs on SQLite and, with FORUM_TEST_DATABASE_URL, PostgreSQL.
"""

import json
import random
import threading
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import func, select, text
from werkzeug.serving import make_server

from forum.extensions import db
from forum.models import Post, Question, ReputationEvent, User, Vote
from forum.services import reputation, tokens, vote_audit
from tests.factories import PASSWORD, make_answer, make_question, make_user
from tests.helpers import fresh
from tests.ledger import assert_consistent, live

pytestmark = pytest.mark.usefixtures("app_ctx")

# No proxy, whatever the environment says: the server is on 127.0.0.1.
OPENER = urllib.request.build_opener(urllib.request.ProxyHandler({}))
TIMEOUT = 60


@pytest.fixture
def server(app, app_ctx):
    """Serve ``app`` on 127.0.0.1 (a free port) for the test's duration."""
    httpd = make_server("127.0.0.1", 0, app, threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    # The test's own session must not hold a transaction while requests run.
    db.session.commit()
    try:
        yield f"http://127.0.0.1:{httpd.server_port}/api/v1"
    finally:
        httpd.shutdown()
        thread.join(timeout=10)
        httpd.server_close()


def token_for(user: User) -> str:
    """A bearer token for ``user``."""
    raw, _ = tokens.create_token(user.username, PASSWORD)
    return raw


def call(base: str, method: str, path: str, token: str, body: dict) -> tuple:
    """One API request; return (status, decoded JSON or None)."""
    request = urllib.request.Request(
        base + path,
        data=json.dumps(body).encode(),
        method=method,
        headers={
            "Authorization": f"Bearer {token}",
            "Content-Type": "application/json",
        },
    )
    try:
        with OPENER.open(request, timeout=TIMEOUT) as response:
            raw = response.read()
            return response.status, json.loads(raw) if raw else None
    except urllib.error.HTTPError as error:
        with error:
            raw = error.read()
            return error.code, json.loads(raw) if raw else None


def burst(base: str, requests: list[tuple]) -> list[tuple]:
    """Send (method, path, token, body) requests all at once; statuses in order."""
    start = threading.Barrier(len(requests))

    def send(item):
        try:
            start.wait(timeout=TIMEOUT)
        except threading.BrokenBarrierError:
            pass  # a slow starter: send anyway
        return call(base, *item)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(send, requests))


def vote(token, post, value) -> tuple:
    """A vote request for ``burst``."""
    return ("PUT", f"/posts/{post.id}/vote", token, {"value": value})


def accept(token, question, answer) -> tuple:
    """An accepted-answer request for ``burst`` (None un-accepts)."""
    answer_id = answer.id if answer is not None else None
    path = f"/questions/{question.id}/accepted-answer"
    return ("PUT", path, token, {"answer_id": answer_id})


def statuses(results) -> set[int]:
    """The set of status codes of ``burst`` results."""
    return {status for status, _ in results}


def votes_on(post) -> list[Vote]:
    """The vote rows of a post, read afresh."""
    db.session.expire_all()
    return list(db.session.scalars(select(Vote).where(Vote.post_id == post.id)))


def score(post) -> int:
    """A post's stored score, read afresh."""
    return fresh(Post, post.id).score


def assert_sql_invariants() -> None:
    """Scores equal the sum of votes and acceptances are sound, in plain SQL."""
    db.session.expire_all()
    mismatched = db.session.execute(
        text(
            "SELECT p.id, p.score, COALESCE(SUM(v.value), 0) FROM post p"
            " LEFT JOIN vote v ON v.post_id = p.id GROUP BY p.id, p.score"
            " HAVING p.score <> COALESCE(SUM(v.value), 0)"
        )
    ).all()
    assert mismatched == []
    unsound = db.session.execute(
        text(
            "SELECT q.id FROM post q LEFT JOIN post a ON a.id = q.accepted_answer_id"
            " AND a.type = 'answer' AND a.question_id = q.id"
            " AND a.deleted_at IS NULL"
            " WHERE q.type = 'question' AND q.accepted_answer_id IS NOT NULL"
            " AND a.id IS NULL"
        )
    ).all()
    assert unsound == []  # one live answer of the question, or none
    assert reputation.drift() == []


def test_ten_identical_upvotes_count_once(server):
    answer = make_answer(make_question())
    voter = make_user(reputation=20)
    token = token_for(voter)
    results = burst(server, [vote(token, answer, 1)] * 10)
    assert statuses(results) <= {200, 409}
    assert any(status == 200 for status, _ in results)
    for status, body in results:
        if status == 200:
            assert body["my_vote"] == 1 and body["score"] == 1
    assert score(answer) == 1
    assert [v.user_id for v in votes_on(answer)] == [voter.id]
    (event,) = live(answer.owner, "answer_upvoted")
    assert (event.delta, event.actor_id) == (10, voter.id)
    assert (
        db.session.scalar(
            select(func.count(ReputationEvent.id)).where(
                ReputationEvent.kind == "answer_upvoted"
            )
        )
        == 1
    )
    assert_consistent()


def test_twenty_upvotes_by_twenty_users_all_count(server):
    question = make_question()
    crowd = [make_user(reputation=15) for _ in range(20)]
    results = burst(server, [vote(token_for(u), question, 1) for u in crowd])
    assert statuses(results) == {200}
    assert score(question) == 20
    assert len(votes_on(question)) == 20
    assert reputation.ledger_sum(question.owner_id) == 200
    assert db.session.get(User, question.owner_id).reputation == 201
    assert_consistent()


def test_concurrent_upvotes_respect_the_daily_cap(server):
    """Upvotes on two posts of one owner race for the cap's last room."""
    owner = make_user()
    targets = [make_question(owner), make_answer(make_question(), owner)]
    tokens_ = [token_for(make_user(reputation=15)) for _ in range(11)]
    requests = [vote(t, target, 1) for t in tokens_ for target in targets]
    results = burst(server, requests)
    assert statuses(results) == {200}
    assert reputation.ledger_sum(owner.id) == 200  # 22 upvotes, capped
    assert sum(score(post) for post in targets) == 22
    assert_consistent()


def test_one_users_changes_race_each_other(server):
    question = make_question()
    answer = make_answer(question)
    voter = make_user(reputation=200)
    token = token_for(voter)
    rng = random.Random(3)
    for _ in range(3):
        values = [rng.choice((1, -1, 0)) for _ in range(8)]
        results = burst(server, [vote(token, answer, v) for v in values])
        assert statuses(results) <= {200, 409}
        assert len(votes_on(answer)) <= 1
        assert_consistent()


def test_asker_confirming_staffs_choice_concurrently_pays_two_once(server):
    question = make_question()
    answer = make_answer(question)
    staff = make_user(staff=True)
    assert call(server, *accept(token_for(staff), question, answer))[0] == 200
    token = token_for(question.owner)
    results = burst(server, [accept(token, question, answer)] * 8)
    assert statuses(results) <= {200, 409}
    assert len(live(question.owner, "accepted_answer")) == 1
    assert len(live(answer.owner, "answer_accepted")) == 1
    assert fresh(Question, question.id).accepted_by == "asker"
    assert_consistent()


def test_a_mixed_burst_keeps_every_invariant(server):
    """Votes up, down and withdrawn while the asker and staff move the acceptance."""
    question = make_question()
    answers = [make_answer(question) for _ in range(3)]
    posts = [question] + answers
    asker = token_for(question.owner)
    staff = token_for(make_user(staff=True))
    voters = [token_for(make_user(reputation=200)) for _ in range(6)]
    rng = random.Random(20261124)
    for _round in range(3):
        requests = [
            vote(rng.choice(voters), rng.choice(posts), rng.choice((1, -1, 0)))
            for _ in range(19)
        ]
        requests += [
            accept(rng.choice((asker, staff)), question, rng.choice(answers + [None]))
            for _ in range(5)
        ]
        rng.shuffle(requests)
        results = burst(server, requests)
        assert statuses(results) <= {200, 409}, results
        assert_sql_invariants()
        assert_consistent()


def test_deleting_races_accepting_and_voting(server):
    """An answer deleted while it is accepted and voted on: no live leftovers."""
    question = make_question()
    answers = [make_answer(question) for _ in range(4)]
    asker = token_for(question.owner)
    staff = token_for(make_user(staff=True))
    voters = [token_for(make_user(reputation=200)) for _ in range(4)]
    for index, answer in enumerate(answers):
        deleter = staff if index % 2 else token_for(answer.owner)
        requests = [("DELETE", f"/posts/{answer.id}", deleter, {})]
        requests += [accept(asker, question, answer)]
        requests += [
            vote(token, answer, 1 - 2 * (n % 2)) for n, token in enumerate(voters)
        ]
        results = burst(server, requests)
        assert results[0][0] == 204
        assert results[1][0] in {200, 409, 422}
        assert {status for status, _ in results[2:]} <= {200, 403, 404, 409}
        assert_sql_invariants()
        assert_consistent()


def test_concurrent_questions_with_one_new_tag_create_it_once(server):
    askers = [token_for(make_user(reputation=1)) for _ in range(6)]
    body = {"body": "The printer drops off the network after every sleep cycle."}
    statuses = burst(
        server,
        [
            (
                "POST",
                "/questions",
                token,
                dict(
                    body,
                    title=f"Printer offline after sleep, case {i}",
                    tags=["brand-new-tag", "printer"],
                ),
            )
            for i, token in enumerate(askers)
        ],
    )
    assert [status for status, _ in statuses] == [201] * len(askers), statuses
    db.session.rollback()
    tag_ids = db.session.scalars(
        text("SELECT id FROM tag WHERE name = 'brand-new-tag'")
    ).all()
    assert len(tag_ids) == 1
    tagged = db.session.scalar(
        text("SELECT COUNT(*) FROM post_tag WHERE tag_id = :id"), {"id": tag_ids[0]}
    )
    assert tagged == len(askers)


def test_the_vote_audit_racing_the_voter_keeps_the_ledger(server, app):
    """``votes audit`` reverses a pattern while its voter changes those votes."""
    target = make_user()
    posts = [make_question(author=target) for _ in range(4)]
    posts += [make_answer(make_question(), author=target) for _ in range(4)]
    voter = make_user(reputation=200)
    token = token_for(voter)
    results = burst(server, [vote(token, post, 1) for post in posts])
    assert statuses(results) <= {200, 409}, results
    db.session.commit()  # the audit's thread must not wait on this session
    rng = random.Random(20261203)
    found: list = []

    def audit() -> None:
        with app.app_context():
            found.extend(vote_audit.audit())

    auditor = threading.Thread(target=audit)
    auditor.start()
    results = burst(
        server,
        [vote(token, rng.choice(posts), rng.choice((1, -1, 0))) for _ in range(8)],
    )
    auditor.join(timeout=TIMEOUT)
    assert not auditor.is_alive()
    assert statuses(results) <= {200, 409}, results
    assert_sql_invariants()
    assert_consistent()
