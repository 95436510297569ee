"""Votes and accepted answers, with their reputation events.

Each use case is one transaction: the vote row, the post's score and the
ledger events commit together, and a lost race is retried from the start.
"""

from dataclasses import dataclass

from sqlalchemy import case, delete, func, select, update

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
from forum.services.retry import StaleState, with_retry

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
    """The viewer's votes and, with "view_vote_counts" (500), up/down counts.

    At most two queries whatever the number of posts.
    """
    counts = vote_counts(post_ids) if permissions.can_see_vote_counts(viewer) else None
    return VoteState(mine=my_votes(viewer, post_ids), counts=counts)


def vote_events(post: Post, voter_id: int, value: int, capped: bool = True) -> set[int]:
    """Write the ledger events a vote of ``value`` earns; return users touched."""
    is_answer = post.type == "answer"
    touched = set()
    if value == 1:
        kind = "answer_upvoted" if is_answer else "question_upvoted"
        reputation.record(post.owner_id, kind, post.id, voter_id, capped=capped)
        touched.add(post.owner_id)
    elif value == -1:
        reputation.record(post.owner_id, "post_downvoted", post.id, voter_id)
        touched.add(post.owner_id)
        if is_answer:
            reputation.record(voter_id, "downvoted_answer", post.id, voter_id)
            touched.add(voter_id)
    return touched


def _check_vote(actor: User | None, post: Post, value: object) -> None:
    if actor is None:
        raise AuthenticationRequired("Log in to vote.")
    # bool is an int subclass and 1.0 == 1: only true integers count.
    if type(value) is not int or value not in (1, -1, 0):
        raise ValidationError({"value": "Vote value must be 1, -1 or 0."})
    if permissions.is_owner(actor, post):
        raise PermissionDenied("You cannot vote on your own post.")
    if post.is_deleted:
        raise PermissionDenied("You cannot vote on a deleted post.")
    question = post if isinstance(post, Question) else post.question
    if question.is_deleted:
        raise PermissionDenied("You cannot vote in a deleted question.")
    if question.is_locked:
        raise PermissionDenied("This question is locked; votes are closed.")
    if value == 1:
        privileges.require(actor, "vote_up")
    elif value == -1:
        privileges.require(actor, "vote_down")


def cast_vote(actor: User | None, post: Post, value: object) -> int:
    """Set the actor's vote on a post to +1, -1 or 0 (withdraw); return the score.

    Rules: signed in; not your own, a deleted or a locked post; "vote up" (15)
    or "vote down" (125) privilege (withdrawing needs none). One vote per user
    and post is a database constraint; old events are reversed, new ones
    written. Raises AuthenticationRequired, PermissionDenied or ValidationError.
    """
    _check_vote(actor, post, value)
    voter_id, post_id = actor.id, post.id
    owner_id, post_type = post.owner_id, post.type

    def work() -> int:
        target = db.session.get(Post, post_id)
        vote = db.session.scalar(
            select(Vote).where(Vote.user_id == voter_id, Vote.post_id == post_id)
        )
        old = vote.value if vote else 0
        if old == value:
            # ``target`` may have been loaded before a concurrent vote committed.
            return db.session.scalar(select(Post.score).where(Post.id == post_id))
        if vote is None:
            db.session.add(Vote(user_id=voter_id, post_id=post_id, value=value))
            db.session.flush()
        else:
            # Conditional writes: if another request changed the vote first,
            # nothing matches and the whole unit runs again.
            stmt = (
                delete(Vote) if value == 0 else update(Vote).values(value=value)
            ).where(Vote.id == vote.id, Vote.value == old)
            if (
                db.session.execute(
                    stmt.execution_options(synchronize_session=False)
                ).rowcount
                != 1
            ):
                raise StaleState()
            db.session.expunge(vote)
        # Conditional on the post being live: the check above may predate a
        # concurrent delete, whose reversals would then miss this vote's events.
        scored = db.session.execute(
            update(Post)
            .where(Post.id == post_id, Post.deleted_at.is_(None))
            .values(score=Post.score + (value - old))
            .execution_options(synchronize_session=False)
        )
        if scored.rowcount != 1:
            db.session.rollback()
            raise PermissionDenied("You cannot vote on a deleted post.")
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

    score = with_retry(work)
    # Ids, not the objects: the commit expired them, and reading one again
    # would cost a query per receiver.
    signals.vote_cast.send(
        None,
        post_id=post_id,
        post_type=post_type,
        owner_id=owner_id,
        voter_id=voter_id,
        value=value,
        score=score,
    )
    return score


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


def _accept_events(question: Question, answer: Answer, actor_id: int) -> set[int]:
    """+15 to the answerer (not on their own question), +2 to an accepting asker."""
    touched = set()
    if answer.owner_id is not None and answer.owner_id != question.owner_id:
        reputation.record(answer.owner_id, "answer_accepted", answer.id, actor_id)
        touched.add(answer.owner_id)
        if actor_id == question.owner_id:
            reputation.record(actor_id, "accepted_answer", answer.id, actor_id)
            touched.add(actor_id)
    return touched


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
    if not (permissions.is_owner(actor, question) or permissions.is_staff(actor)):
        raise PermissionDenied("Only the asker or staff can accept an answer.")
    if question.is_deleted:
        raise NotFound("This question has been deleted.")
    if answer is not None:
        if answer.question_id != question.id:
            raise ValidationError(
                {"answer_id": "That answer belongs to another question."}
            )
        if answer.is_deleted:
            raise ValidationError({"answer_id": "That answer has been deleted."})
    actor_id, question_id = actor.id, question.id
    answer_id = answer.id if answer else None
    by = "asker" if permissions.is_owner(actor, question) else "staff"

    def work() -> Question:
        # Read afresh: "nothing to do" decided on a copy loaded before a
        # concurrent change would silently drop this request.
        current = db.session.get(Question, question_id, populate_existing=True)
        old_id = current.accepted_answer_id
        old_by = current.accepted_by
        # The asker confirming staff's choice earns the asker's +2; any other
        # repeat of the current state changes nothing.
        confirms = old_id == answer_id and old_by == "staff" and by == "asker"
        if old_id == answer_id and not confirms:
            return current
        if answer_id is not None:
            # A no-op write locks the answer while it is live (and starts the
            # write transaction on SQLite): a concurrent delete either commits
            # first and fails this, or runs after and sees the acceptance.
            live = db.session.execute(
                update(Post)
                .where(Post.id == answer_id, Post.deleted_at.is_(None))
                .values(score=Post.score)
                .execution_options(synchronize_session=False)
            )
            if live.rowcount != 1:
                db.session.rollback()
                raise ValidationError({"answer_id": "That answer has been deleted."})
        # Conditional write: only if nobody moved the acceptance (or, for a
        # confirmation, changed who made it) meanwhile; else concurrent
        # confirmations would each pay the asker's +2.
        moved = db.session.execute(
            update(Question)
            .where(Question.id == question_id)
            .where(
                Question.accepted_answer_id.is_(None)
                if old_id is None
                else Question.accepted_answer_id == old_id
            )
            .where(
                Question.accepted_by.is_(None)
                if old_by is None
                else Question.accepted_by == old_by
            )
            .values(accepted_answer_id=answer_id, accepted_by=by if answer_id else None)
            .execution_options(synchronize_session=False)
        )
        if moved.rowcount != 1:
            raise StaleState()
        touched: set[int] = set()
        if old_id is not None and old_id != answer_id:
            touched |= reputation.reverse(
                reputation.live_events(old_id, reputation.ACCEPT_KINDS), actor_id
            )
        new = db.session.get(Answer, answer_id) if answer_id else None
        if new is not None and old_id != answer_id:
            touched |= _accept_events(current, new, actor_id)
        elif confirms and new.owner_id not in (None, actor_id):
            reputation.record(actor_id, "accepted_answer", answer_id, actor_id)
            touched.add(actor_id)
        reputation.refresh_caches(touched)
        indexing.touch(current)
        db.session.commit()
        db.session.refresh(current)
        return current

    result = with_retry(work)
    if answer is not None:
        signals.answer_accepted.send(None, question=result, answer=answer, actor=actor)
    return result


def get_votable_post(post_id: int, viewer: User | None) -> Post:
    """Return a post the viewer may see, for voting. Raises NotFound."""
    from forum.services.questions import get_post

    return get_post(post_id, viewer)
