"""Markdown rendering: the one place user text becomes trusted HTML."""

import threading
from html import unescape

import markdown
import markdownify
import nh3
from markupsafe import Markup

from forum.safe_urls import is_safe_url

_EXTENSIONS = ["fenced_code", "tables", "sane_lists"]

ALLOWED_TAGS = {
    "a",
    "abbr",
    "b",
    "blockquote",
    "br",
    "code",
    "del",
    "dd",
    "dl",
    "dt",
    "em",
    "h1",
    "h2",
    "h3",
    "h4",
    "h5",
    "h6",
    "hr",
    "i",
    "img",
    "kbd",
    "li",
    "ol",
    "p",
    "pre",
    "s",
    "strong",
    "sub",
    "sup",
    "table",
    "tbody",
    "td",
    "th",
    "thead",
    "tr",
    "ul",
}
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


def _safe_url(value: str) -> bool:
    """Whether a URL is relative or uses an allowed scheme, read as a browser would.

    The site's one URL check (forum/safe_urls.py): browsers drop tabs and
    newlines inside URLs, so ``java\tscript:`` is a ``javascript:`` URL that
    nh3 alone keeps as a relative link.
    """
    return is_safe_url(value, ALLOWED_URL_SCHEMES)


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


_local = threading.local()


def _parser() -> markdown.Markdown:
    """This thread's Markdown parser: building one costs more than most
    conversions (imports render thousands of posts)."""
    parser = getattr(_local, "parser", None)
    if parser is None:
        parser = markdown.Markdown(extensions=_EXTENSIONS, output_format="html")
        _local.parser = parser
    return parser


def render_markdown(text: str) -> Markup:
    """Render Markdown source to sanitised HTML, safe to insert into a page."""
    parser = _parser()
    try:
        html = parser.convert(text or "")
    finally:
        parser.reset()
    return Markup(sanitize_html(html))


def plain_text(html: str) -> str:
    """Return the visible text of sanitised HTML (for excerpts and the index)."""
    return " ".join(unescape(nh3.clean(html, tags=set())).split())


def _code_language(el) -> str:
    """The language of a ``<pre class="lang-py">`` block (Stack Exchange's hint)."""
    for name in el.get("class") or []:
        if name.startswith(("lang-", "language-")) and name != "lang-none":
            return name.split("-", 1)[1]
    return ""


class _Converter(markdownify.MarkdownConverter):
    """markdownify, with list items indented by four columns: Python-Markdown
    nests lists and code blocks in items only at that indentation."""

    def convert_li(self, el, text, parent_tags):
        """A list item, its continuation lines indented under its bullet."""
        text = (text or "").strip()
        if not text:
            return "\n"
        parent = el.parent
        if parent is not None and parent.name == "ol":
            start = str(parent.get("start") or "1")
            first = int(start) if start.isdigit() else 1
            bullet = f"{first + len(el.find_previous_siblings('li'))}."
        else:
            bullet = "-"
        bullet = bullet.ljust(3) + " "
        indent = " " * len(bullet)
        lines = [indent + line if line.strip() else "" for line in text.split("\n")]
        # An item holding blocks (paragraphs, code) ends with a blank line, or
        # the next item would continue its last block.
        end = "\n\n" if "\n\n" in text else "\n"
        return bullet + "\n".join(lines)[len(indent) :] + end

    def convert_pre(self, el, text, parent_tags):
        """A code block: fenced at the top level, indented inside list items."""
        if "li" not in parent_tags or not text:
            convert = super().convert_pre  # type: ignore[misc]  # not in the stub
            return convert(el, text, parent_tags)
        # Fenced blocks only work at the top level: indent code inside items.
        code = "\n".join("    " + line for line in text.strip("\n").split("\n"))
        return f"\n\n{code}\n\n"


# ATX headings, "-" bullets, fenced code blocks; scripts and styles are dropped.
_CONVERTER = _Converter(
    heading_style=markdownify.ATX, bullets="-", code_language_callback=_code_language
)


def html_to_markdown(html: str) -> str:
    """Convert HTML (an imported post's body) to Markdown source.

    The result is rendered by ``render_markdown`` like any other post, so
    nothing of the original HTML reaches a page without being sanitised.
    """
    if not html or not html.strip():
        return ""
    return _CONVERTER.convert(html).strip()
