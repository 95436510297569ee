"""Markdown rendering: the one place user text becomes trusted HTML."""

import re
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


_URL_ATTRIBUTES = {"href", "src"}
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


def _safe_url(value: str) -> bool:
    """Whether a URL is relative or uses an allowed scheme, read as a browser would.

    Browsers drop tabs and newlines inside URLs, so ``java\tscript:`` is a
    ``javascript:`` URL; nh3 alone keeps it as a relative link.
    """
    squeezed = _URL_IGNORED.sub("", value).lower()
    head = re.split(r"[/?#]", squeezed, maxsplit=1)[0]
    if ":" not in head:
        return True
    return head.split(":", 1)[0] in ALLOWED_URL_SCHEMES


def _attribute_filter(tag: str, attribute: str, value: str) -> str | None:
    """Drop unsafe URLs and any code class other than ``language-*``."""
    if attribute in _URL_ATTRIBUTES and not _safe_url(value):
        return None
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
        attribute_filter=_attribute_filter,
        strip_comments=True,
    )


def render_markdown(text: str) -> Markup:
    """Render Markdown source to sanitised HTML, safe to insert into a page."""
    html = markdown.markdown(text or "", extensions=_EXTENSIONS, output_format="html")
    return Markup(sanitize_html(html))


def plain_text(html: str) -> str:
    """Return the visible text of sanitised HTML (for excerpts and the index)."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())
