"""API: editing, deleting, revisions, comments and votes on any post."""

from forum.services import comments, posts, questions, voting
from forum.views.api import ID, bp
from forum.views.api import serializers as out
from forum.views.api.parsing import actor, json_body, page_args


@bp.patch(f"/posts/<{ID}:post_id>")
def edit_post(post_id: int):
    """Edit a post's title, body or tags (a new revision): the post."""
    user = actor()
    post = questions.get_post(post_id, user)
    body = json_body()
    posts.edit_post(
        user,
        post,
        title=body.get("title"),
        body=body.get("body"),
        tags=body.get("tags"),
        summary=body.get("summary"),
    )
    return out.post(post, user)


@bp.delete(f"/posts/<{ID}:post_id>")
def delete_post(post_id: int):
    """Soft-delete a post, with an optional ``reason``: 204."""
    user = actor()
    post = questions.get_post(post_id, user)
    posts.delete_post(user, post, json_body(optional=True).get("reason"))
    return "", 204


@bp.get(f"/posts/<{ID}:post_id>/revisions")
def list_revisions(post_id: int):
    """A post's revisions, the original being number 1."""
    page, per_page = page_args()
    post = questions.get_post(post_id, actor())
    return out.revisions_page(posts.revisions_page(post, page, per_page))


@bp.post(f"/posts/<{ID}:post_id>/comments")
def create_comment(post_id: int):
    """Comment on a post: 201 with the comment."""
    user = actor()
    post = questions.get_post(post_id, user)
    comment = comments.add_comment(user, post, json_body().get("body"))
    return out.comment(comment), 201


@bp.put(f"/posts/<{ID}:post_id>/vote")
def vote(post_id: int):
    """Vote 1 or -1, or withdraw with 0: the new score and the caller's vote."""
    user = actor()
    post = questions.get_post(post_id, user)
    score = voting.cast_vote(user, post, json_body().get("value"))
    return {"score": score, "my_vote": voting.my_votes(user, [post.id]).get(post.id, 0)}
