"""Asking, listing and reading questions."""

import hmac
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import TypeVar

from flask import current_app
from sqlalchemy import bindparam, delete, false, func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import aliased, lazyload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from forum import signals
from forum.caching import app_cache, app_clock
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import (
    Answer,
    Comment,
    Post,
    Question,
    QuestionView,
    Revision,
    Tag,
    User,
    post_tag,
    utcnow,
)
from forum.services import indexing, permissions, sandbox
from forum.services.errors import AuthenticationRequired, BadRequest, NotFound
from forum.services.pagination import Page, paginate
from forum.services.tags import TAG_RE, get_or_create_tags, parse_tags
from forum.services.validation import clean_text, limit, raise_if

SORTS = ("newest", "active", "votes", "unanswered")

P = TypeVar("P", bound=Post)


def check_title_body(
    errors: dict[str, str], title: object, body: object
) -> tuple[str, str]:
    """Validate a question's title and body (shared by ask and edit)."""
    title_text = " ".join(
        clean_text(
            errors,
            "title",
            title,
            limit("TITLE_MIN_LENGTH"),
            limit("TITLE_MAX_LENGTH"),
            label="Title",
        ).split()
    )
    body_text = clean_text(
        errors,
        "body",
        body,
        limit("BODY_MIN_LENGTH"),
        limit("BODY_MAX_LENGTH"),
        label="Body",
    )
    return title_text, body_text


def preview_markdown(body: object) -> str:
    """Render a draft body to sanitised HTML for the live preview.

    Rules: text without NUL, at most BODY_MAX_LENGTH characters (no minimum: a
    draft may be empty). Raises ValidationError.
    """
    errors: dict[str, str] = {}
    text = clean_text(
        errors,
        "body",
        body,
        max_len=limit("BODY_MAX_LENGTH"),
        label="Body",
        strip=False,
    )
    raise_if(errors)
    return str(render_markdown(text))


def ask_question(
    author: User | None, title: object, body: object, tags: object
) -> Question:
    """Create a question with its first revision.

    Rules: title within TITLE_MIN_LENGTH-TITLE_MAX_LENGTH characters, body within
    BODY_MIN_LENGTH-BODY_MAX_LENGTH, TAGS_MIN-TAGS_MAX valid tags (unknown tags
    are created), the new-user sandbox's links and images, and no body the
    author posted within DUPLICATE_POST_SECONDS (services.sandbox).
    Raises AuthenticationRequired or ValidationError.
    """
    if author is None:
        raise AuthenticationRequired("Log in to ask a question.")
    errors: dict[str, str] = {}
    title_text, body_text = check_title_body(errors, title, body)
    names = parse_tags(errors, tags)
    raise_if(errors)
    sandbox.check_links(author, body_text)
    sandbox.check_repeat(author, body_text, Post)
    now = utcnow()
    question = Question(
        owner=author,
        title=title_text,
        body_markdown=body_text,
        body_html=str(render_markdown(body_text)),
        tags=get_or_create_tags(names),
        created_at=now,
        last_activity_at=now,
    )
    db.session.add(question)
    db.session.add(
        Revision(
            post=question,
            number=1,
            author=author,
            created_at=now,
            title=title_text,
            body_markdown=body_text,
            tags=" ".join(names),
        )
    )
    indexing.touch(question)
    db.session.commit()
    signals.send(signals.question_asked, question=question)
    return question


def get_question(question_id: int, viewer: User | None) -> Question:
    """Return a question the viewer may see. Raises NotFound."""
    question = db.session.get(Question, question_id, options=[lazyload(Question.tags)])
    if question is None or not permissions.can_view(viewer, question):
        raise NotFound("That question does not exist or has been deleted.")
    attach_tags([question])
    return question


def get_post(post_id: int, viewer: User | None) -> Question | Answer:
    """Return a question or answer the viewer may see. Raises NotFound."""
    post = visible_post(post_id, viewer)
    if post is None:
        raise NotFound("That post does not exist or has been deleted.")
    return post


def visible_post(post_id: int, viewer: User | None) -> Question | Answer | None:
    """The question or answer with this id if the viewer may see it and, for an
    answer, its question; else None."""
    post = db.session.get(Post, post_id)
    if not isinstance(post, (Question, Answer)):
        return None
    if not permissions.can_view(viewer, post):
        return None
    if isinstance(post, Answer) and not permissions.can_view(viewer, post.question):
        return None
    return post


def load_post(model: type[P], post_id: int, fresh: bool = False) -> P:
    """The post with this id for a unit of work, without a visibility check (the
    caller made it); ``fresh`` reads again a copy already loaded.

    Raises NotFound (posts are soft-deleted, so only for a row removed by hand).
    """
    post = db.session.get(model, post_id, populate_existing=fresh)
    if post is None:
        raise NotFound("That post does not exist.")
    return post


def list_questions(
    sort: str = "newest",
    tags: list[str] | None = None,
    solved: bool | None = None,
    page: int = 1,
    per_page: int = 30,
    owner_id: int | None = None,
) -> Page:
    """List live questions.

    ``sort``: newest, active, votes or unanswered; ``tags``: all must match;
    ``solved``: True for accepted answer, False for none. Raises BadRequest.
    """
    if sort not in SORTS:
        raise BadRequest(
            f"sort must be one of {', '.join(SORTS)}.", {"sort": str(sort)[:50]}
        )
    stmt = select(Question).where(Question.deleted_at.is_(None))
    for raw in tags or []:
        name = raw.strip().lower()
        if not name:
            continue
        if not TAG_RE.match(name):
            # No tag can have this name: the list is empty (and nothing odd,
            # such as a NUL byte, reaches the database).
            stmt = stmt.where(false())
            break
        stmt = stmt.where(Question.tags.any(Tag.name == name))
    if solved is True:
        stmt = stmt.where(Question.accepted_answer_id.is_not(None))
    elif solved is False:
        stmt = stmt.where(Question.accepted_answer_id.is_(None))
    if owner_id is not None:
        stmt = stmt.where(Question.owner_id == owner_id)
    if sort == "newest":
        stmt = stmt.order_by(Question.created_at.desc(), Question.id.desc())
    elif sort == "active":
        stmt = stmt.order_by(Question.last_activity_at.desc(), Question.id.desc())
    elif sort == "votes":
        stmt = stmt.order_by(Question.score.desc(), Question.id.desc())
    else:
        stmt = stmt.where(Question.answer_count == 0).order_by(
            Question.created_at.desc(), Question.id.desc()
        )
    page_of = paginate(stmt.options(lazyload(Question.tags)), page, per_page)
    attach_tags(page_of.items)
    return page_of


# The statements of a question page, built once (building a statement and its
# cache key is a large share of running it): parameters are bound per call.
_TAGS_OF = (
    select(post_tag.c.post_id, Tag)
    .join(Tag, Tag.id == post_tag.c.tag_id)
    .where(post_tag.c.post_id.in_(bindparam("post_ids", expanding=True)))
    .order_by(post_tag.c.post_id, post_tag.c.tag_id)
)
_THREAD_ANSWERS = select(Answer).where(Answer.question_id == bindparam("question_id"))
_THREAD_COMMENTS = (
    select(Comment)
    .where(Comment.post_id.in_(bindparam("post_ids", expanding=True)))
    .order_by(Comment.created_at, Comment.id)
)


def attach_tags(rows: list[Question]) -> None:
    """Load the tags of many questions with one plain query (cheaper than a
    selectin load, which spends most of its time grouping rows)."""
    missing = [q for q in rows if "tags" not in q.__dict__]
    if not missing:
        return
    by_question: dict[int, list[Tag]] = {q.id: [] for q in missing}
    found = db.session.execute(_TAGS_OF, {"post_ids": list(by_question)})
    for question_id, tag in found:
        by_question[question_id].append(tag)
    for question in missing:
        set_committed_value(question, "tags", by_question[question.id])


def list_answers_by(owner_id: int, page: int, per_page: int) -> Page:
    """A user's live answers on live questions, newest first."""
    # A join, not "IN (every live question)": the user's answers come from
    # the owner index and each one's question by its key.
    asked = aliased(Question)
    stmt = (
        select(Answer)
        .join(asked, asked.id == Answer.question_id)
        .where(
            Answer.owner_id == owner_id,
            Answer.deleted_at.is_(None),
            asked.deleted_at.is_(None),
        )
        .options(selectinload(Answer.question))
        .order_by(Answer.created_at.desc(), Answer.id.desc())
    )
    return paginate(stmt, page, per_page)


def answer_sort_key(
    question: Question,
) -> Callable[[Answer], tuple[bool, int, datetime, int]]:
    """Sort key: accepted first, then higher score, then oldest."""

    def key(answer: Answer) -> tuple[bool, int, datetime, int]:
        return (
            answer.id != question.accepted_answer_id,
            -answer.score,
            answer.created_at,
            answer.id,
        )

    return key


def thread(question: Question, viewer: User | None) -> tuple[list, dict]:
    """Return the answers the viewer may see (in page order) and comments by post.

    Two queries whatever the number of answers and comments.
    """
    answers = db.session.scalars(_THREAD_ANSWERS, {"question_id": question.id}).all()
    answers = [a for a in answers if permissions.can_view(viewer, a)]
    answers.sort(key=answer_sort_key(question))
    post_ids = [question.id] + [a.id for a in answers]
    comments: dict[int, list[Comment]] = {pid: [] for pid in post_ids}
    rows = db.session.scalars(_THREAD_COMMENTS, {"post_ids": post_ids})
    for comment in rows:
        if permissions.can_view(viewer, comment):
            comments[comment.post_id].append(comment)
    return answers, comments


def viewer_key(user: User | None, remote_addr: str | None) -> str:
    """A stable, non-reversible key for one visitor: the user id, else the
    client address alone (a header such as User-Agent is the client's to
    change, so it would let one client count as many viewers)."""
    raw = f"user:{user.id}" if user else f"anon:{remote_addr}"
    # Keyed by the secret: an address cannot be found by hashing them all.
    secret = str(current_app.config["SECRET_KEY"]).encode()
    return hmac.new(secret, raw.encode("utf-8", "replace"), "sha256").hexdigest()


def record_view(question: Question, key: str) -> bool:
    """Count one view unless this visitor was counted within the window.

    The one write a GET makes. Returns whether the view counted.
    """
    window_seconds = current_app.config["VIEW_WINDOW_SECONDS"]
    seconds = app_clock()()
    now = datetime.fromtimestamp(seconds, UTC).replace(tzinfo=None)
    # This process remembers when it last saw this visitor's view counted,
    # and asks the database only once that is out of the window.
    seen_views = app_cache("seen_views", "VIEW_WINDOW_SECONDS")
    memo = (question.id, key)
    seen_at = seen_views.get(memo) if seen_views is not None else None
    since = now - timedelta(seconds=window_seconds)
    if seen_at is None or seen_at <= since:
        seen_at = _counted_since(question.id, key, since)
    if seen_at is not None:
        if seen_views is not None:
            seen_views.put(memo, seen_at)
        return False
    if not _count_view(question.id, key, now, int(seconds // window_seconds)):
        return False
    # Forget views older than two windows so the table stays small.
    db.session.execute(
        delete(QuestionView).where(
            QuestionView.question_id == question.id,
            QuestionView.created_at < now - timedelta(seconds=2 * window_seconds),
        )
    )
    db.session.commit()
    if seen_views is not None:
        seen_views.put(memo, now)
    db.session.refresh(question, ["view_count"])
    signals.send(signals.question_viewed, question=question)
    return True


def _counted_since(question_id: int, key: str, since: datetime) -> datetime | None:
    """When this visitor's view of the question was last counted after ``since``."""
    return db.session.scalar(
        select(func.max(QuestionView.created_at)).where(
            QuestionView.question_id == question_id,
            QuestionView.viewer == key,
            QuestionView.created_at > since,
        )
    )


def _count_view(question_id: int, key: str, now: datetime, window: int) -> bool:
    """Record the view and add it to the question's count; False when a
    concurrent request by the same visitor counted this window already."""
    try:
        with db.session.begin_nested():
            db.session.add(
                QuestionView(
                    question_id=question_id, viewer=key, created_at=now, window=window
                )
            )
    except IntegrityError:
        return False
    db.session.execute(
        update(Question)
        .where(Question.id == question_id)
        .values(view_count=Question.view_count + 1)
        .execution_options(synchronize_session=False)
    )
    return True
