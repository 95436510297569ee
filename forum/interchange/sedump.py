"""The Stack Exchange dump format: streaming rows in and out, dates, tags, licences.

Files are XML, UTF-8 (usually with a byte-order mark), one ``<row .../>``
element per line under a root such as ``<posts>``. Reading streams them with
``iterparse`` and clears each row, so memory stays flat whatever the size.
"""

import re
import xml.etree.ElementTree as ET
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, nullcontext
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
    """A dump that cannot be read: a missing folder or malformed XML."""


class _CountingReader:
    """A binary file that reports how many bytes were read (progress bars)."""

    def __init__(self, raw, progress: Callable[[int], None] | None):
        self.raw = raw
        self.progress = progress

    def read(self, size: int = -1) -> bytes:
        data = self.raw.read(size)
        if self.progress is not None and data:
            self.progress(len(data))
        return data


def rows(
    path: Path, progress: Callable[[int], None] | None = None
) -> Iterator[dict[str, str]]:
    """The attributes of every ``<row>`` of a dump file, streamed.

    ``progress(n)`` is called with the bytes read so far in each chunk.
    Raises DumpError (naming the file, line and column) for malformed XML.
    """
    with open(path, "rb") as raw:
        context = ET.iterparse(_CountingReader(raw, progress), events=("start", "end"))
        root = None
        try:
            for event, elem in context:
                if root is None:
                    root = elem
                    continue
                if event == "end" and elem.tag == "row":
                    yield dict(elem.attrib)
                    elem.clear()
                    root.clear()  # drop finished rows the root still holds
        except ET.ParseError as error:
            raise DumpError(f"{path.name} is not well-formed XML: {error}") from None


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
