"""Demo content: a small support community, loaded through the services.

Every post, comment, vote and acceptance goes through the same service a person
would use, so the site's rules apply. Afterwards the times are spread over the
past weeks (the services stamp "now"), with revisions kept consistent.
"""

import secrets
from datetime import datetime, timedelta

from sqlalchemy import func, select, update

from forum.demo_content import (
    DEMO_PASSWORD,
    STAFF_PASSWORD,
    SYNONYMS,
    THREADS,
    USERS,
)
from forum.extensions import db
from forum.models import (
    Answer,
    Comment,
    Post,
    Question,
    ReputationEvent,
    Tag,
    User,
    Vote,
    post_tag,
    utcnow,
)
from forum.services import (
    answers,
    comments,
    indexing,
    posts,
    questions,
    reputation,
    synonyms,
    users,
    voting,
)

# Votes are dated this long after the post they are on.
VOTE_DELAY = timedelta(hours=3)
DEMO_BONUS = 150


def load_demo(now: datetime | None = None) -> dict[str, int] | None:
    """Load the demo users and threads when the database has no users.

    Returns counts of what the database then holds, or None (changing nothing)
    when users or posts already exist (an imported forum may have posts whose
    authors were not imported).
    """
    if db.session.scalar(select(func.count(User.id))) or db.session.scalar(
        select(func.count(Post.id))
    ):
        return None
    now = now or utcnow()
    people = _create_users(now)
    for term, replacement, two_way in SYNONYMS:
        synonyms.add_synonym(people["staff"], term, replacement, two_way)
    for thread in THREADS:
        _load_thread(thread, people, now)
    _date_tags()
    db.session.commit()
    return summary()


def summary() -> dict[str, int]:
    """Count users, questions, answers, comments, votes and accepted answers."""

    def count(stmt) -> int:
        return db.session.scalar(stmt) or 0

    return {
        "users": count(select(func.count(User.id))),
        "questions": count(select(func.count(Question.id))),
        "answers": count(select(func.count(Answer.id))),
        "comments": count(select(func.count(Comment.id))),
        "votes": count(select(func.count(Vote.id))),
        "accepted answers": count(
            select(func.count(Question.id)).where(
                Question.accepted_answer_id.is_not(None)
            )
        ),
    }


def available_logins() -> list[tuple[str, str, str]]:
    """The demo logins that still work here: (username, password, role)."""
    logins = []
    for username, password in (("demo", DEMO_PASSWORD), ("staff", STAFF_PASSWORD)):
        user = users.authenticate(username, password)
        if user is not None:
            logins.append((user.username, password, user.role))
    return logins


def _create_users(now: datetime) -> dict[str, User]:
    """Register the demo people and fill in their profiles; key -> User."""
    people = {}
    for spec in USERS:
        # Accounts without a published password get one nobody knows.
        password = spec.get("password") or secrets.token_urlsafe(18)
        user = users.register_user(
            spec["username"], f"{spec['username']}@example.com", password, spec["role"]
        )
        users.update_profile(
            user,
            user,
            display_name=spec["display_name"],
            about=spec["about"],
            location=spec["location"],
        )
        user.created_at = now - timedelta(days=spec["joined"])
        people[spec["key"]] = user
        if spec["role"] != "staff":
            # A starting bonus, so demo members may comment and vote both ways
            # (those privileges need 50 and 125 reputation).
            event = reputation.grant(user, DEMO_BONUS)
            event.created_at = user.created_at
    db.session.commit()
    return people


def _load_thread(thread: dict, people: dict[str, User], now: datetime) -> None:
    """Ask, answer, comment, edit, vote and accept one thread, then date it."""
    asked = now - timedelta(days=thread["age"])

    def at(hours: float) -> datetime:
        return asked + timedelta(hours=hours)

    asker = people[thread["asker"]]
    question = questions.ask_question(
        asker, thread["title"], thread["body"], thread["tags"]
    )
    stamps: list[tuple[Post | Comment, datetime]] = [(question, asked)]
    edited = None
    if edit := thread.get("edit"):
        revision = posts.edit_post(
            asker,
            question,
            body=question.body_markdown + edit["append"],
            summary=edit["summary"],
        )
        edited = (revision, at(edit["after"]))
    replies = []
    for spec in thread["answers"]:
        answer = answers.post_answer(people[spec["by"]], question, spec["body"])
        replies.append(answer)
        stamps.append((answer, at(spec["after"])))
    for target, author, hours, body in thread["comments"]:
        post = question if target == "q" else replies[target]
        comment = comments.add_comment(people[author], post, body)
        stamps.append((comment, at(hours)))
    ballots: list[tuple[Post, dict]] = [(question, thread["votes"])]
    ballots += [
        (answer, spec["votes"])
        for answer, spec in zip(replies, thread["answers"], strict=True)
    ]
    for post, votes in ballots:
        for voter, value in votes.items():
            voting.cast_vote(people[voter], post, value)
    if thread["accepted"] is not None:
        by_staff = thread.get("accepted_by") == "staff"
        accepter = people["staff"] if by_staff else asker
        voting.accept_answer(accepter, question, replies[thread["accepted"]])
    _apply_dates(question, stamps, edited, thread["views"], now)


def _apply_dates(question, stamps, edited, views: int, now: datetime) -> None:
    """Move the thread's times into the past; first revisions match their posts."""
    for obj, when in stamps:
        obj.created_at = when
        if isinstance(obj, Post):
            obj.last_activity_at = when
            obj.revisions[0].created_at = when
            db.session.execute(
                update(Vote)
                .where(Vote.post_id == obj.id)
                .values(created_at=min(when + VOTE_DELAY, now))
            )
            db.session.execute(
                update(ReputationEvent)
                .where(ReputationEvent.post_id == obj.id)
                .values(created_at=min(when + VOTE_DELAY, now))
            )
    latest = max(when for obj, when in stamps if isinstance(obj, Post))
    if edited is not None:
        revision, when = edited
        revision.created_at = question.last_edited_at = when
        latest = max(latest, when)
    question.last_activity_at = latest
    question.view_count = views
    indexing.touch(question)  # the index holds the dates too
    db.session.commit()


def _date_tags() -> None:
    """Date each tag by the first question that used it."""
    first_use = (
        select(func.min(Post.created_at))
        .join(post_tag, post_tag.c.post_id == Post.id)
        .where(post_tag.c.tag_id == Tag.id)
        .scalar_subquery()
    )
    db.session.execute(update(Tag).values(created_at=first_use))
