"""Building index documents from the database, in batches (no N+1)."""

import hashlib
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass, field

from sqlalchemy import func, select

from forum.extensions import db
from forum.markup import plain_text
from forum.models import Answer, Comment, Question, User
from forum.search.schema import day_number, micros

# Question ids a rebuild reads per query (and turns into documents at once).
ID_BATCH = 1000
# What a document's fingerprint covers: every field built from text.
TEXT_FIELDS = ("title", "body", "answers", "tags", "users")


def _usernames(user_ids: set[int]) -> dict[int, str]:
    if not user_ids:
        return {}
    rows = db.session.execute(
        select(User.id, User.username).where(User.id.in_(user_ids))
    )
    return {uid: name.lower() for uid, name in rows}


@dataclass
class Thread:
    """A live question with its live answers and the live comments on all."""

    question: Question
    answers: list[Answer] = field(default_factory=list)
    comments: list[Comment] = field(default_factory=list)


def load_threads(question_ids: list[int]) -> dict[int, Thread]:
    """Everything the index holds for these questions, in four queries.

    Returns question id -> thread for live questions; deleted or missing ids
    are absent.
    """
    if not question_ids:
        return {}
    # populate_existing: the session may hold copies loaded before the commit
    # being indexed; the index must get what the database has now.
    questions = db.session.scalars(
        select(Question)
        .where(Question.id.in_(question_ids), Question.deleted_at.is_(None))
        .execution_options(populate_existing=True)
    ).all()
    live_ids = [q.id for q in questions]
    answers = db.session.scalars(
        select(Answer)
        .where(Answer.question_id.in_(live_ids), Answer.deleted_at.is_(None))
        .execution_options(populate_existing=True)
    ).all()
    post_ids = live_ids + [a.id for a in answers]
    comments = db.session.scalars(
        select(Comment)
        .where(Comment.post_id.in_(post_ids), Comment.deleted_at.is_(None))
        .execution_options(populate_existing=True)
    ).all()
    threads: dict[int, Thread] = {}
    # By post id: a question's own and its answers' (Answer.question_id is
    # nullable in the model, though never for a row selected above).
    thread_of: dict[int | None, Thread] = {}
    for question in questions:
        threads[question.id] = thread_of[question.id] = Thread(question)
    for answer in answers:
        thread = thread_of[answer.question_id]
        thread.answers.append(answer)
        thread_of[answer.id] = thread
    for comment in comments:
        thread_of[comment.post_id].comments.append(comment)
    return threads


def build_document(thread: Thread, names: dict[int, str]) -> dict[str, object]:
    """The Whoosh document of one question thread."""
    question = thread.question
    people = [question.owner_id] + [a.owner_id for a in thread.answers]
    users: list[str] = []
    for uid in people:
        if uid is not None and str(uid) not in users:
            users += [str(uid), names.get(uid, "")]
    answer_text = " ".join(plain_text(a.body_html) for a in thread.answers)
    comment_text = " ".join(plain_text(c.body_html) for c in thread.comments)
    text = {
        "title": question.title or "",
        "body": plain_text(question.body_html),
        "answers": f"{answer_text} {comment_text}".strip(),
        "tags": ",".join(question.tag_names),
        "users": ",".join(u for u in users if u),
    }
    return {
        "id": str(question.id),
        **text,
        "fingerprint": fingerprint(text),
        "score": question.score,
        "answer_count": question.answer_count or 0,
        "accepted": question.accepted_answer_id is not None,
        "closed": question.closed_at is not None,
        "duplicate": question.duplicate_of_id is not None,
        "created": day_number(question.created_at),
        "created_at": micros(question.created_at),
        "activity": micros(question.last_activity_at),
        "kind": "question",
    }


def fingerprint(text: dict[str, str]) -> str:
    """A short hash of a document's text fields, in TEXT_FIELDS order."""
    joined = "\x1f".join(text[name] for name in TEXT_FIELDS)
    return hashlib.blake2b(joined.encode(), digest_size=8).hexdigest()


def documents_for(question_ids: list[int]) -> list[dict[str, object]]:
    """Documents for the live questions among ids (deleted or missing ones
    have none)."""
    threads = load_threads(question_ids)
    owner_ids = {
        post.owner_id
        for thread in threads.values()
        for post in [thread.question, *thread.answers]
        if post.owner_id is not None
    }
    names = _usernames(owner_ids)
    return [build_document(thread, names) for thread in threads.values()]


def live_question_count() -> int:
    """How many questions are not deleted (what a rebuild indexes)."""
    stmt = select(func.count(Question.id)).where(Question.deleted_at.is_(None))
    return db.session.scalar(stmt) or 0


def all_question_ids() -> Iterator[list[int]]:
    """Ids of every live question, in batches, by id.

    The session's identity map holds loaded objects weakly, so a long build
    does not grow it; nothing is expunged (the caller's objects stay usable).
    """
    last = 0
    while True:
        ids = list(
            db.session.scalars(
                select(Question.id)
                .where(Question.id > last, Question.deleted_at.is_(None))
                .order_by(Question.id)
                .limit(ID_BATCH)
            )
        )
        if not ids:
            return
        yield ids
        last = ids[-1]


def answer_texts(question_ids: list[int]) -> dict[int, list[tuple[int, str]]]:
    """(answer id, plain text) of the live answers of these questions."""
    result: dict[int, list[tuple[int, str]]] = defaultdict(list)
    if not question_ids:
        return result
    rows = db.session.execute(
        select(Answer.question_id, Answer.id, Answer.body_html).where(
            Answer.question_id.in_(question_ids), Answer.deleted_at.is_(None)
        )
    )
    for qid, aid, html in rows:
        result[qid].append((aid, plain_text(html)))
    return result
