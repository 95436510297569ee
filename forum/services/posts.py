"""Editing, deleting and restoring posts; their revision history."""

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
    signals.send(signals.post_edited, post=post, editor=actor)
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


# Diff work (comparisons and steps) one history page may spend, and at most
# one diff by words, then by lines: past them a changed stretch shows as
# replaced whole, so any history renders in bounded time.
DIFF_PAGE_BUDGET = 1_000_000
DIFF_WORDS_BUDGET = 300_000
DIFF_LINES_BUDGET = 100_000


class DiffBudget:
    """Diff work left: shared by the diffs of one page."""

    def __init__(self, units: int = DIFF_PAGE_BUDGET):
        self.left = units


def _edit_script(
    a: list[str], b: list[str], units: int
) -> tuple[list[str] | None, int]:
    """Myers' shortest edit script of a into b ("=", "-" or "+" per step) and
    the work it took; None as the script when it would take more than units."""
    n, m = len(a), len(b)
    frontier = {1: 0}
    trace: list[dict[int, int]] = []
    work = 0
    for d in range(n + m + 1):
        trace.append(frontier.copy())
        work += d + 1
        for k in range(-d, d + 1, 2):
            if k == -d or (k != d and frontier[k - 1] < frontier[k + 1]):
                x = frontier[k + 1]
            else:
                x = frontier[k - 1] + 1
            y = x - k
            start = x
            while x < n and y < m and a[x] == b[y]:
                x += 1
                y += 1
            work += x - start + 1
            frontier[k] = x
            if x >= n and y >= m:
                return _backtrack(trace, n, m), work
        if work > units:
            return None, work
    raise AssertionError("unreachable: d reaches len(a) + len(b) at the latest")


def _backtrack(trace: list[dict[int, int]], x: int, y: int) -> list[str]:
    """The steps of the path _edit_script found, first to last."""
    steps: list[str] = []
    for d in range(len(trace) - 1, -1, -1):
        frontier = trace[d]
        k = x - y
        prev_k = (
            k + 1
            if k == -d or (k != d and frontier[k - 1] < frontier[k + 1])
            else k - 1
        )
        prev_x = frontier[prev_k] if d else 0
        prev_y = prev_x - prev_k if d else 0
        while x > prev_x and y > prev_y:
            steps.append("=")
            x -= 1
            y -= 1
        if d:
            steps.append("+" if x == prev_x else "-")
        x, y = prev_x, prev_y
    steps.reverse()
    return steps


def _parts(a: list[str], b: list[str], steps: list[str]) -> list[tuple[str, str]]:
    """(equal|delete|insert, text) runs of an edit script; in a changed stretch
    the deleted text comes before the inserted text."""
    runs: dict[str, list[str]] = {"equal": [], "delete": [], "insert": []}
    parts: list[tuple[str, str]] = []

    def flush(*ops: str) -> None:
        for op in ops:
            if runs[op]:
                parts.append((op, "".join(runs[op])))
                runs[op].clear()

    i = j = 0
    for step in steps:
        if step == "=":
            flush("delete", "insert")
            runs["equal"].append(a[i])
            i += 1
            j += 1
        else:
            flush("equal")
            if step == "-":
                runs["delete"].append(a[i])
                i += 1
            else:
                runs["insert"].append(b[j])
                j += 1
    flush("delete", "insert", "equal")
    return parts


def _split(text: str, pattern: str) -> list[str]:
    """Tokens that join back into text: the pieces and the separators."""
    return [piece for piece in re.split(pattern, text) if piece]


def revision_history(post: Post, page: int, per_page: int) -> Page:
    """One page of a post's history, newest first: revisions with their diffs
    against the previous one (which may be on the next page)."""
    total = (
        db.session.scalar(
            select(func.max(Revision.number)).where(Revision.post_id == post.id)
        )
        or 0
    )
    top = total - (page - 1) * per_page
    bottom = max(1, top - per_page + 1)
    revisions = list(
        db.session.scalars(
            _revisions_of(post).where(Revision.number.between(bottom - 1, top))
        )
    )
    entries = revision_diffs(revisions) if top >= 1 else []
    if bottom > 1:
        entries = entries[:-1]  # the previous revision, there for its diff
    return Page(items=entries, page=page, per_page=per_page, total=total)


def word_diff(
    old: str, new: str, budget: DiffBudget | None = None
) -> list[tuple[str, str]]:
    """Diff two texts word by word: a list of (equal|insert|delete, text).

    Words first; when that costs too much, whole lines; when that does too,
    the old text deleted and the new one inserted. A budget shared by several
    diffs bounds them all together.
    """
    budget = budget or DiffBudget()
    old, new = old or "", new or ""
    if old == new:
        return [("equal", old)] if old else []
    for pattern, most in (
        (r"(\s+)", DIFF_WORDS_BUDGET),
        (r"(?<=\n)", DIFF_LINES_BUDGET),
    ):
        a, b = _split(old, pattern), _split(new, pattern)
        units = min(most, budget.left)
        if units <= 0:
            break
        steps, work = _edit_script(a, b, units)
        budget.left -= work
        if steps is not None:
            return _parts(a, b, steps)
    return [part for part in (("delete", old), ("insert", new)) if part[1]]


def revision_diffs(revisions: list[Revision]) -> list[dict[str, Any]]:
    """Pair each revision with word diffs (title, body, tags) against the previous,
    newest first; all of them within one diff budget, newest served first."""
    budget = DiffBudget()
    result = []
    for index in range(len(revisions) - 1, -1, -1):
        rev = revisions[index]
        entry: dict[str, Any] = {"revision": rev}
        if index:
            previous = revisions[index - 1]
            entry["title"] = word_diff(previous.title or "", rev.title or "", budget)
            entry["body"] = word_diff(previous.body_markdown, rev.body_markdown, budget)
            entry["tags"] = word_diff(previous.tags, rev.tags, budget)
        result.append(entry)
    return result
