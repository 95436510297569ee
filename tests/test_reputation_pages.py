"""Ranks beside names, the profile's reputation chart and ledger, the user list's
period tabs, the solved filters and the privileges help page."""

import re
from datetime import timedelta

import pytest
from sqlalchemy import update

from forum.extensions import db
from forum.models import ReputationEvent, User, utcnow
from forum.services import posts, reputation, voting
from tests.factories import make_answer, make_comment, make_question, make_user
from tests.helpers import canonical, text

pytestmark = pytest.mark.usefixtures("app_ctx")


def profile(user: User) -> str:
    """The canonical path of a profile."""
    return f"/users/{user.id}/{user.username}"


def plain(html: str) -> str:
    """The page's text without tags, whitespace collapsed."""
    return " ".join(re.sub(r"<[^>]+>", " ", html).split())


def age_events(user_id: int, days: float) -> None:
    """Move all of a user's ledger events ``days`` into the past."""
    db.session.execute(
        update(ReputationEvent)
        .where(ReputationEvent.user_id == user_id)
        .values(created_at=utcnow() - timedelta(days=days))
    )
    db.session.commit()


def name_with_rank(user: User, rank: str) -> str:
    """The markup of a linked name followed by its rank badge."""
    return (
        f'href="/users/{user.id}/{user.username}">{user.display_name}</a> '
        f'<span class="rank" title="Rank: {rank}">'
    )


# ---- Ranks -----------------------------------------------------------------------


def test_rank_is_shown_beside_names_everywhere(client):
    asker = make_user(reputation=60)  # Contributor
    answerer = make_user(reputation=250)  # Helper
    commenter = make_user(reputation=1200)  # Expert
    question = make_question(asker)
    answer = make_answer(question, answerer)
    make_comment(answer, commenter)
    posts.edit_post(asker, question, body="An edited body that is long enough to pass.")
    listed = text(client, "/")
    assert name_with_rank(asker, "Contributor") in listed
    page = text(client, canonical(question))
    assert name_with_rank(asker, "Contributor") in page
    assert name_with_rank(answerer, "Helper") in page
    assert name_with_rank(commenter, "Expert") in page
    assert 'title="Reputation">250<' in page
    users_page = text(client, "/users")
    assert name_with_rank(commenter, "Expert") in users_page
    revisions = text(client, f"/posts/{question.id}/revisions")
    assert name_with_rank(asker, "Contributor") in revisions
    own = text(client, profile(answerer))
    assert '<span class="rank" title="Rank: Helper">' in own
    assert '<dd class="profile-rank">Helper</dd>' in own


def test_rank_follows_reputation_changes(client):
    owner = make_user(reputation=49)
    question = make_question(owner)
    assert name_with_rank(owner, "Newcomer") in text(client, canonical(question))
    voting.cast_vote(make_user(reputation=15), question, 1)
    assert name_with_rank(owner, "Contributor") in text(client, canonical(question))


# ---- The profile's reputation -----------------------------------------------------


def test_profile_shows_chart_and_ledger(client):
    owner = make_user()
    question = make_question(owner, title="Printer offline after the big update")
    answer = make_answer(make_question(), owner)
    voter = make_user(reputation=125)
    voting.cast_vote(voter, question, 1)
    voting.cast_vote(voter, answer, 1)
    voting.cast_vote(voter, answer, 0)  # withdrawn: a reversal
    voting.cast_vote(voter, answer, -1)
    age_events(owner.id, 3)
    db.session.add(ReputationEvent(user_id=owner.id, kind="bonus", delta=5))
    db.session.commit()
    reputation.refresh_caches([owner.id])
    db.session.commit()
    html = text(client, profile(owner))
    assert '<svg class="rep-chart-svg" role="img" aria-label="Reputation"' in html
    assert "<title>Reputation</title>" in html
    svg = html.split("<svg", 1)[1].split("</svg>", 1)[0]
    points = re.search(r'<polyline class="rep-line" points="([^"]+)"', svg).group(1)
    assert len(points.split()) >= 3
    days = (utcnow() - timedelta(days=3)).strftime("%b %-d, %Y")
    today = utcnow().strftime("%b %-d, %Y")
    assert f">{days}</text>" in svg and f">{today}</text>" in svg
    assert ">14</text>" in svg and ">9</text>" in svg  # max and min
    ledger = plain(html.split('class="rep-ledger"', 1)[1].split("</ol>", 1)[0])
    assert "+10 upvote on 'Printer offline after the big update' 3 days ago" in ledger
    assert "−10 upvote (reversed) on" in ledger
    assert "−2 downvote on" in ledger
    assert ledger.index("+5 bonus") < ledger.index("+10 upvote")  # newest first
    assert f'<span class="count">{owner.reputation}</span>' in html
    assert 'href="/help/privileges"' in html


def test_ledger_titles_are_truncated_and_escaped(client):
    owner = make_user()
    title = "<b>Printer</b> offline after update, again and again and again"
    question = make_question(owner, title=title)
    voting.cast_vote(make_user(reputation=15), question, 1)
    html = text(client, profile(owner))
    assert "'&lt;b&gt;Printer&lt;/b&gt; offline after update,…'" in html
    assert "<b>Printer</b>" not in html


def test_deleted_posts_are_not_named_to_others(client, auth):
    owner = make_user()
    question = make_question(owner, title="A question that will be deleted soon")
    voting.cast_vote(make_user(reputation=15), question, 1)
    posts.delete_post(owner, question)
    assert "a deleted post" in text(client, profile(owner))
    assert question.title[:20] not in text(client, profile(owner))
    auth.login(owner.username)
    assert "'A question that will be deleted soon'" in text(client, profile(owner))


def test_profile_without_events_has_no_chart(client):
    user = make_user()
    html = text(client, profile(user))
    assert "<svg" not in html
    assert "No reputation changes yet" in html


def test_chart_of_a_single_day_is_a_dot(client):
    user = make_user(reputation=20)  # joined today, one event today
    svg = text(client, profile(user)).split("<svg", 1)[1].split("</svg>", 1)[0]
    assert '<circle class="rep-dot"' in svg
    today = utcnow().strftime("%b %-d, %Y")
    assert svg.count(f">{today}</text>") == 1
    assert ">20</text>" in svg


def test_ledger_is_paginated(client):
    user = make_user()
    for n in range(25):
        db.session.add(ReputationEvent(user_id=user.id, kind="bonus", delta=n + 1))
    db.session.commit()
    first = text(client, profile(user))
    assert first.count('class="rep-event"') == 20
    assert "+25 bonus" in plain(first) and "+5 bonus" not in plain(first)
    assert f"{profile(user)}?rep_page=2#reputation" in first
    second = text(client, f"{profile(user)}?rep_page=2")
    assert second.count('class="rep-event"') == 5
    assert "+5 bonus" in plain(second)
    assert "Page 2 of 2" in second
    assert client.get(f"{profile(user)}?rep_page=0").status_code == 400
    assert client.get(f"{profile(user)}?rep_page=x").status_code == 400
    beyond = text(client, f"{profile(user)}?rep_page=9")
    assert "No reputation changes on this page." in beyond


# ---- /users tabs --------------------------------------------------------------------


def order(html: str, users: list[User]) -> list[str]:
    """The given users' names in the order the page shows them."""
    return sorted(
        (u.username for u in users), key=lambda name: html.index(f">@{name}<")
    )


def test_user_tabs_order_by_gain_in_the_period(client):
    veteran = make_user(username="veteran", reputation=1000)
    monthly = make_user(username="monthly", reputation=300)
    weekly = make_user(username="weekly", reputation=50)
    quiet = make_user(username="quiet")
    age_events(veteran.id, 60)
    age_events(monthly.id, 20)
    age_events(weekly.id, 2)
    people = [veteran, monthly, weekly, quiet]
    all_time = text(client, "/users")
    assert order(all_time, people) == ["veteran", "monthly", "weekly", "quiet"]
    month = text(client, "/users?period=month")
    assert order(month, people) == ["monthly", "weekly", "veteran", "quiet"]
    assert "+299 this month" in month and "+49 this month" in month
    assert 'aria-current="page">This month' in month
    week = text(client, "/users?period=week")
    assert order(week, people) == ["weekly", "veteran", "monthly", "quiet"]
    assert "+49 this week" in week
    assert "this week" not in all_time


def test_user_tab_gains_count_losses_too(client):
    owner = make_user(username="loser", reputation=100)
    age_events(owner.id, 40)
    answer = make_answer(make_question(), owner)
    voting.cast_vote(make_user(reputation=125), answer, -1)
    week = text(client, "/users?period=week")
    assert "−2 this week" in week


@pytest.mark.parametrize("query", ["period=year", "period=", "period=ALL"])
def test_bad_user_period_is_a_400_page(client, query):
    response = client.get(f"/users?{query}")
    assert response.status_code == 400
    assert "period must be one of all, month, week." in response.get_data(as_text=True)


def test_user_tabs_keep_the_period_when_paging(app, client):
    app.config["USERS_PER_PAGE"] = 2
    for _ in range(3):
        make_user()
    assert 'href="/users?page=2&amp;period=week"' in text(client, "/users?period=week")


# ---- Solved filters -----------------------------------------------------------------


@pytest.fixture
def solved_and_unsolved(app_ctx):
    """A solved and an unsolved question, both tagged printer."""
    solved = make_question(title="Solved printer question about drivers")
    answer = make_answer(solved)
    voting.accept_answer(solved.owner, solved, answer)
    unsolved = make_question(title="Unsolved printer question about toner")
    return solved, unsolved


@pytest.mark.parametrize("base", ["/", "/questions/tagged/printer"])
def test_solved_filters(client, solved_and_unsolved, base):
    solved, unsolved = solved_and_unsolved
    both = text(client, base)
    assert solved.title in both and unsolved.title in both
    only_solved = text(client, f"{base}?solved=true")
    assert solved.title in only_solved and unsolved.title not in only_solved
    assert 'aria-current="true">Solved' in only_solved
    only_unsolved = text(client, f"{base}?solved=false&sort=votes")
    assert unsolved.title in only_unsolved and solved.title not in only_unsolved
    assert 'aria-current="true">Unsolved' in only_unsolved
    assert 'aria-current="page">Votes' in only_unsolved
    # Sort tabs keep the filter; filter tabs keep the sort.
    assert "sort=active&amp;solved=false" in only_unsolved
    assert "sort=votes&amp;solved=true" in only_unsolved


def test_solved_questions_are_marked_in_lists(client, solved_and_unsolved):
    solved, unsolved = solved_and_unsolved
    html = text(client, "/")
    row = html.split(f'id="question-summary-{solved.id}"')[1].split("</li>")[0]
    assert '<span class="badge badge-solved">solved</span>' in row
    other = html.split(f'id="question-summary-{unsolved.id}"')[1].split("</li>")[0]
    assert "badge-solved" not in other


@pytest.mark.parametrize(
    "url", ["/?solved=yes", "/?solved=", "/questions/tagged/printer?solved=1"]
)
def test_bad_solved_filter_is_a_400_page(client, url):
    response = client.get(url)
    assert response.status_code == 400
    assert "solved must be true or false." in response.get_data(as_text=True)


# ---- /help/privileges ---------------------------------------------------------------


def test_help_lists_privileges_for_visitors(client):
    html = text(client, "/help/privileges")
    for label, needed in [
        ("Vote up", 15),
        ("Vote down", 125),
        ("Retag questions", 500),
        ("Edit any question or answer", 1000),
    ]:
        assert re.search(
            rf"<th scope=\"row\">{label}</th>\s*<td class=\"privilege-reputation\">"
            rf"{needed}</td>",
            html,
        ), label
    assert "Your progress" not in html
    assert "to see your progress" in html
    assert "Newcomer" in html and "Guru" in html


def test_help_shows_progress_for_members(client, auth):
    user = make_user(reputation=20)
    auth.login(user.username)
    html = text(client, "/help/privileges")
    assert "Your progress" in html
    assert "You have <strong>20</strong> reputation (Newcomer)." in html
    vote_up = html.split('id="privilege-vote_up"', 1)[1].split("</tr>", 1)[0]
    assert "Earned" in vote_up
    vote_down = html.split('id="privilege-vote_down"', 1)[1].split("</tr>", 1)[0]
    assert '<progress max="100" value="16"' in vote_down
    assert "105 more needed" in vote_down


def test_help_shows_staff_everything_earned(client, auth):
    auth.login(make_user(staff=True).username)
    html = text(client, "/help/privileges")
    assert "As staff you have every privilege." in html
    assert "more needed" not in html
    assert html.count("Earned</span>") == 11
