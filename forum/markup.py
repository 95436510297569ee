"""Markdown rendering: the one place user text becomes trusted HTML."""

import re
import sys
import threading
import xml.etree.ElementTree as etree
from collections.abc import Collection, Iterable
from html import unescape
from urllib.parse import urlsplit

import markdown
import markdownify
import nh3
from markdown import blockprocessors, inlinepatterns
from markdown.extensions import tables
from markupsafe import Markup, escape

from forum.safe_urls import is_safe_url

# Scanning work (bracket tokens, characters of link targets) the link patterns
# may spend on one conversion: each of them scans to the end of the text when
# a bracket is unclosed, which made a flood of "[" quadratic. Past the budget
# brackets stay text; no ordinary post comes near it.
LINK_SCAN_BUDGET = 100_000

_BRACKET = re.compile(r"[\[\]]")


class _LinkBudget(markdown.Extension):
    """The link patterns of Python-Markdown with their scans counted against
    one budget per conversion (reset with the parser)."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        """Replace the six bracket patterns, same regexes and priorities."""
        md.registerExtension(self)
        self.left = LINK_SCAN_BUDGET
        link, image = inlinepatterns.LINK_RE, inlinepatterns.IMAGE_LINK_RE
        for cls, pattern, name, priority in (
            (_Reference, inlinepatterns.REFERENCE_RE, "reference", 170),
            (_Link, link, "link", 160),
            (_Image, image, "image_link", 150),
            (
                _ImageReference,
                inlinepatterns.IMAGE_REFERENCE_RE,
                "image_reference",
                140,
            ),
            (_ShortReference, inlinepatterns.REFERENCE_RE, "short_reference", 130),
            (_ShortImageReference, image, "short_image_ref", 125),
        ):
            processor = cls(pattern, md)
            processor.budget = self
            md.inlinePatterns.register(processor, name, priority)

    def reset(self) -> None:
        """A fresh budget for the next conversion."""
        self.left = LINK_SCAN_BUDGET


class _Bounded(inlinepatterns.LinkInlineProcessor):
    """getText and getLink of the link patterns, within the budget."""

    budget: _LinkBudget

    def getText(self, data: str, index: int) -> tuple[str, int, bool]:
        """The text up to the ``]`` closing the ``[`` before index, by bracket
        tokens (the text between them is skipped by the regex engine)."""
        depth = 1
        for match in _BRACKET.finditer(data, index):
            self.budget.left -= 1
            if self.budget.left < 0:
                return "", index, False
            depth += 1 if match.group() == "[" else -1
            if depth == 0:
                return data[index : match.start()], match.end(), True
        return data[index:], len(data), False

    def getLink(self, data: str, index: int) -> tuple[str, str | None, int, bool]:
        """The ``(target "title")`` at index, scanning no further than the
        budget allows."""
        if self.budget.left <= 0:
            return "", None, index, False
        end = min(len(data), index + self.budget.left)
        href, title, stop, handled = super().getLink(data[:end], index)
        self.budget.left -= (stop if handled else end) - index + 1
        return href, title, stop, handled


class _Link(_Bounded):
    """``[text](target)``."""


class _Image(_Bounded, inlinepatterns.ImageInlineProcessor):
    """``![alt](source)``."""


class _Reference(_Bounded, inlinepatterns.ReferenceInlineProcessor):
    """``[text][id]``."""


class _ImageReference(_Bounded, inlinepatterns.ImageReferenceInlineProcessor):
    """``![alt][id]``."""


class _ShortReference(_Bounded, inlinepatterns.ShortReferenceInlineProcessor):
    """``[id]``."""


class _ShortImageReference(_Bounded, inlinepatterns.ShortImageReferenceInlineProcessor):
    """``![id]``."""


# Lists and quotes nest at most this deep; deeper markers stay text. Nested
# list items recursed until Python's recursion limit (an error, a 500).
MAX_NESTING = 32

_NESTING_PROCESSORS = ("indent", "olist", "ulist", "quote")


class _BlockBounds(markdown.Extension):
    """No list or quote block starts MAX_NESTING blocks deep; tables and
    setext headings tested and parsed in linear time."""

    def extendMarkdown(self, md: markdown.Markdown) -> None:
        """Replace the table and setext processors (same priorities), and wrap
        the test of the nesting ones (after the tables and sane_lists ones)."""
        config = md.parser.blockprocessors["table"].config  # type: ignore[attr-defined]  # a TableProcessor
        md.parser.blockprocessors.register(_LazyTable(md.parser, config), "table", 75)
        md.parser.blockprocessors.register(_SetextRun(md.parser), "setextheader", 60)
        for name, attribute in _SEARCHING_PROCESSORS.items():
            processor = md.parser.blockprocessors[name]
            setattr(processor, attribute, _SuffixSearch(getattr(processor, attribute)))
        for name in _NESTING_PROCESSORS:
            processor = md.parser.blockprocessors[name]
            processor.test = self._capped(processor.test, md.parser)  # type: ignore[method-assign]  # wrapped per instance

    @staticmethod
    def _capped(test, parser):
        """``test``, false once the parser is MAX_NESTING blocks deep."""

        def capped_test(parent, block) -> bool:
            return len(parser.state) < MAX_NESTING and test(parent, block)

        return capped_test


class _SetextRun(blockprocessors.SetextHeaderProcessor):
    """Setext headings, a run of them at a time: one at a time re-split and
    re-tested the rest of the block for each (quadratic in its lines)."""

    def run(self, parent, blocks: list[str]) -> None:
        """Every heading starting the block that the processors ahead of this
        one would not claim; the rest goes back to the parser."""
        block = blocks.pop(0)
        while True:
            first, underline, block = (block.split("\n", 2) + ["", ""])[:3]
            level = 1 if underline.startswith("=") else 2
            etree.SubElement(parent, f"h{level}").text = first.strip()
            if not self._plain_heading(block):
                break
        if block:
            blocks.insert(0, block)

    def _plain_heading(self, block: str) -> bool:
        """A heading that no other processor tests before this one."""
        head = block[:200]
        return bool(self.RE.match(head)) and not (
            head[:1] in " \t\n" or "|" in head.split("\n", 1)[0]
        )


class _SuffixSearch:
    """A block processor's regex, remembering where its last searches of
    whole texts found the first match. The block parser hands the processors
    what is left of a block after each heading or rule it takes, and each
    searched all of it again (quadratic); the rest of a text searched before
    is answered from the memory, or searched from the known match on. A few
    texts are kept: the parser parses the lines before a heading in between.
    """

    KEEP = 4

    def __init__(self, regex: re.Pattern[str]):
        self.regex = regex
        # (text, the first match's start counted from the end, or None)
        self.memory: list[tuple[str, int | None]] = []

    def search(self, string: str, pos: int = 0, endpos: int = sys.maxsize):
        """``re.Pattern.search``, the same answers."""
        whole = pos == 0 and endpos >= len(string)
        if whole and string:
            for text, from_end in self.memory:
                if not _rest_of(string, text):
                    continue
                if from_end is None:
                    return None
                start = len(string) - from_end
                if start > 0:
                    return self.regex.search(string, start - 1)
                break
        found = self.regex.search(string, pos, endpos)
        if whole:
            from_end = None if found is None else len(string) - found.start()
            self.memory = [(string, from_end), *self.memory[: self.KEEP - 1]]
        return found

    def __getattr__(self, name: str):
        return getattr(self.regex, name)


def _rest_of(string: str, text: str) -> bool:
    """Whether string is text from one of its line starts on."""
    cut = len(text) - len(string)
    return cut >= 0 and (cut == 0 or text[cut - 1] == "\n") and text.endswith(string)


# The block processors that search a whole block (for a heading, a rule, a
# quote or a link definition anywhere in it), and the attribute of their regex.
_SEARCHING_PROCESSORS = {
    "hashheader": "RE",
    "hr": "SEARCH_RE",
    "quote": "RE",
    "reference": "RE",
}


# A row that neither starts nor ends with a pipe: it ends a one-column table.
_NOT_A_PIPE_ROW = re.compile(r"^(?![ ]*\|)(?!.*(?<!\\)(?:\\\\)*\|[ ]*$)", re.MULTILINE)


class _LazyTable(tables.TableProcessor):
    """The tables extension's test, reading only the rows it needs with the
    regex engine: it split and stripped the whole block for each test, and a
    block of headings or rules is tested once per heading or rule."""

    def __init__(self, parser, config) -> None:
        super().__init__(parser, config)
        self.not_a_pipe_row = _SuffixSearch(_NOT_A_PIPE_ROW)

    def test(self, parent, block: str) -> bool:
        """Whether the block starts with a header row and a separator row."""
        first, newline, rest = block.partition("\n")
        if not newline or "|" not in first:
            return False
        header0 = first.strip(" ")
        border: int = tables.PIPE_NONE
        if header0.startswith("|"):
            border |= tables.PIPE_LEFT
        if self.RE_END_BORDER.search(header0) is not None:
            border |= tables.PIPE_RIGHT
        self.border = border  # type: ignore[assignment]  # bool | int in the source
        split_row = self._split_row  # type: ignore[attr-defined]  # not in the stub
        row0_len = len(split_row(header0))
        is_table = row0_len > 1
        if not is_table and row0_len == 1 and self.border:
            # Each row of a one-column table needs a pipe at one end.
            is_table = self.not_a_pipe_row.search(rest) is None
        if is_table:
            row = split_row(rest.split("\n", 1)[0].strip(" "))
            is_table = len(row) == row0_len and set("".join(row)) <= set("|:- ")
            if is_table:
                self.separator = row
        return is_table


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
# What browsers drop from a URL before reading it (tabs, newlines, spaces).
_URL_IGNORED = re.compile(r"[\x00-\x20\x7f]+")


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
        parser = markdown.Markdown(
            extensions=[*_EXTENSIONS, _LinkBudget(), _BlockBounds()],
            output_format="html",
        )
        _local.parser = parser
    return parser


# Stands for a "<" that no ">" follows during the conversion: such a "<" can
# start no tag, comment or autolink, and the HTML parser of Python-Markdown
# scans to the end of the text for each of them (quadratic).
_LONE_LT = "\x01"


def _hide_lone_lt(text: str) -> str:
    """The text with each "<" after the last ">" replaced by _LONE_LT."""
    text = text.replace(_LONE_LT, "")
    cut = text.rfind(">") + 1
    return text[:cut] + text[cut:].replace("<", _LONE_LT)


def render_markdown(text: str) -> Markup:
    """Render Markdown source to sanitised HTML, safe to insert into a page."""
    parser = _parser()
    try:
        html = parser.convert(_hide_lone_lt(text or ""))
    finally:
        parser.reset()
    return Markup(sanitize_html(html.replace(_LONE_LT, "&lt;")))


# Tokens of sanitised HTML (nh3 writes every attribute value double-quoted):
# link starts and ends, and images with their attributes.
_ATTRIBUTES = r"(?:\s+[\w:-]+(?:=\"[^\"]*\")?)*"
_LINK_OR_IMAGE = re.compile(
    rf"<a\b{_ATTRIBUTES}\s*>|</a>|<img\b(?P<attrs>{_ATTRIBUTES})\s*/?>"
)
_ATTRIBUTE = re.compile(r'([\w:-]+)="([^"]*)"')


# A host name as IMAGE_HOSTS may list it (it also goes into the CSP header).
_HOST_NAME = re.compile(r"[a-z0-9](?:[a-z0-9.-]*[a-z0-9])?")


def image_hosts(setting: object) -> tuple[str, ...]:
    """The IMAGE_HOSTS setting (a list, or a comma-separated string from the
    environment) as lower-case host names, in order. A leading ``http(s)://``
    and a trailing ``/`` are dropped; any other entry that is not a host name
    is ignored, so nothing else reaches the Content-Security-Policy."""
    if isinstance(setting, str):
        items: Iterable[object] = re.split(r"[\s,]+", setting)
    elif isinstance(setting, list | tuple | set | frozenset):
        items = setting
    else:
        items = ()
    hosts: list[str] = []
    for raw in items:
        host = re.sub(r"^https?://", "", str(raw).strip().lower()).rstrip("/")
        if _HOST_NAME.fullmatch(host) and host not in hosts:
            hosts.append(host)
    return tuple(hosts)


def image_loads(src: str, hosts: Collection[str]) -> bool:
    """Whether a page may load an image from src: relative URLs (this site),
    and http(s) URLs on one of the hosts. Read as a browser reads it."""
    squeezed = _URL_IGNORED.sub("", src).replace("\\", "/")
    head = re.split(r"[/?#]", squeezed, maxsplit=1)[0]
    if not squeezed.startswith("//") and ":" not in head:
        return True
    try:
        parts = urlsplit(squeezed if ":" in head else "https:" + squeezed)
        host = parts.hostname
    except ValueError:
        return False
    return (
        parts.scheme.lower() in ("http", "https") and host is not None and host in hosts
    )


def remote_images_as_links(html: str, hosts: Collection[str]) -> str:
    """Sanitised HTML with every image a page may not load (see image_loads)
    shown as a link to it, or as its alt text inside a link: loading an image
    from any host tells that host who reads the page."""
    if "<img" not in html:
        return html
    depth = 0

    def replace(match: re.Match[str]) -> str:
        nonlocal depth
        token = match.group(0)
        if token == "</a>":
            depth = max(depth - 1, 0)
            return token
        if token.startswith("<a"):
            depth += 1
            return token
        attributes = dict(_ATTRIBUTE.findall(match.group("attrs") or ""))
        src = unescape(attributes.get("src", ""))
        if not src or image_loads(src, hosts):
            return token
        label = escape(unescape(attributes.get("alt", "")) or src)
        if depth:
            return str(label)
        return f'<a href="{escape(src)}" rel="nofollow ugc noopener">{label}</a>'

    return _LINK_OR_IMAGE.sub(replace, html)


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
