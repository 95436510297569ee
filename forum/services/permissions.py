"""Predicates ``can_<verb>(user, obj)`` shared by services and templates."""

from forum.models import Answer, Comment, Post, Question, User


def is_owner(user: User | None, obj: Post | Comment) -> bool:
    """Whether ``user`` wrote ``obj``."""
    return user is not None and obj.owner_id is not None and obj.owner_id == user.id


def is_staff(user: User | None) -> bool:
    """Whether ``user`` is signed in with the staff role."""
    return user is not None and user.is_staff


def can_view(user: User | None, post: Post | Comment) -> bool:
    """Deleted posts are visible only to their owner and to staff."""
    return not post.is_deleted or is_owner(user, post) or is_staff(user)


def can_edit(user: User | None, post: Post) -> bool:
    """Owners edit their live posts; staff edit any live post."""
    return not post.is_deleted and (is_owner(user, post) or is_staff(user))


def can_delete(user: User | None, post: Post) -> bool:
    """Staff delete anything; owners delete answers and unanswered questions."""
    if post.is_deleted or user is None:
        return False
    if is_staff(user):
        return True
    if not is_owner(user, post):
        return False
    return not (isinstance(post, Question) and (post.answer_count or 0) > 0)


def can_undelete(user: User | None, post: Post) -> bool:
    """Staff restore any post; owners restore what they deleted themselves."""
    if not post.is_deleted or user is None:
        return False
    return is_staff(user) or (is_owner(user, post) and post.deleted_by_id == user.id)


def can_answer(user: User | None, question: Question) -> bool:
    """Signed-in users answer live, open questions."""
    return user is not None and not question.is_deleted and not question.is_closed


def can_comment(user: User | None, post: Post) -> bool:
    """Signed-in users comment on live posts."""
    return user is not None and not post.is_deleted


def can_edit_comment(user: User | None, comment: Comment) -> bool:
    """Owners and staff edit live comments."""
    return not comment.is_deleted and (is_owner(user, comment) or is_staff(user))


def can_delete_comment(user: User | None, comment: Comment) -> bool:
    """Owners and staff delete live comments."""
    return can_edit_comment(user, comment)


def can_vote(user: User | None, post: Post) -> bool:
    """Signed-in users vote on other people's live posts."""
    return user is not None and not post.is_deleted and not is_owner(user, post)


def can_accept(user: User | None, answer: Answer) -> bool:
    """The asker and staff choose the accepted answer of a live question."""
    question = answer.question
    if user is None or question.is_deleted or answer.is_deleted:
        return False
    return is_staff(user) or is_owner(user, question)


TEMPLATE_PREDICATES = {
    name: func
    for name, func in globals().items()
    if name.startswith("can_") or name in ("is_owner", "is_staff")
}
