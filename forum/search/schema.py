"""The Whoosh schema: one document per question, lean stored fields."""

from whoosh.analysis import CharsetFilter, StemmingAnalyzer
from whoosh.fields import BOOLEAN, DATETIME, ID, KEYWORD, NUMERIC, TEXT, Schema
from whoosh.support.charset import accent_map

# English stemming with stop words removed; accented letters folded (é -> e).
TEXT_ANALYZER = StemmingAnalyzer() | CharsetFilter(accent_map)

TITLE_BOOST = 3.0


def make_schema() -> Schema:
    """Build the schema (text is not stored: snippets come from the database).

    Only titles keep a spelling graph ("Did you mean"): building one for
    bodies made a bulk build about a third slower.
    """
    return Schema(
        id=ID(stored=True, unique=True),
        title=TEXT(analyzer=TEXT_ANALYZER, field_boost=TITLE_BOOST, spelling=True),
        body=TEXT(analyzer=TEXT_ANALYZER),
        answers=TEXT(analyzer=TEXT_ANALYZER),
        tags=KEYWORD(lowercase=True, commas=True, scorable=True),
        users=KEYWORD(lowercase=True, commas=True),
        score=NUMERIC(int, 32, stored=True, sortable=True),
        answer_count=NUMERIC(int, 32, sortable=True),
        accepted=BOOLEAN(stored=True),
        closed=BOOLEAN,
        duplicate=BOOLEAN(stored=True),
        created=DATETIME(sortable=True),
        activity=DATETIME(sortable=True),
        kind=ID,
    )
