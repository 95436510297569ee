"""Tell search that a thread changed, inside the service's own transaction."""

from forum import search
from forum.extensions import db
from forum.models import Comment, Post, Question


def touch(obj: Post | Comment) -> None:
    """Queue the re-indexing of the question a post or comment belongs to."""
    if isinstance(obj, Comment):
        obj = obj.post
    if isinstance(obj, Question):
        if obj.id is None:
            db.session.flush()
        question_id = obj.id
    else:
        question_id = obj.question_id
    search.enqueue(question_id)
