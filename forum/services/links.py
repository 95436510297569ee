"""Links between posts (linked and duplicate questions) and imported posts'
source ids."""

from sqlalchemy import bindparam, or_, select
from sqlalchemy.orm import lazyload

from forum.extensions import db
from forum.models import Answer, ImportRecord, PostLink, Question, User
from forum.services import permissions
from forum.services.errors import NotFound
from forum.services.questions import visible_post

# Built once: every question page runs it.
_LINKS_OF = select(PostLink.post_id, PostLink.related_post_id).where(
    or_(
        PostLink.post_id == bindparam("post_id"),
        PostLink.related_post_id == bindparam("post_id"),
    )
)


def linked_questions(
    question: Question, viewer: User | None, limit: int = 10
) -> list[Question]:
    """Live questions this one links to or is linked from (duplicates too),
    highest score first; two queries."""
    rows = db.session.execute(_LINKS_OF, {"post_id": question.id})
    ids = {pid for pair in rows for pid in pair} - {question.id}
    if question.duplicate_of_id is not None:
        ids.add(question.duplicate_of_id)
    if not ids:
        return []
    found = db.session.scalars(
        select(Question)
        .where(Question.id.in_(ids), Question.deleted_at.is_(None))
        .order_by(Question.score.desc(), Question.id)
        .limit(limit)
        .options(lazyload("*"))  # titles and scores: no owners or tags
    )
    return [q for q in found if permissions.can_view(viewer, q)]


def imported_post(site: str, source_id: int, viewer: User | None) -> Question | Answer:
    """The post imported from ``site`` with that source id. Raises NotFound."""
    local = db.session.scalar(
        select(ImportRecord.local_id).where(
            ImportRecord.site == site.lower(),
            ImportRecord.kind == "post",
            ImportRecord.source_id == source_id,
        )
    )
    post = visible_post(local, viewer) if local is not None else None
    if post is None:
        raise NotFound("No post was imported with that id from that site.")
    return post
