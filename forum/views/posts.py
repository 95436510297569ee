"""Pages: editing, deleting and restoring posts and comments; revision history."""

from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required

from forum.models import Comment, Post, Question
from forum.services import comments, posts, questions
from forum.services.permissions import question_of
from forum.views.forms import CommentForm, EditPostForm, form_page
from forum.views.helpers import login_first, page_arg, viewer

bp = Blueprint("posts", __name__)


def post_url(post: Post, anchor: str | None = None) -> str:
    """The question page holding ``post``, scrolled to ``anchor`` (or the post)."""
    question = question_of(post)
    return url_for(
        "questions.detail",
        question_id=question.id,
        slug=question.slug,
        _anchor=anchor or f"{post.type}-{post.id}",
    )


def comment_url(comment: Comment) -> str:
    """The question page, scrolled to ``comment``."""
    return post_url(comment.post, anchor=f"comment-{comment.id}")


@bp.route("/posts/<int:post_id>/edit", methods=["GET", "POST"])
@login_required
def edit(post_id: int):
    """Edit a question (title, body, tags) or an answer (body) as a new revision."""
    post = posts.editable_post(post_id, viewer())
    is_question = isinstance(post, Question)
    current = {
        "title": post.title if isinstance(post, Question) else None,
        "body": post.body_markdown,
        "tags": " ".join(post.tag_names) if isinstance(post, Question) else None,
    }
    form = EditPostForm(data=current)

    def save() -> str:
        posts.edit_post(
            viewer(),
            post,
            title=form.title.data if is_question else None,
            body=form.body.data,
            tags=form.tags.data if is_question else None,
            summary=form.summary.data,
        )
        return post_url(post)

    page = partial(
        render_template,
        "posts/edit.html",
        form=form,
        post=post,
        is_question=is_question,
        back=post_url(post),
    )
    return form_page(form, page, save, "Your edit was saved.")


@bp.post("/posts/<int:post_id>/delete")
def delete(post_id: int):
    """Soft-delete a post; an optional ``reason`` comes from the form."""
    actor = viewer()
    post = questions.get_post(post_id, actor)
    if actor is None:
        return login_first(post_url(post))
    posts.delete_post(actor, post, request.form.get("reason"))
    if isinstance(post, Question):
        flash("The question was deleted.", "info")
        # Staff stay on the page to see the result (and can undelete it).
        if actor.is_staff:
            return redirect(post_url(post))
        return redirect(url_for("questions.index"))
    flash("The answer was deleted.", "info")
    return redirect(post_url(post))


@bp.post("/posts/<int:post_id>/undelete")
def undelete(post_id: int):
    """Restore a soft-deleted post."""
    actor = viewer()
    post = questions.get_post(post_id, actor)
    if actor is None:
        return login_first(post_url(post))
    posts.undelete_post(actor, post)
    flash(f"The {post.type} was restored.", "success")
    return redirect(post_url(post))


@bp.get("/posts/<int:post_id>/revisions")
def revisions(post_id: int):
    """A page of a post's revisions, newest first, with word diffs."""
    post = questions.get_post(post_id, viewer())
    history = posts.revision_history(
        post, page_arg(), current_app.config["REVISIONS_PER_PAGE"]
    )
    question = question_of(post)
    return render_template(
        "posts/revisions.html",
        post=post,
        question=question,
        entries=history.items,
        history=history,
        post_url=post_url(post),
    )


@bp.route("/comments/<int:comment_id>/edit", methods=["GET", "POST"])
@login_required
def edit_comment(comment_id: int):
    """Edit a comment's text (owner or staff)."""
    comment = comments.editable_comment(comment_id, viewer())
    form = CommentForm(data={"body": comment.body_markdown})

    def save() -> str:
        comments.edit_comment(viewer(), comment, form.body.data)
        return comment_url(comment)

    page = partial(
        render_template,
        "posts/edit_comment.html",
        form=form,
        comment=comment,
        back=comment_url(comment),
    )
    return form_page(form, page, save, "Your comment was saved.")


@bp.post("/comments/<int:comment_id>/delete")
def delete_comment(comment_id: int):
    """Soft-delete a comment (owner or staff)."""
    actor = viewer()
    comment = comments.get_comment(comment_id, actor)
    if actor is None:
        return login_first(comment_url(comment))
    comments.delete_comment(actor, comment)
    flash("The comment was deleted.", "info")
    return redirect(post_url(comment.post))
