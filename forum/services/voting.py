"""Votes and accepted answers, with their reputation events.

Each use case is one transaction: the vote row, the post's score and the
ledger events commit together, and a lost race is retried from the start.
"""

from dataclasses import dataclass
from typing import Any

from sqlalchemy import ColumnElement, case, delete, func, select, update
from sqlalchemy.orm import QueryableAttribute

from forum import signals
from forum.extensions import db
from forum.models import Answer, Post, Question, User, Vote
from forum.services import indexing, permissions, privileges, reputation
from forum.services.errors import (
    AuthenticationRequired,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from forum.services.questions import load_post
from forum.services.retry import with_retry, write_or_retry, wrote_one

MAX_ID = 2**31 - 1


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


def vote_counts(post_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(up, down) vote counts per post id, imported votes included (one query)."""
    if not post_ids:
        return {}
    rows = db.session.execute(
        select(
            Post.id,
            Post.imported_up
            + func.coalesce(func.sum(case((Vote.value == 1, 1), else_=0)), 0),
            Post.imported_down
            + func.coalesce(func.sum(case((Vote.value == -1, 1), else_=0)), 0),
        )
        .outerjoin(Vote, Vote.post_id == Post.id)
        .where(Post.id.in_(post_ids))
        .group_by(Post.id, Post.imported_up, Post.imported_down)
    )
    return {pid: (int(up), int(down)) for pid, up, down in rows if up or down}


@dataclass
class VoteState:
    """What a page shows of the votes on its posts.

    ``mine`` maps post id to the viewer's vote; ``counts`` maps post id to
    (up, down), or is None when the viewer may not see counts.
    """

    mine: dict[int, int]
    counts: dict[int, tuple[int, int]] | None


def vote_state(viewer: User | None, post_ids: list[int]) -> VoteState:
    """The viewer's votes and, with the "view_vote_counts" privilege, up/down counts.

    At most two queries whatever the number of posts.
    """
    counts = vote_counts(post_ids) if permissions.can_see_vote_counts(viewer) else None
    return VoteState(mine=my_votes(viewer, post_ids), counts=counts)


def vote_events(post: Post, voter_id: int, value: int) -> set[int]:
    """Write the ledger events a vote of ``value`` earns; return users touched."""
    events = []
    if value == 1:
        kind = "answer_upvoted" if isinstance(post, Answer) else "question_upvoted"
        events.append(reputation.record(post.owner_id, kind, post.id, voter_id))
    elif value == -1:
        events.append(
            reputation.record(post.owner_id, "post_downvoted", post.id, voter_id)
        )
        if isinstance(post, Answer):
            events.append(
                reputation.record(voter_id, "downvoted_answer", post.id, voter_id)
            )
    return reputation.users_of(events)


def _check_vote(actor: User, post: Post, value: object) -> int:
    """Return the vote value once ``actor`` may cast it on ``post``.

    Raises ValidationError (not 1, -1 or 0) or PermissionDenied (why
    ``permissions.can_vote`` says no, or the direction's privilege is missing).
    """
    # bool is an int subclass and 1.0 == 1: only true integers count.
    if type(value) is not int or value not in (1, -1, 0):
        raise ValidationError({"value": "Vote value must be 1, -1 or 0."})
    refusal = permissions.vote_refusal(actor, post)
    if refusal is not None:
        raise PermissionDenied(refusal)
    if value == 1:
        privileges.require(actor, "vote_up")
    elif value == -1:
        privileges.require(actor, "vote_down")
    return value


def cast_vote(actor: User | None, post: Post, value: object) -> int:
    """Set the actor's vote on a post to +1, -1 or 0 (withdraw); return the score.

    Rules: signed in; ``permissions.can_vote`` (not your own post, voting open);
    the "vote_up" or "vote_down" privilege (withdrawing needs none). One vote
    per user and post is a database constraint; old events are reversed, new
    ones written. Raises AuthenticationRequired, PermissionDenied or
    ValidationError.
    """
    if actor is None:
        raise AuthenticationRequired("Log in to vote.")
    checked = _check_vote(actor, post, value)
    voter_id, post_id = actor.id, post.id
    owner_id, post_type = post.owner_id, post.type
    score = with_retry(lambda: _apply_vote(post_id, voter_id, checked))
    # Ids, not the objects: the commit expired them, and reading one again
    # would cost a query per receiver.
    signals.send(
        signals.vote_cast,
        post_id=post_id,
        post_type=post_type,
        owner_id=owner_id,
        voter_id=voter_id,
        value=checked,
        score=score,
    )
    return score


def _apply_vote(post_id: int, voter_id: int, value: int) -> int:
    """One attempt at a vote: the vote row, the score, the ledger; commit.

    Returns the post's score after it.
    """
    target = load_post(Post, post_id)
    vote = db.session.scalar(
        select(Vote).where(Vote.user_id == voter_id, Vote.post_id == post_id)
    )
    old = vote.value if vote else 0
    if old == value:
        # ``target`` may have been loaded before a concurrent vote committed.
        return db.session.scalar(select(Post.score).where(Post.id == post_id)) or 0
    _write_vote(vote, voter_id, post_id, value)
    _add_to_score(post_id, value - old)
    # Lock both users a vote can pay in id order before paying either.
    reputation.lock_users([target.owner_id, voter_id])
    touched = reputation.reverse(
        reputation.live_events(post_id, reputation.VOTE_KINDS, voter_id)
    )
    touched |= vote_events(target, voter_id, value)
    reputation.refresh_caches(touched)
    indexing.touch(target)
    db.session.commit()
    db.session.refresh(target, ["score"])
    return target.score


def _write_vote(vote: Vote | None, voter_id: int, post_id: int, value: int) -> None:
    """Insert, change or (value 0) delete the voter's vote row."""
    if vote is None:
        db.session.add(Vote(user_id=voter_id, post_id=post_id, value=value))
        db.session.flush()
        return
    # Conditional writes: if another request changed the vote first, nothing
    # matches and the whole unit runs again.
    stmt = delete(Vote) if value == 0 else update(Vote).values(value=value)
    write_or_retry(stmt.where(Vote.id == vote.id, Vote.value == vote.value))
    db.session.expunge(vote)


def _add_to_score(post_id: int, change: int) -> None:
    """Add ``change`` to a live post's score. Raises PermissionDenied if deleted."""
    # Conditional on the post being live: the check before the unit may predate
    # a concurrent delete, whose reversals would then miss this vote's events.
    if not wrote_one(
        update(Post)
        .where(Post.id == post_id, Post.deleted_at.is_(None))
        .values(score=Post.score + change)
    ):
        db.session.rollback()
        raise PermissionDenied("You cannot vote on a deleted post.")


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

    The asker and staff may accept, switch or un-accept; staff acceptance is
    shown as such and the asker's later choice replaces it. Moving or removing
    an acceptance reverses its events. Raises AuthenticationRequired,
    PermissionDenied, NotFound or ValidationError.
    """
    if actor is None:
        raise AuthenticationRequired("Log in to accept an answer.")
    _check_accept(actor, question, answer)
    actor_id, question_id = actor.id, question.id
    answer_id = answer.id if answer else None
    by = "asker" if permissions.is_owner(actor, question) else "staff"
    result = with_retry(lambda: _apply_acceptance(question_id, answer_id, actor_id, by))
    if answer is not None:
        signals.send(
            signals.answer_accepted, question=result, answer=answer, actor=actor
        )
    return result


def _check_accept(actor: User, question: Question, answer: Answer | None) -> None:
    """Raise unless ``actor`` may accept ``answer`` (None: un-accept) on
    ``question``: PermissionDenied, NotFound or ValidationError."""
    if not (permissions.is_owner(actor, question) or permissions.is_staff(actor)):
        raise PermissionDenied("Only the asker or staff can accept an answer.")
    if question.is_deleted:
        raise NotFound("This question has been deleted.")
    if answer is None:
        return
    if answer.question_id != question.id:
        raise ValidationError({"answer_id": "That answer belongs to another question."})
    if answer.is_deleted:
        raise ValidationError({"answer_id": "That answer has been deleted."})


def _apply_acceptance(
    question_id: int, answer_id: int | None, actor_id: int, by: str
) -> Question:
    """One attempt at accepting: move the acceptance, settle its events; commit."""
    # Read afresh: "nothing to do" decided on a copy loaded before a
    # concurrent change would silently drop this request.
    current = load_post(Question, question_id, fresh=True)
    old_id, old_by = current.accepted_answer_id, current.accepted_by
    # The asker confirming staff's choice earns the asker's "accepted_answer"
    # event; any other repeat of the current state changes nothing.
    confirms = old_id == answer_id and old_by == "staff" and by == "asker"
    if old_id == answer_id and not confirms:
        return current
    if answer_id is not None:
        _lock_live_answer(answer_id)
    # Conditional write: only if nobody moved the acceptance (or, for a
    # confirmation, changed who made it) meanwhile; else concurrent
    # confirmations would each pay the asker's "accepted_answer" event.
    write_or_retry(
        update(Question)
        .where(
            Question.id == question_id,
            _is(Question.accepted_answer_id, old_id),
            _is(Question.accepted_by, old_by),
        )
        .values(accepted_answer_id=answer_id, accepted_by=by if answer_id else None)
    )
    touched = _settle_accept_events(current, old_id, answer_id, actor_id, confirms)
    reputation.refresh_caches(touched)
    indexing.touch(current)
    db.session.commit()
    db.session.refresh(current)
    return current


def _is(column: QueryableAttribute[Any], value: object) -> ColumnElement[bool]:
    """``column`` holds ``value`` (IS NULL for None)."""
    return column.is_(None) if value is None else column == value


def _settle_accept_events(
    question: Question,
    old_id: int | None,
    answer_id: int | None,
    actor_id: int,
    confirms: bool,
) -> set[int]:
    """Reverse the old acceptance's events and pay the new one's; return the
    users touched. An asker confirming staff's choice earns only the asker's
    event."""
    touched: set[int] = set()
    if old_id is not None and old_id != answer_id:
        touched |= reputation.reverse(
            reputation.live_events(old_id, reputation.ACCEPT_KINDS), actor_id
        )
    if answer_id is None:
        return touched
    new = load_post(Answer, answer_id)
    if old_id != answer_id:
        touched |= _accept_events(question, new, actor_id)
    elif confirms and new.owner_id not in (None, actor_id):
        reputation.record(actor_id, "accepted_answer", answer_id, actor_id)
        touched.add(actor_id)
    return touched


def _lock_live_answer(answer_id: int) -> None:
    """Lock the answer while it is live. Raises ValidationError if deleted."""
    # A no-op write (it also starts the write transaction on SQLite): a
    # concurrent delete either commits first and fails this, or runs after
    # and sees the acceptance.
    if not wrote_one(
        update(Post)
        .where(Post.id == answer_id, Post.deleted_at.is_(None))
        .values(score=Post.score)
    ):
        db.session.rollback()
        raise ValidationError({"answer_id": "That answer has been deleted."})


def _accept_events(question: Question, answer: Answer, actor_id: int) -> set[int]:
    """Pay "answer_accepted" to the answerer (not on their own question) and,
    when the asker accepts, "accepted_answer" to the asker."""
    if answer.owner_id is None or answer.owner_id == question.owner_id:
        return set()
    events = [
        reputation.record(answer.owner_id, "answer_accepted", answer.id, actor_id)
    ]
    if actor_id == question.owner_id:
        events.append(
            reputation.record(actor_id, "accepted_answer", answer.id, actor_id)
        )
    return reputation.users_of(events)
