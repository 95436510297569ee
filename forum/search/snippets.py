"""Snippets of a page of hits: escaped text around the matches, marked.

Snippets are cut from the database's text, not the index's (the index
stores no text). Only a window around the first matches is analysed, since
analysing whole posts would cost more than the search itself.
"""

import functools
import re
from collections.abc import Mapping

from markupsafe import Markup
from whoosh import highlight

from forum.markup import plain_text
from forum.models import Question
from forum.search.documents import answer_texts
from forum.search.query import analyzed, joined_terms
from forum.search.schema import HIGHLIGHT_MODE, TEXT_ANALYZER

# Snippets come from this much of the start of a body or answer.
HIGHLIGHT_CHARS = 4000
# A snippet is highlighted in a window from this many characters before the
# first match to this many after the third, at most SNIPPET_WINDOW long.
SNIPPET_LEAD = 80
SNIPPET_TAIL = 200
SNIPPET_WINDOW = 600
# Without a match to show, a hit shows the start of its question's body.
PLAIN_CHARS = 200
_FRAGMENTER = highlight.ContextFragmenter(maxchars=200, surround=40)


class MarkFormatter(highlight.HtmlFormatter):
    """Escaped text with <mark> around matches, and nothing else."""

    def __init__(self) -> None:
        super().__init__(tagname="mark", between=" … ")

    def format_token(self, text, token, replace=False) -> str:
        """Wrap one matched token in <mark>, escaped."""
        ttext = highlight.htmlescape(highlight.get_text(text, token, replace))
        return f"<mark>{ttext}</mark>"


@functools.lru_cache(maxsize=65536)
def _term_of(word: str) -> str | None:
    """The index term of one lower-case word (None for a stop word)."""
    terms = joined_terms(word) or analyzed(word)  # "Wi-Fi" as wifi
    return terms[0] if terms else None


def _term_finder(terms: set[str]) -> re.Pattern[str] | None:
    """A regex finding the words that may stem to ``terms``: a stem is the
    start of its words, but for a final "i" ("happi" from "happy")."""
    stems = sorted(
        {t[:-1] if t.endswith("i") and len(t) > 2 else t for t in terms if t},
        key=len,
        reverse=True,
    )
    if not stems:
        return None
    # A hyphen may stand between any two letters ("Wi-Fi" for wifi).
    alternatives = "|".join("-?".join(map(re.escape, stem)) for stem in stems)
    return re.compile(rf"\b(?:{alternatives})\w*(?:\.?\w+)*", re.IGNORECASE)


def _matches(
    text: str, finder: re.Pattern[str] | None, terms: set[str], limit: int = 0
) -> list[int]:
    """Offsets of the words of ``text`` that analyse to one of ``terms``."""
    found: list[int] = []
    if finder is None:
        return found
    for match in finder.finditer(text):
        if _term_of(match.group().lower()) in terms:
            found.append(match.start())
            if limit and len(found) >= limit:
                break
    return found


def _snippet(text: str, offsets: list[int], terms: set[str]) -> Markup | None:
    """Whoosh's highlight of the part of ``text`` around its first matches."""
    first = offsets[0]
    begin = max(0, first - SNIPPET_LEAD)
    end = min(len(text), max(offsets[:3]) + SNIPPET_TAIL, begin + SNIPPET_WINDOW)
    if begin:  # start and end at word boundaries
        space = text.find(" ", begin, first)
        begin = space + 1 if space >= 0 else begin
    if end < len(text):
        space = text.rfind(" ", max(offsets[:3]), end)
        end = space if space > 0 else end
    window = text[begin:end]
    snippet = highlight.highlight(
        window,
        terms,
        TEXT_ANALYZER,
        _FRAGMENTER,
        MarkFormatter(),
        top=2,
        mode=HIGHLIGHT_MODE,
    )
    return Markup(snippet) if snippet else None


def _best_answers(
    question_ids: list[int], finder: re.Pattern[str] | None, terms: set[str]
) -> dict[int, tuple[int, Markup | None]]:
    """Per question id: the answer with the most matches, and its snippet."""
    best_of: dict[int, tuple[int, Markup | None]] = {}
    for qid, texts in answer_texts(question_ids).items():
        most, best = 0, None
        for aid, text in texts:
            text = text[:HIGHLIGHT_CHARS]
            offsets = _matches(text, finder, terms)
            if len(offsets) > most:
                most, best = len(offsets), (aid, text, offsets)
        if best is not None:
            aid, text, offsets = best
            best_of[qid] = (aid, _snippet(text, offsets, terms))
    return best_of


def highlights(
    questions: Mapping[int, Question],
    ids: list[int],
    terms: set[str],
    want_answers: bool,
) -> dict[int, tuple[int | None, list[Markup]]]:
    """Per question id of a page: the answer the snippet came from (if any)
    and the snippets: from the body, else from the best matching answer."""
    finder = _term_finder(terms)
    snippets: dict[int, list[Markup]] = {}
    if not want_answers:
        for qid, question in questions.items():
            text = plain_text(question.body_html)[:HIGHLIGHT_CHARS]
            offsets = _matches(text, finder, terms, limit=3)
            found = _snippet(text, offsets, terms) if offsets else None
            if found:
                snippets[qid] = [found]
    answer_ids: dict[int, int] = {}
    unmarked = [qid for qid in ids if qid not in snippets]
    for qid, (aid, found) in _best_answers(unmarked, finder, terms).items():
        answer_ids[qid] = aid
        if found:
            snippets[qid] = [found]
    return {
        qid: (answer_ids.get(qid), snippets.get(qid) or [_start(questions[qid])])
        for qid in ids
        if qid in questions
    }


def _start(question: Question) -> Markup:
    """The start of a question's body, escaped (a hit with no match to show)."""
    return Markup.escape(plain_text(question.body_html)[:PLAIN_CHARS])
