"""Serial voting: find one voter's run of votes on one user's posts, reverse it.

A pattern is SERIAL_VOTE_THRESHOLD or more votes in one direction (up or
down) by one voter on posts of one owner, cast within the last
SERIAL_VOTE_WINDOW_HOURS. Reversing removes the votes (scores follow) and
writes a reversal for each of their live ledger events, as withdrawing them
would, so ``reputation verify`` and ``recount --check`` still agree; each
reversal is kept as a finding for staff. Removed votes are gone, so a second
run finds nothing more.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial

from flask import current_app
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import aliased, selectinload

from forum.extensions import db
from forum.models import Post, ReputationEvent, User, Vote, VoteAuditFinding, utcnow
from forum.services import indexing, permissions, reputation
from forum.services.errors import NotFound
from forum.services.pagination import Page, paginate
from forum.services.questions import load_post
from forum.services.retry import with_retry, write_or_retry


@dataclass
class Pattern:
    """One voter's votes in one direction on one target's posts (a report line)."""

    voter_id: int
    voter: str
    target_id: int
    target: str
    value: int
    votes: int
    target_change: int
    voter_change: int
    first_vote_at: datetime
    last_vote_at: datetime


def window_start(now: datetime | None = None) -> datetime:
    """The oldest vote time the audit looks at."""
    hours = current_app.config["SERIAL_VOTE_WINDOW_HOURS"]
    return (now or utcnow()) - timedelta(hours=hours)


def _group_votes(voter_id: int, target_id: int, value: int, since: datetime):
    """A select of the votes of one pattern, in post id order (the lock order)."""
    return (
        select(Vote)
        .join(Post, Post.id == Vote.post_id)
        .where(
            Vote.user_id == voter_id,
            Post.owner_id == target_id,
            Vote.value == value,
            Vote.created_at >= since,
        )
        .order_by(Vote.post_id)
    )


def find_patterns(since: datetime) -> list[Pattern]:
    """Every pattern of votes cast since ``since``, with what reversing it changes.

    Changes nothing.
    """
    threshold = current_app.config["SERIAL_VOTE_THRESHOLD"]
    voter, target = aliased(User), aliased(User)
    rows = db.session.execute(
        select(
            Vote.user_id,
            voter.username,
            Post.owner_id,
            target.username,
            Vote.value,
            func.count(Vote.id),
            func.min(Vote.created_at),
            func.max(Vote.created_at),
        )
        .join(Post, Post.id == Vote.post_id)
        .join(voter, voter.id == Vote.user_id)
        .join(target, target.id == Post.owner_id)
        .where(Vote.created_at >= since)
        .group_by(Vote.user_id, voter.username, Post.owner_id, target.username)
        .group_by(Vote.value)
        .having(func.count(Vote.id) >= threshold)
        .order_by(Vote.user_id, Post.owner_id, Vote.value.desc())
    ).all()
    patterns = []
    for voter_id, vname, target_id, tname, value, votes, first, last in rows:
        events = _live_events(
            list(db.session.scalars(_group_votes(voter_id, target_id, value, since)))
        )
        target_change, voter_change = _changes(events, target_id, voter_id)
        patterns.append(
            Pattern(
                voter_id,
                vname,
                target_id,
                tname,
                value,
                votes,
                target_change,
                voter_change,
                first,
                last,
            )
        )
    return patterns


def _live_events(votes: list[Vote]) -> list[ReputationEvent]:
    """The live ledger events these votes earned (none on deleted posts)."""
    events: list[ReputationEvent] = []
    for vote in votes:
        events += reputation.live_events(
            vote.post_id, reputation.VOTE_KINDS, vote.user_id
        )
    return events


def _changes(
    events: list[ReputationEvent], target_id: int, voter_id: int
) -> tuple[int, int]:
    """What reversing these events changes in the target's and voter's ledgers."""
    target = -sum(e.delta for e in events if e.user_id == target_id)
    voter = -sum(e.delta for e in events if e.user_id == voter_id)
    return target, voter


def audit(dry_run: bool = False, now: datetime | None = None) -> list[Pattern]:
    """Find the patterns in the window and (unless ``dry_run``) reverse each one.

    One transaction per pattern: its votes removed, its posts' scores, its
    ledger reversals and its finding commit together (retried on a lost race).
    Returns the patterns found (as reversed, when not a dry run).
    """
    since = window_start(now)
    patterns = find_patterns(since)
    if dry_run:
        return patterns
    done = []
    for pattern in patterns:
        reversed_ = with_retry(partial(_reverse, pattern, since))
        if reversed_ is not None:
            done.append(reversed_)
    return done


def _reverse(pattern: Pattern, since: datetime) -> Pattern | None:
    """One attempt at reversing a pattern; None if it fell below the threshold."""
    votes = list(
        db.session.scalars(
            _group_votes(pattern.voter_id, pattern.target_id, pattern.value, since)
        )
    )
    if len(votes) < current_app.config["SERIAL_VOTE_THRESHOLD"]:
        db.session.rollback()
        return None
    # Read the events before the votes go: the same query a withdrawal runs.
    events = _live_events(votes)
    first, last = min(v.created_at for v in votes), max(v.created_at for v in votes)
    for vote in votes:
        write_or_retry(delete(Vote).where(Vote.id == vote.id, Vote.value == vote.value))
        db.session.expunge(vote)
        db.session.execute(
            update(Post)
            .where(Post.id == vote.post_id)
            .values(score=Post.score - vote.value)
            .execution_options(synchronize_session=False)
        )
        indexing.touch(load_post(Post, vote.post_id))
    reputation.lock_users([pattern.target_id, pattern.voter_id])
    touched = reputation.reverse(events)
    reputation.refresh_caches(touched)
    target_change, voter_change = _changes(events, pattern.target_id, pattern.voter_id)
    result = Pattern(
        pattern.voter_id,
        pattern.voter,
        pattern.target_id,
        pattern.target,
        pattern.value,
        len(votes),
        target_change,
        voter_change,
        first,
        last,
    )
    db.session.add(
        VoteAuditFinding(
            voter_id=result.voter_id,
            target_id=result.target_id,
            value=result.value,
            votes=result.votes,
            target_change=result.target_change,
            voter_change=result.voter_change,
            first_vote_at=result.first_vote_at,
            last_vote_at=result.last_vote_at,
        )
    )
    db.session.commit()
    return result


def findings_page(actor: User | None, page: int, per_page: int) -> Page:
    """The audit's findings, newest first, for staff.

    Raises NotFound for anyone else (the page does not exist for them).
    """
    if not permissions.can_read_vote_audit(actor):
        raise NotFound("Page not found.")
    stmt = (
        select(VoteAuditFinding)
        .options(
            selectinload(VoteAuditFinding.voter), selectinload(VoteAuditFinding.target)
        )
        .order_by(VoteAuditFinding.created_at.desc(), VoteAuditFinding.id.desc())
    )
    return paginate(stmt, page, per_page)
