"""Rendered HTML of post cards and question rows, reused for visitors.

What a visitor sees of a post card or a question row depends only on the
rows it shows and the relative times it prints ("5 mins ago"), so that HTML
is kept per process under a key made of those values: any change to what it
shows makes a new key, and there is nothing to invalidate. Signed-in viewers
get controls of their own (their votes, edit links, comment forms) and are
always rendered. The cards (answers with their comments and user cards) are
most of the work of a question page.

A key holds every column of the post and comment rows, so new columns are
covered; a card or row that starts showing another related row (beyond the
owner, tags, comments and the question's acceptance) must add it to its key
here. tests/test_fragments.py changes each shown value and reads the page.
"""

from functools import cache
from operator import itemgetter

from sqlalchemy.orm import Mapper, object_mapper

from forum.caching import app_cache
from forum.views.helpers import timeago, viewer

# What a user link shows of its user (the rank comes from the reputation).
USER_FIELDS = ("id", "username", "display_name", "reputation")


@cache
def _columns_of(mapper: Mapper) -> tuple[tuple[str, ...], itemgetter]:
    """(the column attributes of a mapped class, a getter of their values
    from an instance's loaded state): for a post every column of the post
    table, body included."""
    keys = tuple(attr.key for attr in mapper.column_attrs)
    return keys, itemgetter(*keys)


def _row(obj: object) -> int:
    """A hash of every column value of a row (loading any not yet loaded,
    as rendering would)."""
    keys, values_of = _columns_of(object_mapper(obj))
    try:
        values = values_of(obj.__dict__)
    except KeyError:  # expired by a commit, or deferred: load them
        values = tuple(getattr(obj, key) for key in keys)
    return hash(values)


def _user(user) -> tuple | None:
    return None if user is None else tuple(getattr(user, f) for f in USER_FIELDS)


def _times(*moments) -> tuple[str, ...]:
    return tuple(timeago(moment) for moment in moments)


def _post_key(post, question, comments) -> tuple:
    return (
        "post",
        post.id,
        _row(post),
        _user(post.owner),
        _times(post.created_at, post.last_edited_at, post.deleted_at),
        tuple(tag.name for tag in post.tags) if post.id == question.id else (),
        (
            question.id,
            question.accepted_answer_id,
            question.accepted_by,
            question.is_deleted,
            question.is_locked,
        ),
        tuple((_row(c), _user(c.owner), _times(c.created_at)) for c in comments),
    )


def _row_key(question) -> tuple:
    return (
        "row",
        question.id,
        _row(question),
        _user(question.owner),
        _times(question.created_at),
        tuple(tag.name for tag in question.tags),
    )


def _cached(key_fn, render, *args):
    if viewer() is not None:
        return render(*args)
    fragments = app_cache("fragments", "FRAGMENT_CACHE_SECONDS")
    if fragments is None:
        return render(*args)
    key = key_fn(*args)
    html = fragments.get(key)
    if html is None:
        html = render(*args)
        fragments.put(key, html)
    return html


def post_card(macro, post, question, comments, comment_form=None, votes=None):
    """The ``post_card`` macro's HTML: a visitor's is reused while unchanged."""
    if comment_form is not None:  # a form re-shown with its errors
        return macro(post, question, comments, comment_form, votes)
    return _cached(
        _post_key, lambda p, q, c: macro(p, q, c, None, votes), post, question, comments
    )


def question_row(macro, question):
    """The ``question_summary`` macro's HTML: a visitor's is reused while
    unchanged."""
    return _cached(_row_key, macro, question)


def register(app) -> None:
    """Install the template globals."""
    app.jinja_env.globals.update(cached_post_card=post_card, cached_row=question_row)
