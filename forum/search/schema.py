"""The Whoosh schema: one document per question, lean stored fields."""

from datetime import UTC, date, datetime

from whoosh.analysis import CharsetFilter, StemmingAnalyzer
from whoosh.columns import NumericColumn
from whoosh.fields import BOOLEAN, COLUMN, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.support.charset import accent_map

# English stemming with stop words removed; accented letters folded (é -> e).
TEXT_ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)

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
    )
