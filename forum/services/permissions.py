"""Predicates ``can_<verb>(user, obj)`` shared by services and templates."""

from forum.models import Answer, Comment, Post, Question, User
from forum.services.privileges import has_privilege, rank_for


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
    """Owners edit their live posts; staff and the "edit" privilege any."""
    if post.is_deleted or user is None:
        return False
    return is_owner(user, post) or has_privilege(user, "edit")


def can_retag(user: User | None, question: Question) -> bool:
    """Whoever may edit a question, and the "retag" privilege, retag it."""
    if question.is_deleted or user is None:
        return False
    return can_edit(user, question) or has_privilege(user, "retag")


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


def answering_closed(question: Question) -> str | None:
    """Why a live question takes no new answers (closed or locked), or None."""
    if question.is_closed:
        return "This question is closed and takes no new answers."
    if question.is_locked:
        return "This question is locked; answers are closed."
    return None


def can_answer(user: User | None, question: Question) -> bool:
    """Signed-in users answer live, open, unlocked questions."""
    return (
        user is not None
        and not question.is_deleted
        and answering_closed(question) is None
    )


def question_of(post: Post) -> Question:
    """The question a post belongs to (a question belongs to itself)."""
    if isinstance(post, Question):
        return post
    if isinstance(post, Answer):
        return post.question
    raise TypeError(f"{post!r} is neither a question nor an answer")


def can_comment(user: User | None, post: Post) -> bool:
    """On live posts: owners, askers on their questions' answers, and the
    "comment" privilege everywhere."""
    if user is None or post.is_deleted:
        return False
    question = question_of(post)
    if question.is_locked:
        return False
    return (
        is_owner(user, post)
        or (isinstance(post, Answer) and is_owner(user, question))
        or has_privilege(user, "comment")
    )


def can_edit_comment(user: User | None, comment: Comment) -> bool:
    """Owners and staff edit live comments."""
    return not comment.is_deleted and (is_owner(user, comment) or is_staff(user))


def can_delete_comment(user: User | None, comment: Comment) -> bool:
    """Owners and staff delete live comments."""
    return can_edit_comment(user, comment)


def voting_closed(post: Post) -> str | None:
    """Why nobody may vote on ``post`` (it or its question is deleted, or the
    question is locked), or None while it takes votes."""
    if post.is_deleted:
        return "You cannot vote on a deleted post."
    question = question_of(post)
    if question.is_deleted:
        return "You cannot vote in a deleted question."
    if question.is_locked:
        return "This question is locked; votes are closed."
    return None


def voting_open(post: Post) -> bool:
    """Whether ``post`` takes votes (a visitor's buttons lead to the login page)."""
    return voting_closed(post) is None


def vote_refusal(user: User, post: Post) -> str | None:
    """Why ``user`` may not vote on ``post`` (their own, or voting is closed),
    or None when they may."""
    if is_owner(user, post):
        return "You cannot vote on your own post."
    return voting_closed(post)


def can_vote(user: User | None, post: Post) -> bool:
    """Signed-in users vote on other people's posts while voting is open (the
    service checks the reputation each direction needs)."""
    return user is not None and vote_refusal(user, post) is None


def can_see_vote_counts(user: User | None) -> bool:
    """Up and down counts are shown from the "view_vote_counts" privilege."""
    return has_privilege(user, "view_vote_counts")


def can_accept(user: User | None, answer: Answer) -> bool:
    """The asker and staff choose the accepted answer of a live question."""
    question = answer.question
    if user is None or question.is_deleted or answer.is_deleted:
        return False
    return is_staff(user) or is_owner(user, question)


def can_edit_profile(user: User | None, profile: User) -> bool:
    """People edit their own profile; staff edit anyone's."""
    return user is not None and (user.id == profile.id or user.is_staff)


# Every can_* predicate, plus what templates ask besides.
def can_read_vote_audit(user: User | None) -> bool:
    """Whether ``user`` may read the serial-voting audit's findings (staff)."""
    return is_staff(user)


TEMPLATE_PREDICATES = {
    name: func for name, func in globals().items() if name.startswith("can_")
} | {
    "is_owner": is_owner,
    "is_staff": is_staff,
    "voting_open": voting_open,
    "has_privilege": has_privilege,
    "rank_for": rank_for,
}
