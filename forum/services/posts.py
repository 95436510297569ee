"""Editing, deleting and restoring posts; their revision history."""

import difflib
import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Select, func, select, update

from forum import signals
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import Answer, Post, Question, Revision, User, Vote, utcnow
from forum.services import (
    indexing,
    permissions,
    privileges,
    reputation,
    sandbox,
    voting,
)
from forum.services.answers import bump_answer_count, check_answer_body
from forum.services.errors import (
    AuthenticationRequired,
    PermissionDenied,
    ValidationError,
)
from forum.services.pagination import Page, paginate
from forum.services.questions import check_title_body, get_post, load_post
from forum.services.retry import with_retry, write_or_retry
from forum.services.tags import get_or_create_tags, parse_tags
from forum.services.validation import clean_text, limit, raise_if


@dataclass(frozen=True)
class _Edit:
    """An edit's checked values: every field as it will be after the edit."""

    title: str | None
    body: str
    tags: list[str]
    summary: str


def edit_post(
    actor: User | None,
    post: Post,
    title: object = None,
    body: object = None,
    tags: object = None,
    summary: object = None,
) -> Revision:
    """Change a post's title, body or tags (None keeps a field) as a new revision.

    Owners edit their posts; staff and the "edit" privilege edit any; the
    "retag" privilege changes a question's tags only. Titles and tags belong to
    questions; lengths as for asking and answering, a summary within
    EDIT_SUMMARY_MAX_LENGTH; a new body within the sandbox's links and images.
    Raises AuthenticationRequired, PermissionDenied or ValidationError (also
    when the edit changes nothing).
    """
    if actor is None:
        raise AuthenticationRequired("Log in to edit.")
    tags_only = title in (None, getattr(post, "title", None)) and body in (
        None,
        post.body_markdown,
    )
    full_edit = _require_edit_or_retag(actor, post, tags_only)
    edit = _checked_edit(post, title, body, tags, summary)
    text_changed = edit.body != post.body_markdown or (
        isinstance(post, Question) and edit.title != post.title
    )
    if not full_edit and text_changed:
        privileges.require(actor, "edit")  # retaggers change tags only
    tags_changed = isinstance(post, Question) and set(edit.tags) != set(post.tag_names)
    if not (text_changed or tags_changed):
        raise ValidationError(
            {"body": "Your edit changes nothing; change the text before saving."}
        )
    if edit.body != post.body_markdown:
        sandbox.check_links(actor, edit.body)
    now = utcnow()
    _apply_edit(post, edit, now)
    revision = _add_revision(post, actor, edit, now)
    indexing.touch(post)
    db.session.commit()
    signals.post_edited.send(None, post=post, editor=actor)
    return revision


def _checked_edit(
    post: Post, title: object, body: object, tags: object, summary: object
) -> _Edit:
    """Validate the fields given (None keeps a field). Raises ValidationError."""
    errors: dict[str, str] = {}
    new_title: str | None = None
    names: list[str] = []
    if isinstance(post, Question):
        new_title, new_body = check_title_body(
            errors,
            post.title if title is None else title,
            post.body_markdown if body is None else body,
        )
        names = post.tag_names if tags is None else parse_tags(errors, tags)
    else:
        if title is not None or tags is not None:
            field = "title" if title is not None else "tags"
            errors[field] = "Only questions have a title and tags."
        new_body = post.body_markdown
        if body is not None:
            new_body = check_answer_body(errors, body)
    note = clean_text(
        errors,
        "summary",
        summary,
        max_len=limit("EDIT_SUMMARY_MAX_LENGTH"),
        label="Edit summary",
    )
    raise_if(errors)
    return _Edit(new_title, new_body, names, note)


def _apply_edit(post: Post, edit: _Edit, now: datetime) -> None:
    """Set the post's fields and activity times to the edit's."""
    if isinstance(post, Question):
        post.title = edit.title
        post.tags = get_or_create_tags(edit.tags)
    if edit.body != post.body_markdown:
        post.body_markdown = edit.body
        post.body_html = str(render_markdown(edit.body))
    post.last_edited_at = now
    post.last_activity_at = now
    if isinstance(post, Answer):
        post.question.last_activity_at = now


def _add_revision(post: Post, author: User, edit: _Edit, now: datetime) -> Revision:
    """Add the post's next revision, a snapshot of the edit."""
    number = (
        db.session.scalar(
            select(func.max(Revision.number)).where(Revision.post_id == post.id)
        )
        or 0
    ) + 1
    revision = Revision(
        post=post,
        number=number,
        author=author,
        created_at=now,
        summary=edit.summary,
        title=edit.title,
        body_markdown=edit.body,
        tags=" ".join(edit.tags),
    )
    db.session.add(revision)
    return revision


def editable_post(post_id: int, actor: User | None) -> Question | Answer:
    """Return a post for its edit form. Raises NotFound or PermissionDenied."""
    post = get_post(post_id, actor)
    _require_edit_or_retag(actor, post)
    return post


def _require_edit_or_retag(
    actor: User | None, post: Post, tags_only: bool = True
) -> bool:
    """Check the actor may edit (True) or at least retag (False) the post.

    Raises PermissionDenied naming the lowest privilege that would allow the
    change: "retag" for a question's tags alone (and its edit form), else "edit".
    """
    if post.is_deleted:
        raise PermissionDenied("Deleted posts cannot be edited; undelete it first.")
    if permissions.can_edit(actor, post):
        return True
    if isinstance(post, Question) and permissions.can_retag(actor, post):
        return False
    privileges.require(
        actor, "retag" if isinstance(post, Question) and tags_only else "edit"
    )
    return True


DELETE_REASONS = ("", "spam", "offensive", "duplicate", "obsolete", "other")
# Staff only: they cost the owner the "spam_penalty" reputation event.
PENALTY_REASONS = ("spam", "offensive")
ALL_POST_KINDS = reputation.VOTE_KINDS + reputation.ACCEPT_KINDS


def delete_post(actor: User | None, post: Post, reason: object = None) -> None:
    """Soft-delete a post (hidden from everyone but its owner and staff).

    Owners delete their answers and their questions without answers; staff
    delete anything, and staff deleting as spam/offensive charges the owner
    the "spam_penalty" event. The post's reputation events are reversed;
    deleting the accepted answer un-accepts it. Raises AuthenticationRequired,
    PermissionDenied or ValidationError (bad reason).
    """
    if actor is None:
        raise AuthenticationRequired("Log in to delete.")
    reason = "" if reason is None else reason
    if reason not in DELETE_REASONS:
        raise ValidationError(
            {"reason": f"Reason must be one of: {', '.join(DELETE_REASONS[1:])}."}
        )
    if reason in PENALTY_REASONS and not actor.is_staff:
        raise PermissionDenied("Only staff delete posts as spam or offensive.")
    checked = str(reason)
    actor_id, post_id = actor.id, post.id
    with_retry(lambda: _apply_delete(actor, actor_id, post_id, checked))
    db.session.refresh(post)


def _apply_delete(actor: User, actor_id: int, post_id: int, reason: str) -> None:
    """One attempt at deleting: mark the post, reverse what it earned; commit."""
    target = load_post(Post, post_id)
    _check_deletable(actor, target)
    # Conditional write: a concurrent delete makes this match nothing.
    write_or_retry(
        update(Post)
        .where(Post.id == post_id, Post.deleted_at.is_(None))
        .values(
            deleted_at=utcnow(), deleted_by_id=actor_id, deleted_reason=reason or None
        )
    )
    touched = reputation.reverse(
        reputation.live_events(post_id, ALL_POST_KINDS), actor_id
    )
    if isinstance(target, Answer):
        _remove_answer(target)
    if reason in PENALTY_REASONS:
        penalty = reputation.record(target.owner_id, "spam_penalty", post_id, actor_id)
        touched |= reputation.users_of([penalty])
    reputation.refresh_caches(touched)
    indexing.touch(target)
    db.session.commit()


def _remove_answer(answer: Answer) -> None:
    """Take a deleted answer off its question's count and acceptance."""
    question = answer.question
    bump_answer_count(question, -1)
    # In SQL, not on the loaded copy: that may predate a concurrent accept of
    # this answer, which would then stay accepted.
    db.session.execute(
        update(Question)
        .where(Question.id == question.id, Question.accepted_answer_id == answer.id)
        .values(accepted_answer_id=None, accepted_by=None)
        .execution_options(synchronize_session=False)
    )
    db.session.expire(question, ["accepted_answer_id", "accepted_by"])


def _check_deletable(actor: User, post: Post) -> None:
    """Raise PermissionDenied, saying why, unless ``actor`` may delete ``post``."""
    if permissions.can_delete(actor, post):
        return
    if post.is_deleted:
        raise PermissionDenied("This post is already deleted.")
    if permissions.is_owner(actor, post):
        raise PermissionDenied(
            "You cannot delete a question that has answers; flag it for staff."
        )
    raise PermissionDenied("You can only delete your own posts.")


def undelete_post(actor: User | None, post: Post) -> None:
    """Restore a soft-deleted post and the reputation its votes earned.

    A spam/offensive penalty is reversed. Raises AuthenticationRequired or
    PermissionDenied.
    """
    if actor is None:
        raise AuthenticationRequired("Log in to undelete.")
    actor_id, post_id = actor.id, post.id
    with_retry(lambda: _apply_undelete(actor, actor_id, post_id))
    db.session.refresh(post)


def _apply_undelete(actor: User, actor_id: int, post_id: int) -> None:
    """One attempt at restoring: unmark the post, pay its votes again; commit."""
    target = load_post(Post, post_id)
    if not permissions.can_undelete(actor, target):
        raise PermissionDenied("You cannot undelete this post.")
    write_or_retry(
        update(Post)
        .where(Post.id == post_id, Post.deleted_at.is_not(None))
        .values(deleted_at=None, deleted_by_id=None, deleted_reason=None)
    )
    touched = reputation.reverse(
        reputation.live_events(post_id, reputation.PENALTY_KINDS), actor_id
    )
    # The question's row before any user's (the lock order of accepting).
    if isinstance(target, Answer):
        bump_answer_count(target.question, +1)
    touched |= _pay_standing_votes(target)
    reputation.refresh_caches(touched)
    indexing.touch(target)
    db.session.commit()


def _pay_standing_votes(post: Post) -> set[int]:
    """Pay what the post's votes earn (as of now); return the users touched."""
    # Votes survive a delete; every user involved is locked in id order first.
    votes = list(db.session.scalars(select(Vote).where(Vote.post_id == post.id)))
    reputation.lock_users([post.owner_id] + [vote.user_id for vote in votes])
    touched: set[int] = set()
    for vote in votes:
        touched |= voting.vote_events(post, vote.user_id, vote.value)
    return touched


def _revisions_of(post: Post) -> Select[tuple[Revision]]:
    """A post's revisions, oldest (number 1) first."""
    return select(Revision).where(Revision.post_id == post.id).order_by(Revision.number)


def list_revisions(post: Post) -> list[Revision]:
    """All revisions of a post, oldest (number 1) first."""
    return list(db.session.scalars(_revisions_of(post)))


def revisions_page(post: Post, page: int, per_page: int) -> Page:
    """One page of a post's revisions, oldest (number 1) first."""
    return paginate(_revisions_of(post), page, per_page)


def word_diff(old: str, new: str) -> list[tuple[str, str]]:
    """Diff two texts word by word: a list of (equal|insert|delete, text)."""
    a = re.split(r"(\s+)", old or "")
    b = re.split(r"(\s+)", new or "")
    parts: list[tuple[str, str]] = []
    matcher = difflib.SequenceMatcher(None, a, b, autojunk=False)
    for op, i1, i2, j1, j2 in matcher.get_opcodes():
        if op == "equal":
            parts.append(("equal", "".join(a[i1:i2])))
            continue
        if op in ("delete", "replace"):
            parts.append(("delete", "".join(a[i1:i2])))
        if op in ("insert", "replace"):
            parts.append(("insert", "".join(b[j1:j2])))
    return parts


def revision_diffs(revisions: list[Revision]) -> list[dict[str, Any]]:
    """Pair each revision with word diffs (title, body, tags) against the previous,
    newest first."""
    result = []
    previous = None
    for rev in revisions:
        entry: dict[str, Any] = {"revision": rev}
        if previous is not None:
            entry["title"] = word_diff(previous.title or "", rev.title or "")
            entry["body"] = word_diff(previous.body_markdown, rev.body_markdown)
            entry["tags"] = word_diff(previous.tags, rev.tags)
        result.append(entry)
        previous = rev
    result.reverse()
    return result
