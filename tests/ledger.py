"""The reputation ledger checked against everything it derives from."""

from collections import Counter
from datetime import datetime, time

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from forum.extensions import db
from forum.models import Post, ReputationEvent, User, Vote, utcnow
from forum.services import reputation


def live(user: User, kind: str) -> list[ReputationEvent]:
    """The user's events of a kind that are neither reversals nor reversed."""
    reversed_ids = select(ReputationEvent.reverses_id).where(
        ReputationEvent.reverses_id.is_not(None)
    )
    return list(
        db.session.scalars(
            select(ReputationEvent).where(
                ReputationEvent.user_id == user.id,
                ReputationEvent.kind == kind,
                ReputationEvent.reverses_id.is_(None),
                ReputationEvent.id.not_in(reversed_ids),
            )
        )
    )


def assert_consistent() -> None:
    """Check the ledger against everything it derives from (after every scenario)."""
    # Caches equal max(1, 1 + sum), scores equal the sum of votes, reversals
    # mirror an unreversed original and are unique, the accepted answer is a
    # live answer of its question, and the live (unreversed) events are exactly
    # those the current votes, acceptances and spam deletions earn, within the
    # daily cap.
    db.session.expire_all()
    assert reputation.drift() == []
    totals = dict(
        db.session.execute(
            select(ReputationEvent.user_id, func.sum(ReputationEvent.delta)).group_by(
                ReputationEvent.user_id
            )
        ).all()
    )
    for user_id, cached in db.session.execute(select(User.id, User.reputation)):
        assert cached == max(1, 1 + totals.get(user_id, 0)), user_id
    sums = dict(
        db.session.execute(
            select(Vote.post_id, func.sum(Vote.value)).group_by(Vote.post_id)
        ).all()
    )
    posts_by_id = {p.id: p for p in db.session.scalars(select(Post))}
    for post in posts_by_id.values():
        # Imported posts start from the score they had on their site.
        assert post.score == post.imported_score + sums.get(post.id, 0), post.id
    original = ORIGINAL
    for event, first in db.session.execute(
        select(ReputationEvent, original).join(
            original, ReputationEvent.reverses_id == original.id
        )
    ):
        assert first.reverses_id is None  # a reversal is never reversed
        assert (event.user_id, event.post_id, event.kind, event.delta) == (
            first.user_id,
            first.post_id,
            first.kind,
            -first.delta,
        )
    reversed_ids = list(
        db.session.scalars(
            select(ReputationEvent.reverses_id).where(
                ReputationEvent.reverses_id.is_not(None)
            )
        )
    )
    assert len(reversed_ids) == len(set(reversed_ids)), "an event reversed twice"
    live = live_ledger()
    assert live == earned_ledger(posts_by_id, live)
    cap = current_app.config["REPUTATION_DAILY_CAP"]
    assert all(paid <= cap for paid in upvotes_paid_today().values())


ORIGINAL = aliased(ReputationEvent)  # built once: aliasing costs per call


def upvotes_paid_today() -> dict[int, int]:
    """Net upvote reputation per user for upvotes made today (UTC), one query."""
    original = ORIGINAL
    today = datetime.combine(utcnow().date(), time.min)
    made = func.coalesce(original.created_at, ReputationEvent.created_at)
    return dict(
        db.session.execute(
            select(ReputationEvent.user_id, func.sum(ReputationEvent.delta))
            .outerjoin(original, ReputationEvent.reverses_id == original.id)
            .where(ReputationEvent.kind.in_(reputation.UPVOTE_KINDS), made >= today)
            .group_by(ReputationEvent.user_id)
        ).all()
    )


RULE_KINDS = reputation.VOTE_KINDS + reputation.ACCEPT_KINDS + ("spam_penalty",)


def live_ledger() -> Counter:
    """Live rule events as (user, post, kind, voter or None) with their count."""
    reversed_ids = select(ReputationEvent.reverses_id).where(
        ReputationEvent.reverses_id.is_not(None)
    )
    events = db.session.scalars(
        select(ReputationEvent).where(
            ReputationEvent.kind.in_(RULE_KINDS),
            ReputationEvent.reverses_id.is_(None),
            ReputationEvent.id.not_in(reversed_ids),
        )
    )
    found = Counter()
    config = current_app.config["REPUTATION"]
    for e in events:
        if e.kind in reputation.UPVOTE_KINDS:
            assert 0 <= e.delta <= config[e.kind]  # the cap may pay less
        else:
            assert e.delta == config[e.kind]
        voter = e.actor_id if e.kind in reputation.VOTE_KINDS else None
        found[(e.user_id, e.post_id, e.kind, voter)] += 1
    return found


def earned_ledger(posts_by_id: dict[int, Post], live: Counter | None = None) -> Counter:
    """The live events the current state earns, in ``live_ledger``'s shape.

    An acceptance imported from a dump earned nothing here (the user's
    reputation came in as one "imported" event), so an imported question's
    accepted answer may have no events; if it has, they must be the right ones.
    """
    live = live or Counter()
    want = Counter()
    for vote in db.session.scalars(select(Vote)):
        post = posts_by_id[vote.post_id]
        if post.is_deleted:
            continue  # deleting reversed them; undeleting pays them again
        is_answer = post.type == "answer"
        if vote.value == 1:
            kind = "answer_upvoted" if is_answer else "question_upvoted"
            want[(post.owner_id, post.id, kind, vote.user_id)] += 1
        else:
            want[(post.owner_id, post.id, "post_downvoted", vote.user_id)] += 1
            if is_answer:
                want[(vote.user_id, post.id, "downvoted_answer", vote.user_id)] += 1
    for post in posts_by_id.values():
        if post.is_deleted and post.deleted_reason in ("spam", "offensive"):
            want[(post.owner_id, post.id, "spam_penalty", None)] += 1
        if post.type != "question":
            continue
        assert (post.accepted_answer_id is None) == (post.accepted_by is None)
        if post.accepted_answer_id is None:
            continue
        answer = posts_by_id[post.accepted_answer_id]
        assert answer.type == "answer" and answer.question_id == post.id
        assert not answer.is_deleted, "a deleted answer is accepted"
        assert post.accepted_by in ("asker", "staff")
        paid = (answer.owner_id, answer.id, "answer_accepted", None)
        if post.source_url is not None and paid not in live:
            continue  # accepted on the original site
        if answer.owner_id != post.owner_id:
            want[(answer.owner_id, answer.id, "answer_accepted", None)] += 1
            if post.accepted_by == "asker":
                want[(post.owner_id, answer.id, "accepted_answer", None)] += 1
    return want
