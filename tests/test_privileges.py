"""Privileges earned by reputation, enforced alike through the pages and the API.

Each privileged action is one row of ``ACTIONS``: just below its threshold the
action is refused (403 naming the privilege and the reputation it needs) and
nothing is written; at the threshold, and for staff at reputation 1, it works.
"""

from collections.abc import Callable
from dataclasses import dataclass

import pytest
from sqlalchemy import select

from forum.config import DefaultConfig
from forum.extensions import db
from forum.models import (
    Answer,
    Comment,
    Post,
    Question,
    ReputationEvent,
    Revision,
    User,
    Vote,
    utcnow,
)
from forum.services import permissions, posts
from tests.factories import make_answer, make_question, make_user
from tests.helpers import API, assert_error, bearer, count, fresh

pytestmark = pytest.mark.usefixtures("app_ctx")

COMMENT = "Which printer model is it exactly?"
NEW_BODY = "Updated: the printer also drops off the network after sleep mode."
NEW_TITLE = "Printer drops offline after every single reboot"
NEW_TAGS = ["network", "printer"]

# The defaults the issue sets (reputation needed per privilege).
ISSUE_THRESHOLDS = {
    "ask": 1,
    "answer": 1,
    "vote_up": 15,
    "flag": 15,
    "comment": 50,
    "vote_down": 125,
    "retag": 500,
    "view_vote_counts": 500,
    "edit": 1000,
    "close": 2000,
}


# ---- helpers ---------------------------------------------------------------------


def snapshot(post_id: int) -> dict:
    """Everything a privileged action could write, to compare before and after."""
    post = fresh(Post, post_id)
    return {
        "votes": count(Vote),
        "comments": count(Comment),
        "revisions": count(Revision),
        "events": count(ReputationEvent),
        "reputation": sorted(db.session.execute(select(User.id, User.reputation))),
        "score": post.score,
        "body": post.body_markdown,
        "title": post.title if isinstance(post, Question) else None,
        "tags": sorted(post.tag_names) if isinstance(post, Question) else None,
        "accepted": post.accepted_answer_id if isinstance(post, Question) else None,
    }


def needed(app, privilege: str) -> int:
    """The reputation a privilege needs, from the configuration."""
    return app.config["PRIVILEGES"][privilege]


def refusal(label: str, reputation: int) -> str:
    """The part of a 403 message naming the privilege and its reputation."""
    return f"{label} requires {reputation} reputation"


def the_vote(user_id: int, post_id: int) -> Vote | None:
    """The user's vote row on the post, if any."""
    db.session.expire_all()
    return db.session.scalar(
        select(Vote).where(Vote.user_id == user_id, Vote.post_id == post_id)
    )


def page_post(auth, url: str, data: dict):
    """Submit a page form with a valid CSRF token."""
    return auth.post(url, data, token_from="/")


def shown(client, response, status: int = 403) -> str:
    """What the user sees of a refused form: the error page with its status."""
    assert response.status_code == status, response.status_code
    return response.get_data(as_text=True)


def edit_form(post: Post, **changes) -> dict:
    """The edit page's fields, filled with the post's current values."""
    data = {"body": post.body_markdown, "summary": ""}
    if isinstance(post, Question):
        data.update(title=post.title, tags=" ".join(post.tag_names))
    for field, value in changes.items():
        data[field] = " ".join(value) if isinstance(value, list) else value
    return data


# ---- the privileged actions --------------------------------------------------------


def api_vote(value: int):
    """PUT a vote through the API."""
    return lambda client, post, headers: client.put(
        f"{API}/posts/{post.id}/vote", json={"value": value}, headers=headers
    )


def api_comment(client, post, headers):
    """POST a comment through the API."""
    return client.post(
        f"{API}/posts/{post.id}/comments", json={"body": COMMENT}, headers=headers
    )


def api_edit(**changes):
    """PATCH a post through the API."""
    return lambda client, post, headers: client.patch(
        f"{API}/posts/{post.id}", json=changes, headers=headers
    )


def page_vote(value: int):
    """Submit a vote button's form."""
    return lambda auth, post: page_post(
        auth, f"/posts/{post.id}/vote", {"value": str(value)}
    )


def page_comment(auth, post):
    """Submit the comment form under a post."""
    return page_post(auth, f"/posts/{post.id}/comments", {"body": COMMENT})


def page_edit(**changes):
    """Submit the edit form of a post."""
    return lambda auth, post: page_post(
        auth, f"/posts/{post.id}/edit", edit_form(post, **changes)
    )


def voted(value: int):
    """Check the actor's vote row and the post's score."""

    def check(post_id: int, user_id: int) -> None:
        assert the_vote(user_id, post_id).value == value
        assert fresh(Post, post_id).score == value

    return check


def commented(post_id: int, user_id: int) -> None:
    """Check the actor's comment is stored on the post."""
    comment = db.session.scalar(select(Comment).where(Comment.post_id == post_id))
    assert comment is not None and comment.owner_id == user_id
    assert comment.body_markdown == COMMENT


def edited(**expected):
    """Check a second revision by the actor holds the expected values."""

    def check(post_id: int, user_id: int) -> None:
        post = fresh(Post, post_id)
        revisions = posts.list_revisions(post)
        assert [r.number for r in revisions] == [1, 2]
        assert revisions[-1].author_id == user_id
        if "body" in expected:
            assert post.body_markdown == expected["body"]
        if "tags" in expected:
            assert sorted(post.tag_names) == expected["tags"]

    return check


def question_target() -> Post:
    """Someone's question."""
    return make_question()


def answer_target() -> Post:
    """Someone's answer to someone else's question."""
    return make_answer(make_question())


@dataclass(frozen=True)
class Action:
    """One privileged action on someone else's post, through the API and a page."""

    privilege: str
    label: str  # how the refusal names the privilege
    target: Callable[[], Post]
    api: Callable
    page: Callable
    done: Callable[[int, int], None]


def vote(value: int) -> tuple:
    """Casting a vote: the API call, the page form, the check."""
    return api_vote(value), page_vote(value), voted(value)


def comment() -> tuple:
    """Commenting: the API call, the page form, the check."""
    return api_comment, page_comment, commented


def edit(**changes) -> tuple:
    """Editing: the API call, the page form, the check."""
    return api_edit(**changes), page_edit(**changes), edited(**changes)


Q, A = question_target, answer_target
EDIT = "Edit any question or answer"

# One line per privileged action: (privilege, its label, target, how).
ACTIONS = {
    "vote up": Action("vote_up", "Vote up", Q, *vote(1)),
    "vote down": Action("vote_down", "Vote down", A, *vote(-1)),
    "comment on a question": Action("comment", "Comment everywhere", Q, *comment()),
    "comment on an answer": Action("comment", "Comment everywhere", A, *comment()),
    "retag": Action("retag", "Retag questions", Q, *edit(tags=NEW_TAGS)),
    "edit a question": Action("edit", EDIT, Q, *edit(body=NEW_BODY)),
    "edit an answer": Action("edit", EDIT, A, *edit(body=NEW_BODY)),
}


def acting_user(app, action: Action, who: str) -> User:
    """A user just below the threshold, at it, or staff at reputation 1."""
    if who == "staff":
        return make_user(staff=True)
    offset = -1 if who == "below" else 0
    return make_user(reputation=needed(app, action.privilege) + offset)


def test_default_thresholds_are_the_issues():
    assert DefaultConfig.PRIVILEGES.items() >= ISSUE_THRESHOLDS.items()


def test_every_enforced_privilege_has_an_action():
    enforced = {"vote_up", "vote_down", "comment", "retag", "edit"}
    assert {action.privilege for action in ACTIONS.values()} == enforced


# ---- below the threshold, at it, staff: API ---------------------------------------


@pytest.mark.parametrize("name", list(ACTIONS))
def test_api_below_threshold_is_403_naming_the_privilege(app, client, name):
    action = ACTIONS[name]
    post = action.target()
    user = acting_user(app, action, "below")
    headers = bearer(client, user)
    before = snapshot(post.id)
    error = assert_error(action.api(client, post, headers), 403, "forbidden")
    assert snapshot(post.id) == before
    need = needed(app, action.privilege)
    assert refusal(action.label, need) in error["message"]
    assert f"you have {need - 1}" in error["message"]


@pytest.mark.parametrize("who", ["threshold", "staff"])
@pytest.mark.parametrize("name", ACTIONS)
def test_api_at_threshold_and_staff_are_allowed(app, client, name, who):
    action = ACTIONS[name]
    post = action.target()
    user = acting_user(app, action, who)
    if who == "staff":
        assert user.reputation == 1
    response = action.api(client, post, bearer(client, user))
    assert response.status_code in (200, 201), response.json
    action.done(post.id, user.id)


# ---- below the threshold, at it, staff: pages -------------------------------------


@pytest.mark.parametrize("name", list(ACTIONS))
def test_page_below_threshold_is_403_naming_the_privilege(app, client, auth, name):
    action = ACTIONS[name]
    post = action.target()
    user = acting_user(app, action, "below")
    auth.login(user.username)
    before = snapshot(post.id)
    response = action.page(auth, post)
    assert snapshot(post.id) == before
    html = shown(client, response)
    need = needed(app, action.privilege)
    assert refusal(action.label, need) in html
    assert f"you have {need - 1}" in html


@pytest.mark.parametrize("who", ["threshold", "staff"])
@pytest.mark.parametrize("name", ACTIONS)
def test_page_at_threshold_and_staff_are_allowed(app, client, auth, name, who):
    action = ACTIONS[name]
    post = action.target()
    user = acting_user(app, action, who)
    auth.login(user.username)
    response = action.page(auth, post)
    assert response.status_code == 302, response.get_data(as_text=True)
    action.done(post.id, user.id)


# ---- withdrawing and changing votes -------------------------------------------------


def test_withdrawing_a_vote_needs_no_privilege(app, client):
    answer = answer_target()
    start = needed(app, "vote_down")
    voter = make_user(reputation=start)
    headers = bearer(client, voter)
    url = f"{API}/posts/{answer.id}/vote"
    assert client.put(url, json={"value": -1}, headers=headers).status_code == 200
    # The thresholds rise (they come from config): the voter now holds neither.
    app.config["PRIVILEGES"] = {
        **app.config["PRIVILEGES"],
        "vote_up": 10**6,
        "vote_down": 10**6,
    }
    before = snapshot(answer.id)
    error = assert_error(client.put(url, json={"value": 1}, headers=headers), 403)
    assert refusal("Vote up", 10**6) in error["message"]
    assert snapshot(answer.id) == before
    response = client.put(url, json={"value": 0}, headers=headers)
    assert response.status_code == 200
    assert response.json == {"score": 0, "my_vote": 0}
    assert the_vote(voter.id, answer.id) is None
    # Both sides of the downvote are reversed: everyone is back at the start.
    assert fresh(User, answer.owner_id).reputation == 1
    assert fresh(User, voter.id).reputation == start


def test_withdrawing_without_a_vote_at_reputation_1_changes_nothing(client):
    question = question_target()
    headers = bearer(client, make_user())
    before = snapshot(question.id)
    response = client.put(
        f"{API}/posts/{question.id}/vote", json={"value": 0}, headers=headers
    )
    assert response.status_code == 200
    assert response.json == {"score": 0, "my_vote": 0}
    assert snapshot(question.id) == before


def test_changing_an_upvote_to_a_downvote_needs_vote_down(app, client):
    question = question_target()
    voter = make_user(reputation=needed(app, "vote_up"))
    headers = bearer(client, voter)
    url = f"{API}/posts/{question.id}/vote"
    assert client.put(url, json={"value": 1}, headers=headers).json["score"] == 1
    before = snapshot(question.id)
    error = assert_error(client.put(url, json={"value": -1}, headers=headers), 403)
    assert refusal("Vote down", needed(app, "vote_down")) in error["message"]
    assert snapshot(question.id) == before
    assert the_vote(voter.id, question.id).value == 1


# ---- owners and askers always comment ----------------------------------------------


def own_question() -> tuple[Post, User]:
    """A question and its asker."""
    question = make_question()
    return question, question.owner


def own_answer() -> tuple[Post, User]:
    """An answer to someone else's question, and its author."""
    answer = make_answer(make_question())
    return answer, answer.owner


def asker_on_answer() -> tuple[Post, User]:
    """An answer, and the asker of its question."""
    answer = make_answer(make_question())
    return answer, answer.question.owner


def answerer_on_question() -> tuple[Post, User]:
    """A question, and someone who answered it (not their post)."""
    question = make_question()
    return question, make_answer(question).owner


def answerer_on_other_answer() -> tuple[Post, User]:
    """An answer, and the author of another answer to the same question."""
    answer = make_answer(make_question())
    return answer, make_answer(answer.question).owner


OWN_COMMENTS = [own_question, own_answer, asker_on_answer]
NOT_OWN_COMMENTS = [answerer_on_question, answerer_on_other_answer]


@pytest.mark.parametrize("via", ["api", "page"])
@pytest.mark.parametrize("scenario", OWN_COMMENTS)
def test_owners_and_askers_comment_at_reputation_1(client, auth, scenario, via):
    post, user = scenario()
    assert user.reputation == 1
    if via == "api":
        response = api_comment(client, post, bearer(client, user))
        assert response.status_code == 201, response.json
    else:
        auth.login(user.username)
        assert page_comment(auth, post).status_code == 302
    commented(post.id, user.id)


@pytest.mark.parametrize("via", ["api", "page"])
@pytest.mark.parametrize("scenario", NOT_OWN_COMMENTS)
def test_others_at_reputation_1_need_the_comment_privilege(
    app, client, auth, scenario, via
):
    post, user = scenario()
    before = snapshot(post.id)
    if via == "api":
        response = api_comment(client, post, bearer(client, user))
        message = assert_error(response, 403)["message"]
    else:
        auth.login(user.username)
        response = page_comment(auth, post)
        assert response.status_code == 403
        message = response.get_data(as_text=True)
    assert refusal("Comment everywhere", needed(app, "comment")) in message
    assert snapshot(post.id) == before


# ---- retaggers change tags only; editors edit anything ---------------------------


RETAGGER_CANNOT = [
    {"title": NEW_TITLE},
    {"body": NEW_BODY},
    {"title": NEW_TITLE, "tags": NEW_TAGS},
    {"body": NEW_BODY, "tags": NEW_TAGS},
]


@pytest.mark.parametrize("changes", RETAGGER_CANNOT, ids=lambda c: "+".join(c))
def test_api_retagger_cannot_change_title_or_body(app, client, changes):
    question = question_target()
    headers = bearer(client, make_user(reputation=needed(app, "retag")))
    before = snapshot(question.id)
    response = api_edit(**changes)(client, question, headers)
    error = assert_error(response, 403, "forbidden")
    assert refusal(EDIT, needed(app, "edit")) in (error["message"])
    assert snapshot(question.id) == before


def test_api_retagger_cannot_edit_an_answer(app, client):
    answer = answer_target()
    headers = bearer(client, make_user(reputation=needed(app, "retag")))
    before = snapshot(answer.id)
    error = assert_error(api_edit(body=NEW_BODY)(client, answer, headers), 403)
    assert refusal(EDIT, needed(app, "edit")) in (error["message"])
    assert snapshot(answer.id) == before


@pytest.mark.parametrize(
    "changes",
    [{"title": NEW_TITLE}, {"body": NEW_BODY}, {"title": NEW_TITLE, "tags": "a b"}],
    ids=lambda c: "+".join(c),
)
def test_page_retagger_cannot_change_title_or_body(app, client, auth, changes):
    question = question_target()
    retagger = make_user(reputation=needed(app, "retag"))
    auth.login(retagger.username)
    # The edit form opens (for the tags) ...
    assert client.get(f"/posts/{question.id}/edit").status_code == 200
    before = snapshot(question.id)
    # ... but saving a new title or body is refused.
    response = page_edit(**changes)(auth, question)
    assert response.status_code == 403
    assert refusal(EDIT, needed(app, "edit")) in (response.get_data(as_text=True))
    assert snapshot(question.id) == before


def test_editor_edits_title_body_and_tags_of_anyones_question(app, client):
    question = question_target()
    editor = make_user(reputation=needed(app, "edit"))
    changes = {"title": NEW_TITLE, "body": NEW_BODY, "tags": NEW_TAGS}
    response = api_edit(**changes)(client, question, bearer(client, editor))
    assert response.status_code == 200, response.json
    edited(body=NEW_BODY, tags=NEW_TAGS)(question.id, editor.id)
    assert fresh(Question, question.id).title == NEW_TITLE


# ---- votes that nobody may cast -----------------------------------------------------


def vote_on_own_post(app) -> tuple[Post, User]:
    """A voter with every vote privilege, on their own answer."""
    owner = make_user(reputation=needed(app, "vote_down"))
    return make_answer(make_question(), owner), owner


def vote_on_deleted_answer(app) -> tuple[Post, User]:
    """Staff (who still see it) voting on an answer its owner deleted."""
    answer = answer_target()
    posts.delete_post(answer.owner, answer)
    return answer, make_user(staff=True)


def vote_in_deleted_question(app) -> tuple[Post, User]:
    """Staff voting on a live answer in a question staff deleted."""
    answer = answer_target()
    staff = make_user(staff=True)
    posts.delete_post(staff, answer.question)
    return answer, staff


def vote_on_locked_question(app) -> tuple[Post, User]:
    """A voter with every vote privilege, on a locked question."""
    question = question_target()
    question.locked_at = utcnow()
    db.session.commit()
    return question, make_user(reputation=needed(app, "vote_down"))


def vote_in_locked_question(app) -> tuple[Post, User]:
    """A voter with every vote privilege, on an answer in a locked question."""
    answer = answer_target()
    answer.question.locked_at = utcnow()
    db.session.commit()
    return answer, make_user(reputation=needed(app, "vote_down"))


FORBIDDEN_VOTES = {
    vote_on_own_post: "You cannot vote on your own post.",
    vote_on_deleted_answer: "You cannot vote on a deleted post.",
    vote_in_deleted_question: "You cannot vote in a deleted question.",
    vote_on_locked_question: "This question is locked; votes are closed.",
    vote_in_locked_question: "This question is locked; votes are closed.",
}


def sign_in(via: str, client, auth, user: User) -> dict:
    """API: the bearer headers; pages: log in through the form (no headers)."""
    if via == "api":
        return bearer(client, user)
    auth.login(user.username)
    return {}


def vote_via(via: str, client, auth, headers: dict, post: Post, value: int):
    """Vote through the API or the vote button's form."""
    if via == "api":
        return api_vote(value)(client, post, headers)
    return page_vote(value)(auth, post)


def accept_via(via: str, client, auth, headers: dict, question, answer_id):
    """Accept through the API or the accept button's form."""
    if via == "api":
        return client.put(
            f"{API}/questions/{question.id}/accepted-answer",
            json={"answer_id": answer_id},
            headers=headers,
        )
    form = {"answer_id": "" if answer_id is None else str(answer_id)}
    return page_post(auth, f"/questions/{question.id}/accept", form)


def refused(via: str, client, response, status: int) -> str:
    """The refusal as the caller gets it (API: message and field messages)."""
    if via == "api":
        error = assert_error(response, status)
        return " ".join([error["message"], *error.get("fields", {}).values()])
    return shown(client, response, status)


def succeeded(via: str, response) -> None:
    """The API answers 200; a page form redirects back (302)."""
    assert response.status_code == (200 if via == "api" else 302), response.data


VIA = ["api", "page"]


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("value", [1, -1])
@pytest.mark.parametrize("scenario", FORBIDDEN_VOTES)
def test_forbidden_votes_are_refused_and_write_nothing(
    app, client, auth, scenario, value, via
):
    post, voter = scenario(app)
    headers = sign_in(via, client, auth, voter)
    before = snapshot(post.id)
    response = vote_via(via, client, auth, headers, post, value)
    assert snapshot(post.id) == before
    assert FORBIDDEN_VOTES[scenario] in refused(via, client, response, 403)


@pytest.mark.parametrize("scenario", FORBIDDEN_VOTES)
def test_can_vote_says_no_wherever_casting_is_refused(app, client, auth, scenario):
    post, voter = scenario(app)
    assert permissions.can_vote(voter, post) is False
    # The vote buttons follow the same predicate: none on that post.
    auth.login(voter.username)
    question_id = post.id if isinstance(post, Question) else post.question_id
    page = client.get(f"/questions/{question_id}", follow_redirects=True)
    html = page.get_data(as_text=True)
    box = html.split(f'id="votes-{post.id}"', 1)[1].split("</div>", 1)[0]
    assert "vote-form" not in box


@pytest.mark.parametrize("via", VIA)
def test_deleted_post_is_404_to_voters_who_cannot_see_it(app, client, auth, via):
    answer = answer_target()
    posts.delete_post(answer.owner, answer)
    voter = make_user(reputation=needed(app, "vote_down"))
    headers = sign_in(via, client, auth, voter)
    before = snapshot(answer.id)
    response = vote_via(via, client, auth, headers, answer, 1)
    assert response.status_code == 404
    assert snapshot(answer.id) == before


@pytest.mark.parametrize("via", VIA)
def test_a_vote_stands_once_the_question_is_locked(app, client, auth, via):
    question = question_target()
    voter = make_user(reputation=needed(app, "vote_up"))
    headers = sign_in(via, client, auth, voter)
    succeeded(via, vote_via(via, client, auth, headers, question, 1))
    question = fresh(Question, question.id)
    question.locked_at = utcnow()
    db.session.commit()
    before = snapshot(question.id)
    response = vote_via(via, client, auth, headers, question, 0)
    assert "locked; votes are closed" in refused(via, client, response, 403)
    assert snapshot(question.id) == before
    assert the_vote(voter.id, question.id).value == 1


# ---- accepting answers ---------------------------------------------------------------


@pytest.mark.parametrize("via", VIA)
def test_double_accept_is_a_no_op(client, auth, via):
    question = question_target()
    answer = make_answer(question)
    headers = sign_in(via, client, auth, question.owner)
    succeeded(via, accept_via(via, client, auth, headers, question, answer.id))
    before = snapshot(question.id)
    assert before["accepted"] == answer.id
    assert fresh(Question, question.id).accepted_by == "asker"
    assert fresh(User, answer.owner_id).reputation == 1 + 15
    assert fresh(User, question.owner_id).reputation == 1 + 2
    again = accept_via(via, client, auth, headers, question, answer.id)
    succeeded(via, again)
    assert snapshot(question.id) == before


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("who", ["asker", "staff"])
def test_accepting_an_answer_of_another_question_is_422(client, auth, who, via):
    question = question_target()
    make_answer(question)
    elsewhere = make_answer(make_question())
    user = question.owner if who == "asker" else make_user(staff=True)
    headers = sign_in(via, client, auth, user)
    before = snapshot(question.id)
    response = accept_via(via, client, auth, headers, question, elsewhere.id)
    assert snapshot(question.id) == before
    assert snapshot(elsewhere.question_id)["accepted"] is None
    assert "belongs to another question" in refused(via, client, response, 422)


def answerer(question: Question, answer: Answer) -> User:
    """The author of the answer being accepted."""
    return answer.owner


def high_reputation_user(question: Question, answer: Answer) -> User:
    """Someone with every privilege reputation gives, but not the asker."""
    return make_user(reputation=max(ISSUE_THRESHOLDS.values()))


@pytest.mark.parametrize("via", VIA)
@pytest.mark.parametrize("who", [answerer, high_reputation_user])
def test_accept_by_non_asker_non_staff_is_403(client, auth, who, via):
    question = question_target()
    answer = make_answer(question)
    headers = sign_in(via, client, auth, who(question, answer))
    before = snapshot(question.id)
    response = accept_via(via, client, auth, headers, question, answer.id)
    assert snapshot(question.id) == before
    assert "Only the asker or staff" in refused(via, client, response, 403)


@pytest.mark.parametrize("via", VIA)
def test_staff_at_reputation_1_accept(client, auth, via):
    question = question_target()
    answer = make_answer(question)
    staff = make_user(staff=True)
    headers = sign_in(via, client, auth, staff)
    succeeded(via, accept_via(via, client, auth, headers, question, answer.id))
    accepted = fresh(Question, question.id)
    assert accepted.accepted_answer_id == answer.id
    assert accepted.accepted_by == "staff"


# ---- the status of refused vote and accept forms ----------------------------------


def vote_below_threshold(app, auth) -> tuple:
    """A vote-up form from a user one short of the privilege."""
    post = question_target()
    auth.login(make_user(reputation=needed(app, "vote_up") - 1).username)
    return post.id, page_vote(1)(auth, post), 403


def vote_on_own(app, auth) -> tuple:
    """A vote form on the voter's own post."""
    post, owner = vote_on_own_post(app)
    auth.login(owner.username)
    return post.id, page_vote(1)(auth, post), 403


def accept_by_other(app, auth) -> tuple:
    """An accept form sent by someone who did not ask."""
    answer = answer_target()
    auth.login(make_user(reputation=2000).username)
    return (
        answer.question_id,
        accept_via("page", None, auth, {}, answer.question, answer.id),
        403,
    )


def accept_elsewhere(app, auth) -> tuple:
    """An accept form naming another question's answer."""
    question = question_target()
    elsewhere = answer_target()
    auth.login(question.owner.username)
    return question.id, accept_via("page", None, auth, {}, question, elsewhere.id), 422


@pytest.mark.parametrize(
    "case", [vote_below_threshold, vote_on_own, accept_by_other, accept_elsewhere]
)
def test_refused_vote_and_accept_forms_answer_with_an_error_status(app, auth, case):
    post_id, response, status = case(app, auth)
    assert snapshot(post_id)["votes"] == 0
    assert response.status_code == status


# ---- the help page ------------------------------------------------------------------


def test_help_page_lists_every_privilege_as_refusals_name_it(app, client):
    html = client.get("/help/privileges").get_data(as_text=True)
    rows = {
        name: html.split(f'id="privilege-{name}"', 1)[1].split("</tr>", 1)[0]
        for name in app.config["PRIVILEGES"]
        if f'id="privilege-{name}"' in html
    }
    assert set(rows) == set(app.config["PRIVILEGES"])
    for name, reputation in app.config["PRIVILEGES"].items():
        assert f'<td class="privilege-reputation">{reputation}</td>' in rows[name]
    for action in ACTIONS.values():
        assert f">{action.label}</th>" in rows[action.privilege]
