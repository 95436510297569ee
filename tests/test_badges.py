"""Badges: awarded by the events that earn them, once; backfill; the pages."""

from datetime import timedelta

import pytest
from sqlalchemy import event, select, update
from sqlalchemy.exc import IntegrityError

from forum import signals
from forum.extensions import db
from forum.models import BadgeAward, utcnow
from forum.services import badges, comments, posts, voting
from forum.services.badge_rules import BADGES
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import text, thresholds

pytestmark = pytest.mark.usefixtures("app_ctx")


def awards(user=None, badge: str | None = None) -> list[BadgeAward]:
    """Badge rows, optionally for one user and one badge, oldest first."""
    db.session.expire_all()
    stmt = select(BadgeAward).order_by(BadgeAward.id)
    if user is not None:
        stmt = stmt.where(BadgeAward.user_id == user.id)
    if badge is not None:
        stmt = stmt.where(BadgeAward.badge == badge)
    return list(db.session.scalars(stmt))


def keys(user) -> list[str]:
    """The badge keys a user holds, sorted (repeats for per-post badges)."""
    return sorted(a.badge for a in awards(user))


def upvote(post, times: int) -> None:
    """``times`` new users with the vote-up privilege upvote ``post``."""
    for _ in range(times):
        voting.cast_vote(make_user(reputation=15), post, 1)


def set_column(post, **values) -> None:
    """Change a post's columns directly, as if it happened before the rules."""
    model = type(post)
    db.session.execute(update(model).where(model.id == post.id).values(**values))
    db.session.commit()


# ---- Awarded right after the event ------------------------------------------


def test_supporter_after_the_first_upvote_and_only_once(app):
    voter = make_user(reputation=15)
    first, second = make_question(), make_question()
    voting.cast_vote(voter, first, 1)
    assert keys(voter) == ["supporter"]
    voting.cast_vote(voter, second, 1)
    voting.cast_vote(voter, first, 0)
    voting.cast_vote(voter, first, 1)
    assert keys(voter) == ["supporter"]
    row = awards(voter)[0]
    assert row.award_key == "" and row.post_id is None


def test_critic_after_the_first_downvote(app):
    voter = make_user(reputation=200)  # downvoting an answer costs 1
    answer = make_answer(make_question())
    voting.cast_vote(voter, answer, -1)
    assert keys(voter) == ["critic"]
    voting.cast_vote(voter, make_answer(make_question()), -1)
    assert keys(voter) == ["critic"]


def test_student_and_teacher_at_score_one_never_revoked(app):
    question = make_question()
    answer = make_answer(question)
    assert keys(question.owner) == [] and keys(answer.owner) == []
    voter = make_user(reputation=15)
    voting.cast_vote(voter, question, 1)
    voting.cast_vote(voter, answer, 1)
    assert keys(question.owner) == ["student"]
    assert keys(answer.owner) == ["teacher"]
    voting.cast_vote(voter, question, 0)  # badges are never taken back
    assert keys(question.owner) == ["student"]
    upvote(question, 1)
    assert keys(question.owner) == ["student"]


def test_nice_question_at_score_ten_once_per_post(app):
    asker = make_user()
    question = make_question(asker)
    upvote(question, 9)
    assert "nice-question" not in keys(asker)
    last = make_user(reputation=15)
    voting.cast_vote(last, question, 1)
    nice = awards(asker, "nice-question")
    assert len(nice) == 1
    assert nice[0].award_key == str(question.id) and nice[0].post_id == question.id
    # Falling to 9 and back to 10 does not award it again; another post does.
    voting.cast_vote(last, question, 0)
    voting.cast_vote(last, question, 1)
    upvote(question, 1)
    assert len(awards(asker, "nice-question")) == 1
    other = make_question(asker)
    upvote(other, 10)
    assert [a.post_id for a in awards(asker, "nice-question")] == [
        question.id,
        other.id,
    ]
    assert keys(asker).count("student") == 1


def test_good_and_great_question_follow_the_configured_thresholds(app):
    thresholds(app, nice_question=1, good_question=2, great_question=3)
    question = make_question()
    upvote(question, 1)
    assert keys(question.owner) == ["nice-question", "student"]
    upvote(question, 2)
    assert keys(question.owner) == [
        "good-question",
        "great-question",
        "nice-question",
        "student",
    ]


def test_answer_score_badges_per_answer(app):
    thresholds(app, nice_answer=2, good_answer=3, great_answer=4)
    answerer = make_user()
    first = make_answer(make_question(), answerer)
    second = make_answer(make_question(), answerer)
    upvote(first, 2)
    assert keys(answerer) == ["nice-answer", "teacher"]
    upvote(first, 2)
    upvote(second, 2)
    assert keys(answerer) == [
        "good-answer",
        "great-answer",
        "nice-answer",
        "nice-answer",
        "teacher",
    ]


def test_scholar_when_the_asker_accepts_someone_elses_answer(app):
    asker = make_user()
    question = make_question(asker)
    own = make_answer(question, asker)
    voting.accept_answer(asker, question, own)
    assert "scholar" not in keys(asker)
    other = make_answer(question)
    voting.accept_answer(asker, question, other)
    assert keys(asker) == ["scholar"]
    voting.accept_answer(asker, question, None)
    voting.accept_answer(asker, question, other)
    assert keys(asker) == ["scholar"]


def test_staff_acceptance_earns_the_asker_no_scholar(app):
    question = make_question()
    answer = make_answer(question)
    voting.accept_answer(make_user(staff=True), question, answer)
    assert keys(question.owner) == []


def test_enlightened_when_an_accepted_answer_reaches_the_score(app):
    thresholds(app, enlightened=2, nice_answer=50)
    question = make_question()
    answer = make_answer(question)
    upvote(answer, 1)
    voting.accept_answer(question.owner, question, answer)
    assert "enlightened" not in keys(answer.owner)
    upvote(answer, 1)  # accepted first, score reached afterwards
    rows = awards(answer.owner, "enlightened")
    assert [(r.award_key, r.post_id) for r in rows] == [(str(answer.id), answer.id)]
    # Score first, accepted afterwards: awarded by the acceptance.
    other_question = make_question()
    other = make_answer(other_question, answer.owner)
    upvote(other, 2)
    voting.accept_answer(other_question.owner, other_question, other)
    assert len(awards(answer.owner, "enlightened")) == 2


def test_solution_provider_after_enough_accepted_answers(app):
    thresholds(app, solution_provider=2)
    answerer = make_user()
    own_question = make_question(answerer)
    voting.accept_answer(answerer, own_question, make_answer(own_question, answerer))
    first = make_question()
    voting.accept_answer(first.owner, first, make_answer(first, answerer))
    assert "solution-provider" not in keys(answerer)  # own questions don't count
    second = make_question()
    voting.accept_answer(second.owner, second, make_answer(second, answerer))
    assert keys(answerer) == ["solution-provider"]


def test_editor_after_the_first_edit(app):
    author = make_user()
    question = make_question(author)
    assert keys(author) == []
    posts.edit_post(author, question, body=question.body_markdown + " Edited now.")
    assert keys(author) == ["editor"]
    posts.edit_post(author, question, body=question.body_markdown + " Again.")
    assert keys(author) == ["editor"]


def test_commentator_counts_live_comments(app):
    commenter = make_user()
    question = make_question(commenter)
    made = [make_comment(question, commenter) for _ in range(9)]
    comments.delete_comment(commenter, made[0])
    make_comment(question, commenter)
    assert keys(commenter) == []  # 9 live comments
    make_comment(question, commenter)
    assert keys(commenter) == ["commentator"]
    make_comment(question, commenter)
    assert keys(commenter) == ["commentator"]


VISITOR_ADDRESSES = {
    "ann": "198.51.100.1",
    "bob": "198.51.100.2",
    "cat": "198.51.100.3",
    "dan": "198.51.100.4",
}


def view(client, question, visitor: str) -> None:
    """Open a question's page as a visitor from their own address (a view,
    counted once per visitor and window)."""
    response = client.get(
        f"/questions/{question.id}/{question.slug}",
        environ_base={"REMOTE_ADDR": VISITOR_ADDRESSES[visitor]},
    )
    assert response.status_code == 200


def test_popular_question_when_a_view_reaches_the_count(app, client):
    question = make_question()
    set_column(question, view_count=998)
    view(client, question, "ann")
    assert keys(question.owner) == []
    view(client, question, "bob")  # view 1000
    assert keys(question.owner) == ["popular-question"]
    view(client, question, "cat")
    view(client, question, "bob")  # not counted again: no new event either
    assert keys(question.owner) == ["popular-question"]
    set_column(question, view_count=9999)
    view(client, question, "dan")
    assert keys(question.owner) == [
        "famous-question",
        "notable-question",
        "popular-question",
    ]


def backdate(question, days: int) -> None:
    """Move a question's creation ``days`` into the past."""
    set_column(question, created_at=utcnow() - timedelta(days=days))


def test_troubleshooter_counts_first_answers_after_a_week(app):
    thresholds(app, troubleshooter=2)
    helper = make_user()
    waited = make_question()
    backdate(waited, 8)
    make_answer(waited, helper)
    recent = make_question()  # unanswered for only three days
    backdate(recent, 3)
    make_answer(recent, helper)
    beaten = make_question()  # someone else answered first
    backdate(beaten, 10)
    make_answer(beaten)
    make_answer(beaten, helper)
    own = make_question(helper)  # answering oneself does not count
    backdate(own, 9)
    make_answer(own, helper)
    assert keys(helper) == []
    second = make_question()
    backdate(second, 7)
    make_answer(second, helper)
    assert keys(helper) == ["troubleshooter"]


def test_badge_awarded_signal_fires_once_per_new_award(app):
    seen = []

    def receiver(sender, award, backfill, **extra):
        # Sent after the commit: the row is there for a fresh query.
        row = db.session.get(BadgeAward, award.id)
        seen.append((row.user_id, row.badge, backfill))

    voter = make_user(reputation=15)
    first, second = make_question(), make_question()
    with signals.badge_awarded.connected_to(receiver):
        voting.cast_vote(voter, first, 1)
        voting.cast_vote(voter, second, 1)
        voting.cast_vote(voter, second, 0)
        voting.cast_vote(voter, second, 1)
    assert sorted(seen) == sorted(
        [
            (voter.id, "supporter", False),
            (first.owner_id, "student", False),
            (second.owner_id, "student", False),
        ]
    )


# ---- Backfill ---------------------------------------------------------------


def test_badges_award_backfills_and_is_idempotent(app, runner):
    question = make_question()
    answer = make_answer(question)
    # Changes made behind the services' back: no event, so no badge yet.
    set_column(question, score=10, view_count=2500)
    set_column(answer, score=1)
    assert awards() == []
    seen = []

    def receiver(sender, award, backfill, **extra):
        seen.append((award.badge, backfill))

    with signals.badge_awarded.connected_to(receiver):
        result = runner.invoke(args=["badges", "award"])
    assert result.exit_code == 0, result.output
    for line in (
        "Student: 1",
        "Teacher: 1",
        "Nice Question: 1",
        "Popular Question: 1",
        "Notable Question: 1",
        "Awarded 5 new badges.",
    ):
        assert line in result.output
    assert "Famous Question" not in result.output
    assert keys(question.owner) == [
        "nice-question",
        "notable-question",
        "popular-question",
        "student",
    ]
    assert keys(answer.owner) == ["teacher"]
    assert len(seen) == 5 and {b for _k, b in seen} == {True}
    again = runner.invoke(args=["badges", "award"])
    assert again.exit_code == 0
    assert again.output.strip() == "Awarded 0 new badges."
    assert len(awards()) == 5


def test_backfill_matches_what_the_events_award(app):
    thresholds(app, commentator=2, solution_provider=1, troubleshooter=1)
    asker, helper = make_user(), make_user(reputation=125)
    question = make_question(asker)
    backdate(question, 8)
    answer = make_answer(question, helper)
    voting.cast_vote(helper, question, -1)
    voting.accept_answer(asker, question, answer)
    make_comment(question, asker)
    make_comment(question, asker)
    posts.edit_post(asker, question, body=question.body_markdown + " More detail.")
    by_events = sorted((a.user_id, a.badge, a.award_key) for a in awards())
    db.session.execute(BadgeAward.__table__.delete())
    db.session.commit()
    counts = badges.award_all()
    by_backfill = sorted((a.user_id, a.badge, a.award_key) for a in awards())
    assert by_backfill == by_events
    assert sum(counts.values()) == len(by_events)
    assert {
        "critic",
        "scholar",
        "commentator",
        "editor",
        "solution-provider",
        "troubleshooter",
    } <= {b for _u, b, _k in by_events}
    assert badges.award_all() == {b.key: 0 for b in BADGES}


def test_awarding_again_adds_nothing_and_the_database_refuses_twins(app):
    voter = make_user(reputation=15)
    voting.cast_vote(voter, make_question(), 1)
    assert badges.award(["supporter"], [voter.id]) == []
    assert badges.award(["supporter"], None) == []
    assert len(awards(voter, "supporter")) == 1
    # What settles a race between two requests: the unique key.
    db.session.add(BadgeAward(user_id=voter.id, badge="supporter", award_key=""))
    with pytest.raises(IntegrityError):
        db.session.commit()
    db.session.rollback()
    assert len(awards(voter, "supporter")) == 1


# ---- Pages ------------------------------------------------------------------


def test_badges_page_lists_every_badge_with_counts(app, client):
    for _ in range(2):
        voting.cast_vote(make_user(reputation=15), make_question(), 1)
    html = text(client, "/badges")
    assert '<a href="/badges">Badges</a>' in html  # the nav link
    for badge in BADGES:
        assert f'href="/badges/{badge.key}">{badge.name}</a>' in html
    assert "Asked a question with a score of 10." in html
    assert "first answer to 10 questions by others that had waited 7 days" in html
    row = html.split('id="badge-supporter"')[1].split("</tr>")[0]
    assert "Bronze" in row and "2 times" in row
    famous = html.split('id="badge-famous-question"')[1].split("</tr>")[0]
    assert "Gold" in famous and "0 times" in famous


def test_badges_page_marks_what_the_viewer_earned(app, client, auth):
    voter = make_user(reputation=15)
    voting.cast_vote(voter, make_question(), 1)
    auth.login(voter.username)
    html = text(client, "/badges")
    assert html.count("(you have it)") == 1
    row = html.split('id="badge-supporter"')[1].split("</tr>")[0]
    assert "(you have it)" in row


def test_badge_page_lists_who_earned_it_with_the_post(app, client):
    thresholds(app, nice_question=1, nice_answer=1)
    question = make_question(title="<script>alert(1)</script> printer offline")
    answer = make_answer(question)
    voter = make_user(reputation=15)
    voting.cast_vote(voter, question, 1)
    voting.cast_vote(voter, answer, 1)
    html = text(client, "/badges/nice-question")
    assert "<h1>Nice Question" in html and "Awarded 1 time." in html
    owner = question.owner
    assert f'href="/users/{owner.id}/{owner.username}">{owner.display_name}</a>' in html
    assert f'href="/questions/{question.id}/{question.slug}">' in html
    assert "&lt;script&gt;alert(1)&lt;/script&gt; printer offline" in html
    assert "<script>alert(1)" not in html
    html = text(client, "/badges/nice-answer")
    assert f'#answer-{answer.id}">an answer to' in html
    html = text(client, "/badges/supporter")
    listed = html.split('class="badge-awards"')[1].split("</ul>")[0]
    assert voter.display_name in listed and "/questions/" not in listed


def test_badge_page_hides_deleted_posts(app, client):
    thresholds(app, nice_question=1)
    question = make_question()
    voting.cast_vote(make_user(reputation=15), question, 1)
    posts.delete_post(make_user(staff=True), question)
    html = text(client, "/badges/nice-question")
    assert "for a post that has since been deleted" in html
    assert question.title not in html


def test_unknown_badges_are_404_and_bad_pages_400(client):
    assert client.get("/badges/no-such-badge").status_code == 404
    assert client.get("/badges/supporter?page=x").status_code == 400
    assert client.get("/badges/supporter?page=0").status_code == 400


def test_badge_names_redirect_to_their_key(client):
    response = client.get("/badges/Nice%20Question")
    assert response.status_code == 301
    assert response.headers["Location"] == "/badges/nice-question"


def test_badge_page_is_paginated_without_n_plus_one(app, client):
    app.config["BADGE_AWARDS_PER_PAGE"] = 5
    thresholds(app, nice_answer=1)
    voter = make_user(reputation=15)

    def statements(url: str) -> int:
        seen = []
        listener = lambda *args: seen.append(args[2])  # noqa: E731
        event.listen(db.engine, "before_cursor_execute", listener)
        try:
            text(client, url)
        finally:
            event.remove(db.engine, "before_cursor_execute", listener)
        return len(seen)

    def answer_and_upvote() -> None:
        voting.cast_vote(voter, make_answer(make_question()), 1)

    for _ in range(2):
        answer_and_upvote()
    text(client, "/badges/nice-answer")  # warm up
    few = statements("/badges/nice-answer")
    for _ in range(5):
        answer_and_upvote()
    assert statements("/badges/nice-answer") == few
    html = text(client, "/badges/nice-answer")
    assert html.count('class="badge-award"') == 5
    html = text(client, "/badges/nice-answer?page=2")
    assert "Awarded 7 times." in html
    assert html.count('class="badge-award"') == 2
    assert 'aria-current="page">2<' in html


def test_profile_shows_badge_counts_and_list(app, client):
    thresholds(app, nice_question=1, good_question=1)
    asker = make_user()
    for _ in range(2):
        voting.cast_vote(make_user(reputation=15), make_question(asker), 1)
    html = text(client, f"/users/{asker.id}/{asker.username}")
    section = html.split('class="profile-badges"')[1].split("</section>")[0]
    assert 'Gold</span> <span class="count">0</span>' in section
    assert 'Silver</span> <span class="count">2</span>' in section
    assert 'Bronze</span> <span class="count">3</span>' in section
    assert 'href="/badges/good-question">Good Question</a>' in section
    assert "× 2" in section and 'href="/badges/student">Student</a>' in section
    empty = make_user()
    html = text(client, f"/users/{empty.id}/{empty.username}")
    assert "No badges yet." in html
