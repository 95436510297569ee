"""Badges: awarded right after the events that earn them, by backfill, and listed.

``connect`` hooks receivers onto the signals the services send after they
commit; each receiver checks only the badges the event can earn, for the users
it involves (the voter, the post's owner, the asker...). Rules read the
database (``forum.services.badge_rules``); nothing is counted in memory.
Badges are never revoked.

Notification hook point: ``forum.signals.badge_awarded`` is sent once for each
new award, after it is committed, with ``award`` (the BadgeAward row) and
``backfill`` (True when ``flask --app forum badges award`` found it, so a
notifier can stay quiet about old achievements). Connect a receiver there.
"""

from collections import Counter
from collections.abc import Collection, Iterable
from datetime import datetime

from flask import current_app
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import with_polymorphic

from forum import signals
from forum.caching import TimedCache, app_cache
from forum.extensions import db
from forum.models import (
    Answer,
    BadgeAward,
    Comment,
    ImportedBadge,
    Post,
    Question,
    User,
    utcnow,
)
from forum.services.badge_rules import BADGES, BY_KEY, CLASSES, Badge, qualifying
from forum.services.errors import NotFound
from forum.services.pagination import Page, paginate

# What each event can earn, by the role of the user in it.
ASKER_VOTED = ("student", "nice-question", "good-question", "great-question")
ANSWERER_VOTED = (
    "teacher",
    "nice-answer",
    "good-answer",
    "great-answer",
    "enlightened",
)
VIEWED = ("popular-question", "notable-question", "famous-question")
ACCEPTED_ANSWERER = ("enlightened", "solution-provider")


AwardKey = tuple[str, int, str]  # (badge key, user id, award key)


def award(
    keys: Iterable[str],
    user_ids: Collection[int | None] | None,
    post_id: int | None = None,
    backfill: bool = False,
) -> list[BadgeAward]:
    """Award the badges named by ``keys`` to whoever now meets their rules.

    ``user_ids`` limits the users checked (None: everyone); ``post_id`` limits
    per-post badges to one post. Existing awards are skipped; the unique key
    settles races (a concurrent award wins, this one is dropped). Commits, then
    sends ``badge_awarded`` for each new award, which it returns.
    """
    users: set[int] | None = None
    if user_ids is not None:
        users = {uid for uid in user_ids if uid is not None}
        if not users:
            return []
    badges = [BY_KEY[key] for key in keys]
    # Badges are never revoked: what this process saw held stays held, and
    # most events (a vote by someone who holds Supporter) then need no query.
    known = app_cache("held_badges", "HELD_BADGES_CACHE_SECONDS")
    if known is not None and users is not None:
        badges = [b for b in badges if _may_be_new(known, b, users, post_id)]
        if not badges:
            return []
    held = _held(badges, users, post_id)
    _remember(known, held)
    now = utcnow()
    new = []
    for badge in badges:
        for user_id, pid in _newly_earned(badge, users, post_id, held):
            row = _insert_award(badge, user_id, pid, now)
            if row is not None:  # None: a concurrent request awarded it first
                new.append(row)
    # Read before the commit expires the rows (after it, one query each).
    awarded = [(row.badge, row.user_id, row.award_key) for row in new]
    db.session.commit()
    _remember(known, awarded)
    for row in new:
        signals.send(signals.badge_awarded, award=row, backfill=backfill)
    return new


def _may_be_new(
    known: TimedCache, badge: Badge, user_ids: set[int], post_id: int | None
) -> bool:
    """Whether this event could award ``badge`` to a user not known to hold it."""
    if badge.per_post and post_id is None:
        return True  # a per-post badge of no post in particular is never known
    award_key = str(post_id) if badge.per_post else ""
    return any(known.get((badge.key, uid, award_key)) is None for uid in user_ids)


def _remember(known: TimedCache | None, awards: Iterable[AwardKey]) -> None:
    """Note in this process's cache that these awards are held."""
    if known is not None:
        for key in awards:
            known.put(key, True)


def _held(
    badges: list[Badge], user_ids: Collection[int] | None, post_id: int | None
) -> set[AwardKey]:
    """(badge, user id, award key) of the awards that may clash (one query)."""
    stmt = select(BadgeAward.badge, BadgeAward.user_id, BadgeAward.award_key).where(
        BadgeAward.badge.in_([b.key for b in badges])
    )
    if user_ids is not None:
        stmt = stmt.where(BadgeAward.user_id.in_(list(user_ids)))
    if post_id is not None:
        stmt = stmt.where(BadgeAward.award_key.in_(["", str(post_id)]))
    return {(badge, user_id, key) for badge, user_id, key in db.session.execute(stmt)}


def _newly_earned(
    badge: Badge,
    user_ids: set[int] | None,
    post_id: int | None,
    held: set[AwardKey],
) -> list[tuple[int, int | None]]:
    """(user id, post id) of the awards of ``badge`` that are due and not held;
    adds them to ``held``."""
    candidates = user_ids
    if not badge.per_post and user_ids is not None:
        candidates = {uid for uid in user_ids if (badge.key, uid, "") not in held}
        if not candidates:
            return []
    due = []
    for user_id, pid in qualifying(badge, candidates, post_id):
        key = (badge.key, user_id, str(pid) if badge.per_post else "")
        if key not in held:
            held.add(key)
            due.append((user_id, pid))
    return due


def _insert_award(
    badge: Badge, user_id: int, post_id: int | None, now: datetime
) -> BadgeAward | None:
    """Insert one award in a savepoint; None if a concurrent request won."""
    row = BadgeAward(
        user_id=user_id,
        badge=badge.key,
        award_key=str(post_id) if badge.per_post else "",
        post_id=post_id if badge.per_post else None,
        created_at=now,
    )
    try:
        with db.session.begin_nested():
            db.session.add(row)
    except IntegrityError:
        return None
    return row


def award_all() -> Counter:
    """Backfill: check every rule for every user; return new awards by badge key."""
    counts: Counter = Counter()
    for badge in BADGES:
        counts[badge.key] += len(award([badge.key], None, backfill=True))
    return counts


# ---- Receivers: which badges each event can earn ---------------------------


def _safely(
    keys: Collection[str],
    user_ids: Collection[int | None],
    post_id: int | None = None,
) -> None:
    """Award after an event; a failure here must not fail what already committed."""
    try:
        award(keys, user_ids, post_id)
    except SQLAlchemyError:
        db.session.rollback()
        current_app.logger.exception("Awarding badges %s failed", list(keys))


def on_vote_cast(
    sender,
    post_id: int,
    post_type: str,
    owner_id: int | None,
    voter_id: int,
    value: int,
    score: int,
    **extra,
) -> None:
    """The voter may earn Supporter or Critic; the post's owner score badges.

    A vote changes one post's score, so only the score badges whose threshold
    ``score`` (after the vote) reaches can be newly earned: most votes check
    none, which keeps voting fast.
    """
    if value in (1, -1):
        _safely(["supporter" if value == 1 else "critic"], [voter_id])
    score_badges = ASKER_VOTED if post_type == "question" else ANSWERER_VOTED
    reached = [k for k in score_badges if score >= (BY_KEY[k].threshold or 0)]
    if reached:
        _safely(reached, [owner_id], post_id)


def on_answer_accepted(sender, question: Question, answer: Answer, **extra) -> None:
    """The asker may earn Scholar; the answerer Enlightened, Solution Provider."""
    _safely(["scholar"], [question.owner_id])
    _safely(ACCEPTED_ANSWERER, [answer.owner_id], answer.id)


def on_answer_posted(sender, answer: Answer, **extra) -> None:
    """The answerer may earn Troubleshooter."""
    _safely(["troubleshooter"], [answer.owner_id])


def on_comment_added(sender, comment: Comment, **extra) -> None:
    """The commenter may earn Commentator."""
    _safely(["commentator"], [comment.owner_id])


def on_post_edited(sender, post: Post, editor: User, **extra) -> None:
    """The editor may earn Editor."""
    _safely(["editor"], [editor.id])


def on_question_viewed(sender, question: Question, **extra) -> None:
    """The asker may earn a view-count badge for this question."""
    _safely(VIEWED, [question.owner_id], question.id)


def connect() -> None:
    """Connect the receivers (signals are global; connecting twice is harmless)."""
    signals.vote_cast.connect(on_vote_cast)
    signals.answer_accepted.connect(on_answer_accepted)
    signals.answer_posted.connect(on_answer_posted)
    signals.comment_added.connect(on_comment_added)
    signals.post_edited.connect(on_post_edited)
    signals.question_viewed.connect(on_question_viewed)


# ---- Reading ----------------------------------------------------------------


def get_badge(key: str) -> Badge:
    """The badge with this key. Raises NotFound."""
    badge = BY_KEY.get(key)
    if badge is None:
        raise NotFound("There is no badge with that name.")
    return badge


def awarded_counts() -> dict[str, int]:
    """How many times each badge was awarded, by key (one query)."""
    rows = db.session.execute(
        select(BadgeAward.badge, func.count()).group_by(BadgeAward.badge)
    )
    return {key: count for key, count in rows}


def badge_list() -> list[tuple[Badge, int]]:
    """Every badge with how many times it was awarded, in definition order."""
    counts = awarded_counts()
    return [(badge, counts.get(badge.key, 0)) for badge in BADGES]


def badge_page(page: int, per_page: int) -> Page:
    """One page of ``badge_list`` (for the API's list envelope)."""
    rows = badge_list()
    start = (page - 1) * per_page
    return Page(rows[start : start + per_page], page, per_page, len(rows))


def awards_page(badge: Badge, page: int, per_page: int) -> Page:
    """Who earned a badge, newest first.

    Items are ``(award, post, question)``: for per-post awards whose post and
    question are live, the post and its question (the same for a question);
    otherwise ``None, None``. A fixed number of queries whatever the page size.
    """
    stmt = (
        select(BadgeAward)
        .where(BadgeAward.badge == badge.key)
        .order_by(BadgeAward.created_at.desc(), BadgeAward.id.desc())
    )
    result = paginate(stmt, page, per_page)
    posts = _posts({a.post_id for a in result.items if a.post_id is not None})
    questions = _posts({p.question_id for p in posts.values() if isinstance(p, Answer)})
    result.items = [
        (award_row, *_live_thread(posts.get(award_row.post_id), questions))
        for award_row in result.items
    ]
    return result


def _live_thread(
    post: Post | None, questions: dict[int, Post]
) -> tuple[Post, Post] | tuple[None, None]:
    """(post, its question) when both are live (a question is its own), else
    (None, None)."""
    if post is None or post.is_deleted:
        return None, None
    question = questions.get(post.question_id) if isinstance(post, Answer) else post
    if question is None or question.is_deleted:
        return None, None
    return post, question


def _posts(ids: set[int]) -> dict[int, Post]:
    """Questions and answers by id, every column loaded (one query, or none)."""
    if not ids:
        return {}
    every = with_polymorphic(Post, [Question, Answer])
    return {p.id: p for p in db.session.scalars(select(every).where(every.id.in_(ids)))}


def user_badges(user_id: int) -> dict:
    """A user's badges: ``counts`` by class, ``badges`` as (badge, times, first
    earned) rows, gold first, and ``imported`` badges earned on an imported
    site as (name, class, times, first earned) rows (two queries)."""
    rows = db.session.execute(
        select(BadgeAward.badge, func.count(), func.min(BadgeAward.created_at))
        .where(BadgeAward.user_id == user_id)
        .group_by(BadgeAward.badge)
    )
    earned = [(BY_KEY[key], n, first) for key, n, first in rows if key in BY_KEY]
    earned.sort(key=lambda row: (CLASSES.index(row[0].badge_class), row[0].name))
    counts = dict.fromkeys(CLASSES, 0)
    for badge, n, _first in earned:
        counts[badge.badge_class] += n
    imported = [
        (name, badge_class, n, first)
        for name, badge_class, n, first in db.session.execute(
            select(
                ImportedBadge.name,
                ImportedBadge.badge_class,
                func.count(),
                func.min(ImportedBadge.created_at),
            )
            .where(ImportedBadge.user_id == user_id)
            .group_by(ImportedBadge.name, ImportedBadge.badge_class)
        )
    ]
    imported.sort(key=lambda row: (CLASSES.index(row[1]), row[0]))
    for _name, badge_class, n, _first in imported:
        counts[badge_class] += n
    return {"counts": counts, "badges": earned, "imported": imported}


def class_counts(user_ids: Collection[int]) -> dict[int, dict[str, int]]:
    """Gold, silver and bronze counts for each user id, imported badges
    included (two grouped queries)."""
    result = {uid: dict.fromkeys(CLASSES, 0) for uid in user_ids}
    if not result:
        return result
    rows = db.session.execute(
        select(BadgeAward.user_id, BadgeAward.badge, func.count())
        .where(BadgeAward.user_id.in_(list(result)))
        .group_by(BadgeAward.user_id, BadgeAward.badge)
    )
    for user_id, key, n in rows:
        if key in BY_KEY:
            result[user_id][BY_KEY[key].badge_class] += n
    for user_id, badge_class, n in db.session.execute(
        select(ImportedBadge.user_id, ImportedBadge.badge_class, func.count())
        .where(ImportedBadge.user_id.in_(list(result)))
        .group_by(ImportedBadge.user_id, ImportedBadge.badge_class)
    ):
        result[user_id][badge_class] += n
    return result


def earned_keys(user_id: int | None) -> set[str]:
    """The keys of the badges a user holds (empty for visitors)."""
    if user_id is None:
        return set()
    stmt = select(BadgeAward.badge).where(BadgeAward.user_id == user_id).distinct()
    return set(db.session.scalars(stmt))
