"""Demo content: loaded through the services, once, and every page of it renders."""

import pytest
from flask import url_for
from sqlalchemy import func, select

from forum.demo import available_logins, load_demo, summary
from forum.demo_content import DEMO_PASSWORD, STAFF_PASSWORD, THREADS, USERS
from forum.extensions import db
from forum.models import (
    Answer,
    Comment,
    Post,
    Question,
    Revision,
    Tag,
    User,
    Vote,
    utcnow,
)
from forum.services import users
from forum.services.maintenance import answer_count_drift
from tests.factories import make_user

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_load_demo_creates_a_consistent_community_once(app):
    # One load serves several checks: loading takes seconds (hundreds of commits).
    now = utcnow()
    counts = load_demo(now=now)
    assert counts == summary()
    assert counts["users"] == len(USERS) == 8
    assert counts["questions"] == len(THREADS) == 20
    assert counts["answers"] >= 2 * counts["questions"]
    assert counts["comments"] >= counts["questions"]
    assert counts["votes"] >= 100
    assert counts["accepted answers"] >= 15

    questions = db.session.scalars(select(Question)).all()
    for question in questions:
        assert 2 <= len(question.answers) == question.answer_count
        assert 1 <= len(question.tags) <= 5
    by_staff = [q for q in questions if q.accepted_by == "staff"]
    assert 1 <= len(by_staff) <= 2
    assert answer_count_drift() == []
    check_scores_match_votes()
    check_times(now)
    assert load_demo() is None
    assert summary() == counts


def check_scores_match_votes() -> None:
    """Scores equal the sum of votes; nobody voted on their own post."""
    votes = dict(
        db.session.execute(
            select(Vote.post_id, func.sum(Vote.value)).group_by(Vote.post_id)
        ).all()
    )
    for post in db.session.scalars(select(Post)):
        assert post.score == votes.get(post.id, 0)
        voters = db.session.scalars(select(Vote.user_id).where(Vote.post_id == post.id))
        assert post.owner_id not in set(voters)
    assert any(score < 0 for score in votes.values())


def check_times(now) -> None:
    """Times are spread over weeks, in order, never in the future."""
    questions = db.session.scalars(select(Question).order_by(Question.created_at)).all()
    assert (now - questions[0].created_at).days >= 30
    assert (now - questions[-1].created_at).days <= 3
    for question in questions:
        owner = question.owner
        assert owner.created_at < question.created_at
        answers = question.answers
        assert all(a.created_at > question.created_at for a in answers)
        latest = max([a.created_at for a in answers] + [question.created_at])
        assert question.last_activity_at >= latest
        assert question.last_activity_at <= now
    for revision in db.session.scalars(select(Revision).where(Revision.number == 1)):
        assert revision.created_at == revision.post.created_at
    edits = db.session.scalars(select(Revision).where(Revision.number == 2)).all()
    assert edits
    for revision in edits:
        assert revision.post.created_at < revision.created_at <= now
        assert revision.post.last_edited_at == revision.created_at
    for comment in db.session.scalars(select(Comment)):
        assert comment.post.created_at < comment.created_at <= now
    for vote_time in db.session.scalars(select(Vote.created_at)):
        assert vote_time <= now
    assert db.session.scalar(select(func.max(Tag.created_at))) < now


def test_load_demo_skips_a_database_with_users(app):
    make_user()
    assert load_demo() is None
    assert db.session.scalar(select(func.count(Question.id))) == 0
    assert available_logins() == []


def test_demo_load_if_enabled_respects_the_setting(app, runner):
    app.config["DEMO_CONTENT"] = False
    result = runner.invoke(args=["demo", "load", "--if-enabled"])
    assert result.exit_code == 0
    assert "turned off" in result.output
    assert db.session.scalar(select(func.count(User.id))) == 0


def test_demo_load_command_then_every_page_renders(app, runner, client, auth):
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0, result.output
    assert "Loaded demo content: 8 users, 20 questions" in result.output
    assert f"demo     password {DEMO_PASSWORD}" in result.output
    assert f"staff    password {STAFF_PASSWORD}" in result.output
    result = runner.invoke(args=["demo", "load"])
    assert result.exit_code == 0
    assert "already has users" in result.output
    assert "Demo logins:" in result.output
    assert available_logins() == [
        ("demo", DEMO_PASSWORD, "user"),
        ("staff", STAFF_PASSWORD, "staff"),
    ]

    questions = db.session.scalars(select(Question).order_by(Question.id)).all()
    people = db.session.scalars(select(User).order_by(User.id)).all()
    edited = db.session.scalars(select(Revision.post_id).where(Revision.number == 2))
    with app.test_request_context():
        question_urls = [
            url_for("questions.detail", question_id=q.id, slug=q.slug)
            for q in questions
        ]
        urls = (
            ["/", "/questions?sort=votes", "/questions?sort=active", "/tags", "/users"]
            + question_urls
            + [url_for("questions.tagged", tag=t.name) for t in questions[0].tags]
            + [
                url_for("users.profile", user_id=u.id, username=u.username)
                for u in people
            ]
            + [url_for("posts.revisions", post_id=post_id) for post_id in edited]
        )
    assert len(question_urls) == len(THREADS)
    for visitor, password in (
        ("anonymous", None),
        ("demo", DEMO_PASSWORD),
        ("staff", STAFF_PASSWORD),
    ):
        if password:
            assert auth.login(visitor, password).status_code == 302
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (visitor, url)
        if password:
            auth.logout()
    # The other demo people have passwords nobody knows.
    assert users.authenticate("maria.k", DEMO_PASSWORD) is None

    page = client.get(question_urls[0]).get_data(as_text=True)
    assert questions[0].title in page
    accepted = db.session.get(Answer, questions[0].accepted_answer_id)
    assert accepted.body_html.split("</p>")[0] in page
