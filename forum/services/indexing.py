"""Tell search that a thread changed, inside the service's own transaction."""

from forum import search
from forum.extensions import db
from forum.models import Answer, Comment, Post


def touch(obj: Post | Comment) -> None:
    """Queue the re-indexing of the question a post or comment belongs to."""
    post = obj.post if isinstance(obj, Comment) else obj
    if isinstance(post, Answer):
        search.enqueue(post.question_id)
        return
    if post.id is None:
        db.session.flush()  # a new question gets its id
    search.enqueue(post.id)
