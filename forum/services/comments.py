"""Comments under questions and answers."""

from forum import signals
from forum.extensions import db
from forum.markup import render_markdown
from forum.models import Comment, Post, User, utcnow
from forum.services import indexing, permissions, privileges, sandbox
from forum.services.errors import AuthenticationRequired, NotFound, PermissionDenied
from forum.services.validation import clean_text, limit, raise_if


def _check_body(body: object) -> str:
    errors: dict[str, str] = {}
    text = clean_text(
        errors,
        "body",
        body,
        limit("COMMENT_MIN_LENGTH"),
        limit("COMMENT_MAX_LENGTH"),
        label="Comment",
    )
    raise_if(errors)
    return text


def add_comment(author: User | None, post: Post, body: object) -> Comment:
    """Comment on a live post (COMMENT_MIN_LENGTH-COMMENT_MAX_LENGTH characters,
    within the sandbox's links and images, not one the author posted within
    DUPLICATE_POST_SECONDS).

    Raises AuthenticationRequired, PermissionDenied or ValidationError.
    """
    if author is None:
        raise AuthenticationRequired("Log in to comment.")
    if post.is_deleted:
        raise PermissionDenied("You cannot comment on a deleted post.")
    if not permissions.can_comment(author, post):
        if permissions.question_of(post).is_locked:
            raise PermissionDenied("This question is locked; comments are closed.")
        privileges.require(author, "comment")
    text = _check_body(body)
    sandbox.check_links(author, text)
    sandbox.check_repeat(author, text, Comment)
    comment = Comment(
        post=post,
        owner=author,
        body_markdown=text,
        body_html=str(render_markdown(text)),
        created_at=utcnow(),
    )
    db.session.add(comment)
    indexing.touch(comment)
    db.session.commit()
    signals.send(signals.comment_added, comment=comment)
    return comment


def get_comment(comment_id: int, viewer: User | None) -> Comment:
    """Return a comment the viewer may see. Raises NotFound."""
    comment = db.session.get(Comment, comment_id)
    if comment is None or not permissions.can_view(viewer, comment):
        raise NotFound("That comment does not exist or has been deleted.")
    return comment


def editable_comment(comment_id: int, actor: User | None) -> Comment:
    """Return a comment for its edit form. Raises NotFound or PermissionDenied."""
    comment = get_comment(comment_id, actor)
    if not permissions.can_view(actor, comment.post):
        raise NotFound("That comment does not exist or has been deleted.")
    if not permissions.can_edit_comment(actor, comment):
        raise PermissionDenied("You can only edit your own comments.")
    return comment


def edit_comment(actor: User | None, comment: Comment, body: object) -> Comment:
    """Change a comment's text (owner or staff).

    Raises PermissionDenied or ValidationError.
    """
    if actor is None or not permissions.can_edit_comment(actor, comment):
        raise PermissionDenied("You can only edit your own comments.")
    text = _check_body(body)
    sandbox.check_links(actor, text)
    comment.body_markdown = text
    comment.body_html = str(render_markdown(text))
    comment.last_edited_at = utcnow()
    indexing.touch(comment)
    db.session.commit()
    return comment


def delete_comment(actor: User | None, comment: Comment) -> None:
    """Soft-delete a comment (owner or staff). Raises PermissionDenied."""
    if not permissions.can_delete_comment(actor, comment):
        raise PermissionDenied("You can only delete your own comments.")
    comment.deleted_at = utcnow()
    indexing.touch(comment)
    db.session.commit()
