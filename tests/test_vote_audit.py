"""``flask --app forum votes audit``: serial voting reversed through the ledger,
and the findings page only staff can read."""

from datetime import timedelta

import pytest
from sqlalchemy import select, update

from forum.extensions import db
from forum.models import Post, ReputationEvent, User, Vote, VoteAuditFinding, utcnow
from forum.services import voting
from tests.factories import make_answer, make_question, make_user
from tests.helpers import count, fresh
from tests.ledger import assert_consistent

pytestmark = pytest.mark.usefixtures("app_ctx")


def audit(runner, *flags):
    """Run ``votes audit`` and return the result (exit code checked)."""
    result = runner.invoke(args=["votes", "audit", *flags])
    assert result.exit_code == 0, result.output
    assert "Traceback" not in result.output
    return result


def posts_of(target: User, n: int) -> list[Post]:
    """``n`` posts by ``target``: questions and answers to others' questions."""
    posts: list[Post] = []
    for i in range(n):
        if i % 2:
            posts.append(make_answer(make_question(), author=target))
        else:
            posts.append(make_question(author=target))
    return posts


def vote_all(voter: User, posts: list[Post], value: int = 1) -> None:
    """``voter`` votes ``value`` on every post."""
    for post in posts:
        voting.cast_vote(voter, post, value)


def age_votes(voter: User, posts: list[Post], hours: float) -> None:
    """Move the voter's votes on these posts ``hours`` into the past."""
    db.session.execute(
        update(Vote)
        .where(Vote.user_id == voter.id, Vote.post_id.in_([p.id for p in posts]))
        .values(created_at=utcnow() - timedelta(hours=hours))
    )
    db.session.commit()


def snapshot() -> tuple:
    """Votes, scores, reputations and ledger rows as they are now."""
    db.session.expire_all()
    return (
        sorted(db.session.execute(select(Vote.user_id, Vote.post_id, Vote.value))),
        sorted(db.session.execute(select(Post.id, Post.score))),
        sorted(db.session.execute(select(User.id, User.reputation))),
        count(ReputationEvent),
        count(VoteAuditFinding),
    )


def verify_and_recount_agree(runner) -> None:
    """The existing checks find no drift after the audit."""
    result = runner.invoke(args=["reputation", "verify"])
    assert result.exit_code == 0, result.output
    result = runner.invoke(args=["recount", "--check"])
    assert result.exit_code == 0, result.output


def test_serial_upvotes_are_reversed_and_reputation_restored(runner):
    target = make_user(username="target")
    posts = posts_of(target, 5)
    voter = make_user(username="friend", reputation=20)
    bystander_post = make_question()
    voting.cast_vote(voter, bystander_post, 1)  # one vote on someone else stays
    before = fresh(User, target.id).reputation
    vote_all(voter, posts)
    assert fresh(User, target.id).reputation == before + 5 * 10

    result = audit(runner)

    assert "friend (id" in result.output and "target (id" in result.output
    assert "5 upvotes reversed; reputation -50 for target" in result.output
    assert "1 serial voting pattern(s)" in result.output
    assert fresh(User, target.id).reputation == before
    assert db.session.scalar(select(Vote).where(Vote.user_id == voter.id)).post_id == (
        bystander_post.id
    )
    assert all(fresh(Post, p.id).score == 0 for p in posts)
    finding = db.session.scalar(select(VoteAuditFinding))
    assert (finding.voter_id, finding.target_id, finding.value, finding.votes) == (
        voter.id,
        target.id,
        1,
        5,
    )
    assert finding.target_change == -50
    assert_consistent()
    verify_and_recount_agree(runner)


def test_serial_downvotes_are_reversed_for_both_users(runner):
    target = make_user(username="victim", reputation=200)
    posts = posts_of(target, 6)  # three questions, three answers
    voter = make_user(username="grudge", reputation=200)
    vote_all(voter, posts, -1)
    assert fresh(User, target.id).reputation == 200 - 6 * 2
    assert fresh(User, voter.id).reputation == 200 - 3 * 1

    result = audit(runner)

    assert "6 downvotes reversed; reputation +12 for victim, +3 for grudge" in (
        result.output
    )
    assert fresh(User, target.id).reputation == 200
    assert fresh(User, voter.id).reputation == 200
    assert count(Vote) == 0
    assert_consistent()
    verify_and_recount_agree(runner)


def test_below_the_threshold_nothing_changes(runner, app):
    target = make_user()
    voter = make_user(reputation=200)
    threshold = app.config["SERIAL_VOTE_THRESHOLD"]
    posts = posts_of(target, threshold)
    vote_all(voter, posts[:-1])  # one short of a pattern upwards...
    voting.cast_vote(voter, posts[-1], -1)  # ...and a downvote does not add to it
    before = snapshot()

    result = audit(runner)

    assert "0 serial voting pattern(s)" in result.output
    assert snapshot() == before


def test_votes_outside_the_window_are_untouched(runner, app):
    target = make_user()
    voter = make_user(reputation=20)
    posts = posts_of(target, 5)
    vote_all(voter, posts)
    hours = app.config["SERIAL_VOTE_WINDOW_HOURS"]
    age_votes(voter, posts[:2], hours + 1)  # only three left in the window
    before = snapshot()

    result = audit(runner)

    assert "0 serial voting pattern(s)" in result.output
    assert snapshot() == before


def test_only_the_votes_inside_the_window_are_reversed(runner, app):
    target = make_user()
    voter = make_user(reputation=20)
    posts = posts_of(target, 7)
    vote_all(voter, posts)
    age_votes(voter, posts[:2], app.config["SERIAL_VOTE_WINDOW_HOURS"] + 1)

    audit(runner)

    kept = set(db.session.scalars(select(Vote.post_id)))
    assert kept == {posts[0].id, posts[1].id}
    assert fresh(User, target.id).reputation == 1 + 2 * 10
    assert_consistent()


def test_dry_run_reports_and_changes_nothing(runner):
    target = make_user(username="dryrun_target")
    voter = make_user(username="dryrun_voter", reputation=20)
    vote_all(voter, posts_of(target, 5))
    before = snapshot()

    result = audit(runner, "--dry-run")

    assert "5 upvotes would reverse; reputation -50 for dryrun_target" in (
        result.output
    )
    assert "dry run: nothing changed" in result.output
    assert snapshot() == before


def test_a_second_run_reverses_nothing_more(runner):
    target = make_user()
    voter = make_user(reputation=20)
    vote_all(voter, posts_of(target, 5))
    audit(runner)
    after_first = snapshot()

    result = audit(runner)

    assert "0 serial voting pattern(s)" in result.output
    assert snapshot() == after_first
    assert count(VoteAuditFinding) == 1


def test_the_upvote_cap_is_respected_by_the_reversal(runner, app):
    app.config["REPUTATION_DAILY_CAP"] = 30
    target = make_user()
    voter = make_user(reputation=20)
    vote_all(voter, posts_of(target, 5))  # earned 50, the cap paid 30
    assert fresh(User, target.id).reputation == 31

    result = audit(runner)

    assert "reputation -30 for" in result.output
    assert fresh(User, target.id).reputation == 1
    assert_consistent()


def staff_page(client):
    """The findings page as the client's user sees it."""
    return client.get("/admin/vote-audit")


def test_staff_read_the_findings_and_others_cannot(runner, client, auth):
    target = make_user(username="farmed")
    voter = make_user(username="farmer", reputation=20)
    vote_all(voter, posts_of(target, 5))
    audit(runner)
    staff = make_user(username="moderator", staff=True)
    plain = make_user(username="plain")

    assert staff_page(client).status_code == 404  # visitors
    auth.login(plain.username)
    assert staff_page(client).status_code == 404
    assert "/admin/vote-audit" not in client.get("/").get_data(as_text=True)
    auth.logout()

    auth.login(staff.username)
    assert "/admin/vote-audit" in client.get("/").get_data(as_text=True)
    response = staff_page(client)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "farmer" in html and "farmed" in html
    assert "-50" in html
