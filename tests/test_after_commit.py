"""Work after a commit never turns a saved write into an error, and an error
page says "nothing was saved" only when that is true."""

import logging

import pytest
from sqlalchemy import select

from forum import signals
from forum.extensions import db
from forum.models import BadgeAward, Comment, Tag
from tests.factories import make_comment, make_question, make_user
from tests.helpers import API, bearer, text

pytestmark = pytest.mark.usefixtures("app_ctx")


def test_a_failing_receiver_never_fails_a_saved_comment(client, caplog):
    # A receiver (badges today, notifications and mail later) that fails
    # after the commit: the comment is saved, so the answer is 201, and the
    # failure is logged once.
    def fails(sender, comment, **extra):
        raise RuntimeError(f"receiver failed on comment {comment.id}")

    question = make_question()
    user = make_user(reputation=50)
    for n in range(9):  # Commentator: 10 comments, the tenth below
        make_comment(question, author=user, body=f"Which printer model, {n}?")
    signals.comment_added.connect(fails)
    try:
        with caplog.at_level(logging.ERROR):
            response = client.post(
                f"{API}/posts/{question.id}/comments",
                json={"body": "Which driver version does it use?"},
                headers=bearer(client, user),
            )
    finally:
        signals.comment_added.disconnect(fails)
    assert response.status_code == 201, response.json
    saved = db.session.get(Comment, response.json["id"])
    assert saved is not None and saved.owner_id == user.id
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(failures) == 1
    assert failures[0].getMessage().startswith("After comment-added:")
    assert "receiver failed on comment" in caplog.text
    # The other receivers still ran: the tenth comment earned Commentator.
    badges = db.session.scalars(
        select(BadgeAward.badge).where(BadgeAward.user_id == user.id)
    ).all()
    assert "commentator" in badges


@pytest.fixture
def failing_routes(app):
    """Two routes that save a tag, then fail (as a bug after a commit would),
    and two that fail before saving anything."""
    app.config["PROPAGATE_EXCEPTIONS"] = False  # answer 500, as in production

    def save_then_fail():
        db.session.add(Tag(name="kumquat"))
        db.session.commit()
        raise RuntimeError("after the commit")

    def fail():
        db.session.add(Tag(name="papaya"))
        raise RuntimeError("before any commit")

    for prefix in ("", "/api/v1"):
        app.add_url_rule(f"{prefix}/test-save-then-fail", view_func=save_then_fail)
        app.add_url_rule(f"{prefix}/test-fail", view_func=fail)
    return app


def tag_names() -> set[str]:
    db.session.rollback()
    return set(db.session.scalars(select(Tag.name)))


def test_an_error_after_a_commit_says_the_change_was_saved(
    failing_routes, client, caplog
):
    with caplog.at_level(logging.ERROR):
        page = text(client, "/test-save-then-fail", status=500)
    assert "after your change was saved" in page
    assert "Nothing you sent was saved" not in page
    assert "kumquat" in tag_names()
    # One failure, one traceback in the log.
    assert len([r for r in caplog.records if r.exc_info]) == 1
    db.session.execute(Tag.__table__.delete().where(Tag.name == "kumquat"))
    db.session.commit()
    response = client.get(f"{API}/test-save-then-fail")
    assert response.status_code == 500
    assert "after your change was saved" in response.json["error"]["message"]
    assert "kumquat" in tag_names()
    # Nothing committed: the page says so, and it is true.
    page = text(client, "/test-fail", status=500)
    assert "Nothing you sent was saved" in page
    response = client.get(f"{API}/test-fail")
    assert response.json["error"] == {
        "code": "internal_error",
        "message": "Something went wrong on our side. Nothing you sent was saved.",
    }
    assert "papaya" not in tag_names()
