"""Markdown rendering: the one place user text becomes trusted HTML."""

from html import unescape

import markdown
import nh3
from markupsafe import Markup

_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

ALLOWED_TAGS = {
    "a", "abbr", "b", "blockquote", "br", "code", "del", "dd", "dl", "dt", "em",
    "h1", "h2", "h3", "h4", "h5", "h6", "hr", "i", "img", "kbd", "li", "ol", "p",
    "pre", "s", "strong", "sub", "sup", "table", "tbody", "td", "th", "thead",
    "tr", "ul",
}  # fmt: skip
ALLOWED_ATTRIBUTES = {
    "a": {"href", "title"},
    "abbr": {"title"},
    "img": {"src", "alt", "title", "width", "height"},
    "th": {"align"},
    "td": {"align"},
    "code": {"class"},
    "ol": {"start"},
}
ALLOWED_URL_SCHEMES = {"http", "https", "mailto"}


def _code_class_filter(tag: str, attribute: str, value: str) -> str | None:
    """Keep only ``language-*`` classes on code blocks; drop other attributes' junk."""
    if tag == "code" and attribute == "class":
        return value if value.startswith("language-") and " " not in value else None
    return value


def sanitize_html(html: str) -> str:
    """Clean HTML with the allow-list: no scripts, handlers, styles or unsafe URLs."""
    return nh3.clean(
        html,
        tags=ALLOWED_TAGS,
        attributes=ALLOWED_ATTRIBUTES,
        url_schemes=ALLOWED_URL_SCHEMES,
        link_rel="nofollow ugc noopener",
        attribute_filter=_code_class_filter,
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """Render Markdown source to sanitised HTML, safe to insert into a page."""
    html = markdown.markdown(text or "", extensions=_EXTENSIONS, output_format="html")
    return Markup(sanitize_html(html))


def plain_text(html: str) -> str:
    """Return the visible text of sanitised HTML (for excerpts and the index)."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())
