"""The Stack Exchange dump format: streaming rows in and out, dates, tags, licences.

Files are XML, UTF-8 (usually with a byte-order mark), one ``<row .../>``
element per line under a root such as ``<posts>``. Reading streams them with
``iterparse`` and clears each row, so memory stays flat whatever the size.
"""

import codecs
import re
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from xml.sax.saxutils import XMLGenerator
from xml.sax.xmlreader import AttributesImpl

# File name -> root element name, in the order an import reads them.
FILES = {
    "Users.xml": "users",
    "Tags.xml": "tags",
    "Posts.xml": "posts",
    "PostLinks.xml": "postlinks",
    "Comments.xml": "comments",
    "Votes.xml": "votes",
    "Badges.xml": "badges",
    "PostHistory.xml": "posthistory",
}

# Rows per insert statement.
BATCH = 500
QUESTION, ANSWER, TAG_EXCERPT, TAG_WIKI = 1, 2, 4, 5
UP_VOTE, DOWN_VOTE = 2, 3
LINKED, DUPLICATE = 1, 3
COMMUNITY_ID = -1
BADGE_CLASSES = {"1": "gold", "2": "silver", "3": "bronze"}

# Licences by the post's date when a row does not state its own (the dates
# Stack Exchange changed them).
_LICENCES = (
    (datetime(2011, 4, 8), "CC BY-SA 2.5"),
    (datetime(2018, 5, 2), "CC BY-SA 3.0"),
)
_TAG_SPLIT = re.compile(r"[<>|]+")
# Characters XML 1.0 cannot hold, even escaped.
_NOT_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


# progress(label, total) -> a context manager giving ``update(n)``.
Progress = Callable[[str, int], AbstractContextManager]


class _NoBar:
    """The progress bar of a run without one."""

    def update(self, n: int) -> None:
        """Show nothing."""


def progress_bar(
    progress: Progress | None, label: str, total: int
) -> AbstractContextManager:
    """``progress(label, total)``, or a bar that shows nothing without one."""
    return progress(label, total) if progress else nullcontext(_NoBar())


class DumpError(Exception):
    """A dump that cannot be read: a missing folder, malformed XML, an encoding
    other than UTF-8, a DTD, or a row over the limits."""


@dataclass(frozen=True)
class Limits:
    """What a dump file may hold (DefaultConfig's IMPORT_* settings).

    ``row_bytes`` bounds every piece of markup (a ``<row .../>`` tag) before
    the parser sees it whole: expat scans an unfinished token again on each
    read, so its time grows with the square of the token's size.
    """

    row_bytes: int = 2 * 1024 * 1024
    field_chars: int = 200_000
    attributes: int = 100


# A dump states UTF-8 (or says nothing, which means UTF-8 to XML).
_UTF8_NAMES = {"utf-8", "us-ascii"}
_DECLARED_ENCODING = re.compile(rb"""^<\?xml[^>]*?encoding\s*=\s*["']([^"']*)["']""")
_ROOT_START = re.compile(rb"<[A-Za-z_:]")
_PROLOG_BYTES = 64 * 1024
_READ_BYTES = 256 * 1024
_BOMS = (
    (codecs.BOM_UTF32_LE, "UTF-32"),
    (codecs.BOM_UTF32_BE, "UTF-32"),
    (codecs.BOM_UTF16_LE, "UTF-16"),
    (codecs.BOM_UTF16_BE, "UTF-16"),
)


def check_prolog(path: Path) -> None:
    """Refuse a file that is not UTF-8 XML without a DTD, from its first bytes.

    Raises DumpError for a UTF-16/32 byte-order mark or NUL bytes (UTF-16/32
    without one), a declared encoding other than UTF-8 or ASCII, and a
    ``<!DOCTYPE``: no dump declares one, and refusing it means no entity is
    ever defined, so none is expanded (billion laughs) or fetched.
    """
    with open(path, "rb") as raw:
        head = raw.read(_PROLOG_BYTES)
    convert = "; convert it to UTF-8 first (e.g. with iconv)"
    for bom, name in _BOMS:
        if head.startswith(bom):
            raise DumpError(f"{path.name} is {name} (byte-order mark){convert}.")
    if b"\x00" in head[:4]:
        raise DumpError(f"{path.name} looks like UTF-16 or UTF-32 text{convert}.")
    body = head.removeprefix(codecs.BOM_UTF8)
    declared = _DECLARED_ENCODING.match(body)
    if declared:
        name = declared.group(1).decode("ascii", "replace")
        if name.lower() not in _UTF8_NAMES:
            raise DumpError(
                f"{path.name} declares the encoding {name!r}; dumps are UTF-8{convert}."
            )
    root = _ROOT_START.search(body)
    prolog = body if root is None else body[: root.start()]
    if b"<!DOCTYPE" in prolog or b"<!ENTITY" in prolog:
        raise DumpError(
            f"{path.name} declares a DTD (<!DOCTYPE>); dumps have none, and "
            "entities are not expanded."
        )
    if root is None and len(head) == _PROLOG_BYTES:
        raise DumpError(f"{path.name} has no root element in its first 64 KB.")


class _GuardedReader:
    """A binary dump file read for the parser: reports the bytes read (progress
    bars), checks they are UTF-8, and refuses markup longer than a limit."""

    def __init__(self, raw, name: str, limits: Limits, progress):
        self.raw = raw
        self.name = name
        self.limit = limits.row_bytes
        self.progress = progress
        self.decoder = codecs.getincrementaldecoder("utf-8")()
        self.offset = 0  # bytes read so far
        self.since_lt = 0  # bytes since the last "<" (the open piece of markup)

    def read(self, size: int = -1) -> bytes:
        # Larger reads than the parser asks for: fewer scans of a long token.
        # No larger than the limit, which then holds inside a read too.
        data = self.raw.read(min(max(size, _READ_BYTES), self.limit))
        if not data:
            self._decode(b"", final=True)
            return data
        self._decode(data)
        self._check_markup(data)
        self.offset += len(data)
        if self.progress is not None:
            self.progress(len(data))
        return data

    def _decode(self, data: bytes, final: bool = False) -> None:
        try:
            self.decoder.decode(data, final)
        except UnicodeDecodeError as error:
            at = self.offset + error.start
            raise DumpError(
                f"{self.name} is not valid UTF-8 (byte {at:,}); dumps are UTF-8: "
                "convert it first (e.g. with iconv)."
            ) from None

    def _check_markup(self, data: bytes) -> None:
        # "<" cannot appear inside an attribute value, so a row tag is never
        # longer than the distance between two "<".
        first = data.find(b"<")
        if first == -1:
            self.since_lt += len(data)
            longest = self.since_lt
        else:
            longest = self.since_lt + first
            self.since_lt = len(data) - data.rfind(b"<")
        if longest > self.limit:
            raise DumpError(
                f"{self.name} has a row longer than {self.limit:,} bytes (near byte "
                f"{self.offset + max(first, 0):,}); the limit is IMPORT_MAX_ROW_BYTES."
            )


def rows(
    path: Path,
    progress: Callable[[int], None] | None = None,
    limits: Limits | None = None,
) -> Iterator[dict[str, str]]:
    """The attributes of every ``<row>`` of a dump file, streamed.

    ``progress(n)`` is called with the bytes read so far in each chunk.
    Raises DumpError (naming the file and where) for malformed XML, anything
    ``check_prolog`` refuses, bytes that are not UTF-8, and rows over
    ``limits``.
    """
    limits = limits or Limits()
    check_prolog(path)
    with open(path, "rb") as raw:
        reader = _GuardedReader(raw, path.name, limits, progress)
        context = ET.iterparse(reader, events=("start", "end"))
        root = None
        try:
            for event, elem in context:
                if root is None:
                    root = elem
                    continue
                if event == "end" and elem.tag == "row":
                    row = dict(elem.attrib)
                    _check_row(path.name, row, limits)
                    yield row
                    elem.clear()
                    root.clear()  # drop finished rows the root still holds
        except ET.ParseError as error:
            raise DumpError(f"{path.name} is not well-formed XML: {error}") from None


def _check_row(name: str, row: dict[str, str], limits: Limits) -> None:
    """Raise DumpError for a row with too many attributes or too long a value."""
    where = f"{name}: the row with Id {row.get('Id', '?')[:20]!r}"
    if len(row) > limits.attributes:
        raise DumpError(
            f"{where} has {len(row):,} attributes; the limit is {limits.attributes}."
        )
    for attr, value in row.items():
        if len(value) > limits.field_chars:
            raise DumpError(
                f"{where} has a {attr[:40]} of {len(value):,} characters; the limit "
                f"is {limits.field_chars:,} (IMPORT_MAX_FIELD_LENGTH)."
            )


# Possessive: no backtracking, so a tag that never closes costs one scan.
_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*+)([^<>]*+)>")
_VOID = frozenset(
    "area base br col embed hr img input link meta param source track wbr".split()
)


def html_too_deep(html: str, limit: int) -> bool:
    """Whether HTML nests elements more than ``limit`` deep, counted as the
    HTML converters build their trees (an unclosed tag stays open; a stray
    end tag closes nothing)."""
    if html.count("<") <= limit:
        return False  # cannot nest that deep: the common case, one C scan
    stack: list[str] = []
    open_names: Counter[str] = Counter()
    for match in _TAG.finditer(html):
        closing, name, rest = match.groups()
        name = name.lower()
        self_closing = rest.endswith("/")
        if closing:
            if open_names[name]:
                while stack:
                    top = stack.pop()
                    open_names[top] -= 1
                    if top == name:
                        break
        elif name not in _VOID and not self_closing:
            stack.append(name)
            open_names[name] += 1
            if len(stack) > limit:
                return True
    return False


def parse_time(value: str | None) -> datetime | None:
    """A dump timestamp (``2021-04-27T15:06:44.553``) as a naive UTC datetime."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.rstrip("Z"))
    except ValueError:
        return None


def format_time(value: datetime) -> str:
    """A naive UTC datetime in the dump's format (milliseconds, no zone)."""
    return value.isoformat(timespec="milliseconds")


def parse_int(value: str | None) -> int | None:
    """An integer attribute, or None when it is missing or not a number."""
    try:
        return int(value) if value not in (None, "") else None
    except ValueError:
        return None


def parse_tag_names(value: str | None) -> list[str]:
    """Tag names from ``<a><b>`` (older dumps) or ``|a|b|`` (newer), in order."""
    names = _TAG_SPLIT.split((value or "").strip().lower())
    return list(dict.fromkeys(name for name in names if name))


def format_tag_names(names: list[str]) -> str:
    """Tag names in the dump's ``<a><b>`` form."""
    return "".join(f"<{name}>" for name in names)


def licence_for(stated: str | None, when: datetime | None) -> str:
    """The row's ``ContentLicense``, or the CC BY-SA version in force on its date."""
    if stated:
        return stated
    for until, name in _LICENCES:
        if when is not None and when < until:
            return name
    return "CC BY-SA 4.0"


def xml_text(value: str) -> str:
    """Text without the control characters XML cannot carry."""
    return _NOT_XML.sub("", value)


class RowWriter:
    """Writes one dump file row by row: ``with RowWriter(path, "posts") as w``."""

    def __init__(self, path: Path, root: str):
        self.path = path
        self.root = root
        self.count = 0

    def __enter__(self) -> "RowWriter":
        self.file = open(self.path, "wb")
        self.file.write(b"\xef\xbb\xbf")  # the dumps start with a BOM
        self.xml = XMLGenerator(self.file, "utf-8", short_empty_elements=True)
        self.xml.startDocument()  # the declaration and a newline
        self.xml.startElement(self.root, AttributesImpl({}))
        return self

    def row(self, **attrs) -> None:
        """Write one ``<row>``; None values are left out."""
        clean = {}
        for name, value in attrs.items():
            if value is None:
                continue
            if isinstance(value, datetime):
                value = format_time(value)
            elif isinstance(value, bool):
                value = "True" if value else "False"
            clean[name] = xml_text(str(value))
        self.xml.ignorableWhitespace("\n  ")
        self.xml.startElement("row", AttributesImpl(clean))
        self.xml.endElement("row")
        self.count += 1

    def __exit__(self, *exc) -> None:
        self.xml.ignorableWhitespace("\n")
        self.xml.endElement(self.root)
        self.xml.ignorableWhitespace("\n")
        self.xml.endDocument()
        self.file.close()
