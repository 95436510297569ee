"""The new-user sandbox: few links and no images below SANDBOX_REPUTATION,
and no text posted twice in a row (DUPLICATE_POST_SECONDS). Staff are exempt.
"""

import math
from datetime import timedelta
from html.parser import HTMLParser

from flask import current_app
from sqlalchemy import select

from forum.extensions import db
from forum.markup import render_markdown
from forum.models import Comment, Post, User, utcnow
from forum.services.errors import ValidationError


def in_sandbox(user: User) -> bool:
    """Whether the user's posts are held to the sandbox's link and image rules."""
    return (
        not user.is_staff and user.reputation < current_app.config["SANDBOX_REPUTATION"]
    )


class _LinkCounter(HTMLParser):
    """Counts the links and images of rendered HTML."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.links = 0
        self.images = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a" and any(name == "href" for name, _ in attrs):
            self.links += 1
        elif tag == "img":
            self.images += 1


def count_links(html: str) -> tuple[int, int]:
    """How many links and images rendered HTML holds."""
    counter = _LinkCounter()
    counter.feed(html)
    counter.close()
    return counter.links, counter.images


def sandbox_problem(user: User, text: str) -> str | None:
    """Why a sandboxed user may not post ``text`` (too many links, an image).

    Counts what the renderer makes of the text, so every way of writing a
    link (inline, reference, autolink, HTML) counts alike.
    """
    if not in_sandbox(user):
        return None
    config = current_app.config
    links, images = count_links(str(render_markdown(text)))
    most = config["SANDBOX_MAX_LINKS"]
    rule = (
        f"Accounts under {config['SANDBOX_REPUTATION']} reputation may include "
        f"at most {most} link{'s' if most != 1 else ''} and no images"
    )
    if images:
        return f"{rule}; remove the image{'s' if images > 1 else ''}."
    if links > most:
        return f"{rule}; this has {links} links."
    return None


def check_links(user: User, text: str, field: str = "body") -> None:
    """Refuse a sandboxed user's text with too many links or an image (422)."""
    problem = sandbox_problem(user, text)
    if problem:
        raise ValidationError({field: problem})


def check_repeat(user: User, text: str, model: type[Post] | type[Comment]) -> None:
    """Refuse ``text`` when the user posted the same text (a question or answer
    for posts, a comment for comments) within DUPLICATE_POST_SECONDS (422)."""
    seconds = current_app.config["DUPLICATE_POST_SECONDS"]
    if not seconds or user.is_staff:
        return
    since = utcnow() - timedelta(seconds=seconds)
    earlier = db.session.scalar(
        select(model.id)
        .where(
            model.owner_id == user.id,
            model.created_at >= since,
            model.body_markdown == text,
        )
        .limit(1)
    )
    if earlier is not None:
        what = "comment" if model is Comment else "text"
        minutes = math.ceil(seconds / 60)
        raise ValidationError(
            {
                "body": f"You already posted this same {what} in the last "
                f"{minutes} minutes; write something new instead of repeating it."
            }
        )
