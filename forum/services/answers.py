"""Answering questions."""

from datetime import datetime

from sqlalchemy import update

from forum import signals
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import Answer, Post, Question, Revision, User, utcnow
from forum.services import indexing, permissions, sandbox
from forum.services.errors import AuthenticationRequired, NotFound, PermissionDenied
from forum.services.validation import clean_text, limit, raise_if


def check_answer_body(errors: dict[str, str], body: object) -> str:
    """Validate an answer body (shared by post and edit)."""
    return clean_text(
        errors,
        "body",
        body,
        limit("ANSWER_MIN_LENGTH"),
        limit("ANSWER_MAX_LENGTH"),
        label="Answer",
    )


def post_answer(author: User | None, question: Question, body: object) -> Answer:
    """Add an answer with its first revision; bumps the question's counts.

    Raises AuthenticationRequired, NotFound (deleted question), PermissionDenied
    (closed or locked question) or ValidationError (ANSWER_MIN_LENGTH-ANSWER_MAX_LENGTH
    characters; the sandbox's links and images; not a body the author posted
    within DUPLICATE_POST_SECONDS).
    """
    if author is None:
        raise AuthenticationRequired("Log in to answer.")
    if question.is_deleted:
        raise NotFound("That question has been deleted.")
    closed = permissions.answering_closed(question)
    if closed is not None:
        raise PermissionDenied(closed)
    errors: dict[str, str] = {}
    text = check_answer_body(errors, body)
    raise_if(errors)
    sandbox.check_links(author, text)
    sandbox.check_repeat(author, text, Post)
    now = utcnow()
    answer = Answer(
        owner=author,
        question_id=question.id,
        body_markdown=text,
        body_html=str(render_markdown(text)),
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(answer)
    db.session.add(
        Revision(
            post=answer, number=1, author=author, created_at=now, body_markdown=text
        )
    )
    bump_answer_count(question, +1, now)
    indexing.touch(answer)
    db.session.commit()
    signals.send(signals.answer_posted, answer=answer)
    return answer


def bump_answer_count(
    question: Question, delta: int, when: datetime | None = None
) -> None:
    """Change the cached answer count atomically (and the activity time)."""
    values: dict[str, object] = {"answer_count": Question.answer_count + delta}
    if when is not None:
        values["last_activity_at"] = when
    db.session.execute(
        update(Question)
        .where(Question.id == question.id)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(question, ["answer_count", "last_activity_at"])
