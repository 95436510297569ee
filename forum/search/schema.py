"""The Whoosh schema: one document per question, lean stored fields."""

import re
from collections.abc import Iterator
from datetime import UTC, date, datetime

from whoosh.analysis import (
    STOP_WORDS,
    CharsetFilter,
    Filter,
    LowercaseFilter,
    RegexTokenizer,
    StemFilter,
    StopFilter,
    Token,
)
from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, ID, KEYWORD, NUMERIC, STORED, TEXT, Schema
from whoosh.support.charset import accent_map

# A word, or hyphenated words kept together ("wi-fi", "usb-c", "e-mail").
_HYPHENS = "-\u2010\u2011"
_PART = r"[\w\*]+(?:\.?[\w\*]+)*"  # Whoosh's default word
WORD_PATTERN = rf"{_PART}(?:[{_HYPHENS}]{_PART})*"
HYPHEN_RE = re.compile(rf"[{_HYPHENS}]")
HIGHLIGHT_MODE = "highlight"


class CompoundFilter(Filter):
    """Split a hyphenated word into its parts, at consecutive positions, and
    (but in ``mode="query"``) add the joined form at the last part's position:
    "Wi-Fi" is indexed as ``wi``, ``fi`` and ``wifi``, so "wifi", "wi-fi" and
    the phrase "wi fi" all find it. In ``HIGHLIGHT_MODE`` only the joined
    form is emitted, spanning the whole word. Parts that are stop words or one letter
    ("e" of "e-mail", "in" of "log-in") are dropped, as elsewhere.
    """

    # Part of the index's signature: bump it when the terms it emits change,
    # so that an index built by an older version is rebuilt.
    VERSION = 1

    def __init__(self) -> None:
        self.version = self.VERSION

    def __call__(self, tokens: Iterator[Token]) -> Iterator[Token]:
        shift = 0  # positions added by the compounds seen so far
        for t in tokens:
            if t.positions:
                t.pos += shift
            if not HYPHEN_RE.search(t.text):
                yield t
                continue
            text = t.text
            start, pos = getattr(t, "startchar", 0), getattr(t, "pos", 0)
            spans = [m.span() for m in re.finditer(r"[^-\u2010\u2011]+", text)]
            kept = [(a, b) for a, b in spans if _is_word(text[a:b])]
            if t.mode == HIGHLIGHT_MODE:
                kept = []  # one token for the whole word: no overlapping marks
            for number, (a, b) in enumerate(kept):
                t.text = text[a:b]
                if t.positions:
                    t.pos = pos + number
                if t.chars:
                    t.startchar, t.endchar = start + a, start + b
                yield t
            if kept and t.positions:
                shift += len(kept) - 1
            if t.mode != "query":
                t.text = HYPHEN_RE.sub("", text)
                if t.chars:
                    t.startchar, t.endchar = start, start + len(text)
                yield t


def _is_word(part: str) -> bool:
    """Whether a part of a compound is kept (StopFilter's rule)."""
    return len(part) >= 2 and part not in STOP_WORDS


# English stemming with stop words removed; accented letters folded (é -> e);
# hyphenated compounds indexed both split and joined (see CompoundFilter).
TEXT_ANALYZER = (
    RegexTokenizer(WORD_PATTERN)
    | LowercaseFilter()
    | StopFilter()
    | CompoundFilter()
    | StemFilter()
    | CharsetFilter(accent_map)
)

TITLE_BOOST = 3.0

_EPOCH = datetime(1970, 1, 1)


def micros(moment: datetime | None) -> int:
    """A naive-UTC datetime as microseconds since 1970 (0 for None)."""
    if moment is None:
        return 0
    if moment.tzinfo is not None:
        moment = moment.astimezone(UTC).replace(tzinfo=None)
    return (moment - _EPOCH) // _ONE_MICROSECOND


def day_number(moment: date) -> int:
    """Days since 1970-01-01 of a date or datetime (what ``created:`` matches)."""
    day = moment.date() if isinstance(moment, datetime) else moment
    return (day - _EPOCH.date()).days


_ONE_MICROSECOND = datetime(1970, 1, 1, microsecond=1) - _EPOCH


def make_schema() -> Schema:
    """Build the schema (text is not stored: snippets come from the database).

    Only titles keep a spelling graph ("Did you mean"): one for bodies
    would slow every build. Each indexed number costs postings per document
    (one per ``shift_step`` bits), so numbers are indexed coarsely:
    ``created`` by day for ``created:`` ranges (a 32-bit day, not a new
    64-bit term for nearly every question), with the exact time in the
    ``created_at`` column for sorting; ``activity`` is a column only
    (nothing searches by it).
    """
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=TEXT_ANALYZER, field_boost=TITLE_BOOST, spelling=True),
        body=TEXT(analyzer=TEXT_ANALYZER),
        answers=TEXT(analyzer=TEXT_ANALYZER),
        tags=KEYWORD(lowercase=True, commas=True, scorable=True),
        users=KEYWORD(lowercase=True, commas=True),
        score=NUMERIC(int, 32, stored=True, sortable=True, shift_step=8),
        answer_count=NUMERIC(int, 32, sortable=True, shift_step=8),
        accepted=BOOLEAN(stored=True),
        closed=BOOLEAN,
        duplicate=BOOLEAN(stored=True),
        created=NUMERIC(int, 32, shift_step=8),
        created_at=COLUMN(NumericColumn("q")),
        activity=COLUMN(NumericColumn("q")),
        kind=ID,
        # A hash of the text fields: `search check` compares it with the
        # database's (a change that never reached the index shows).
        fingerprint=STORED,
    )
