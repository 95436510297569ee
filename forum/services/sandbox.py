"""The new-user sandbox: few links and no images below SANDBOX_REPUTATION,
and no text posted twice in a row (DUPLICATE_POST_SECONDS). Staff are exempt.
"""

from html.parser import HTMLParser

from flask import current_app

from forum.markup import render_markdown
from forum.models import User
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
