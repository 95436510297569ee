"""Votes and accepted answers."""

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Answer, Post, Question, User, Vote
from forum.services import permissions
from forum.services.errors import (
    AuthenticationRequired,
    PermissionDenied,
    ValidationError,
)


def my_votes(user: User | None, post_ids: list[int]) -> dict[int, int]:
    """The user's vote value per post id (one query)."""
    if user is None or not post_ids:
        return {}
    rows = db.session.execute(
        select(Vote.post_id, Vote.value).where(
            Vote.user_id == user.id, Vote.post_id.in_(post_ids)
        )
    )
    return {post_id: value for post_id, value in rows}


def cast_vote(actor: User | None, post: Post, value: object) -> int:
    """Set the actor's vote on a post to +1, -1 or 0 (withdraw); return the score.

    Rules: signed in, not your own post, not a deleted post. One vote per user
    and post is a database constraint. Raises AuthenticationRequired,
    PermissionDenied or ValidationError.
    """
    if actor is None:
        raise AuthenticationRequired("Log in to vote.")
    # bool is an int subclass and 1.0 == 1: only true integers count.
    if type(value) is not int or value not in (1, -1, 0):
        raise ValidationError({"value": "Vote value must be 1, -1 or 0."})
    if permissions.is_owner(actor, post):
        raise PermissionDenied("You cannot vote on your own post.")
    if post.is_deleted:
        raise PermissionDenied("You cannot vote on a deleted post.")
    vote = db.session.scalar(
        select(Vote).where(Vote.user_id == actor.id, Vote.post_id == post.id)
    )
    old = vote.value if vote else 0
    if old == value:
        return post.score
    if vote is None:
        db.session.add(Vote(user_id=actor.id, post_id=post.id, value=value))
    elif value == 0:
        db.session.delete(vote)
    else:
        vote.value = value
    db.session.execute(
        update(Post)
        .where(Post.id == post.id)
        .values(score=Post.score + (value - old))
        .execution_options(synchronize_session=False)
    )
    try:
        db.session.commit()
    except IntegrityError:
        # A concurrent request recorded the same vote first: it counts once.
        db.session.rollback()
    db.session.refresh(post, ["score"])
    return post.score


MAX_ID = 2**31 - 1


def accept_answer_id(
    actor: User | None, question: Question, answer_id: object
) -> Question:
    """Accept the answer with this id (None un-accepts), as the API sends it.

    Raises AuthenticationRequired, ValidationError (not an id of a visible answer
    to this question), or whatever ``accept_answer`` raises.
    """
    if actor is None:
        raise AuthenticationRequired("Log in to accept an answer.")
    answer = None
    if answer_id is not None:
        if type(answer_id) is not int or not 1 <= answer_id <= MAX_ID:
            raise ValidationError({"answer_id": "Must be an answer id or null."})
        answer = db.session.get(Answer, answer_id)
        if answer is None or not permissions.can_view(actor, answer):
            raise ValidationError({"answer_id": "No answer with that id."})
    return accept_answer(actor, question, answer)


def accept_answer(
    actor: User | None, question: Question, answer: Answer | None
) -> Question:
    """Make ``answer`` the accepted answer of ``question`` (None un-accepts).

    The asker and staff may accept; staff acceptance is shown as such.
    Raises AuthenticationRequired, PermissionDenied or ValidationError.
    """
    if actor is None:
        raise AuthenticationRequired("Log in to accept an answer.")
    if not (permissions.is_owner(actor, question) or permissions.is_staff(actor)):
        raise PermissionDenied("Only the asker or staff can accept an answer.")
    if question.is_deleted:
        raise PermissionDenied("This question has been deleted.")
    if answer is not None:
        if answer.question_id != question.id:
            raise ValidationError(
                {"answer_id": "That answer belongs to another question."}
            )
        if answer.is_deleted:
            raise ValidationError({"answer_id": "That answer has been deleted."})
    if answer is None:
        question.accepted_answer_id = None
        question.accepted_by = None
    else:
        question.accepted_answer_id = answer.id
        by_asker = permissions.is_owner(actor, question)
        question.accepted_by = "asker" if by_asker else "staff"
    db.session.commit()
    return question
