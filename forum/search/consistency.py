"""Comparing the database with an index: what `search check` reports."""

from collections import Counter

from sqlalchemy import select
from whoosh import query as wq
from whoosh.searching import Searcher

from forum.extensions import db
from forum.models import Question
from forum.search.documents import all_question_ids, documents_for
from forum.search.schema import micros

# What is compared per question: the database's value and the index's.
COMPARED = ("score", "solved", "duplicate", "closed", "answers", "last activity")
TEXT = "text"  # the fingerprint of title, body, answers, comments, tags, names


def _database_view() -> dict[str, tuple]:
    rows = db.session.execute(
        select(
            Question.id,
            Question.score,
            Question.accepted_answer_id,
            Question.duplicate_of_id,
            Question.closed_at,
            Question.answer_count,
            Question.last_activity_at,
        ).where(Question.deleted_at.is_(None))
    )
    return {
        str(qid): (
            score,
            accepted is not None,
            duplicate is not None,
            closed is not None,
            answers or 0,
            micros(activity),
        )
        for qid, score, accepted, duplicate, closed, answers, activity in rows
    }


def _database_texts() -> dict[str, str]:
    """Each live question's text fingerprint, from documents built as a
    rebuild builds them (in batches: about as long as a rebuild's reading)."""
    texts: dict[str, str] = {}
    for ids in all_question_ids():
        for doc in documents_for(ids):
            texts[str(doc["id"])] = str(doc["fingerprint"])
    return texts


def _index_view(searcher: Searcher) -> tuple[dict[str, tuple], Counter[str]]:
    view: dict[str, tuple] = {}
    copies: Counter[str] = Counter()
    if not searcher.doc_count_all():
        return view, copies  # an empty index has no columns to read
    reader = searcher.reader()
    closed = set(searcher.docs_for_query(wq.Term("closed", True)))
    answers = reader.column_reader("answer_count")
    activity = reader.column_reader("activity")
    for docnum, fields in reader.iter_docs():
        copies[fields["id"]] += 1
        view[fields["id"]] = (
            fields.get("score"),
            fields.get("accepted"),
            fields.get("duplicate"),
            docnum in closed,
            answers[docnum],
            activity[docnum],
            fields.get("fingerprint"),
        )
    return view, copies


def differences(searcher: Searcher) -> list[str]:
    """The questions missing from the index, indexed but not live, indexed more
    than once, or indexed with other values than the database's (by id)."""
    texts = _database_texts()
    live = {qid: (*row, texts.get(qid)) for qid, row in _database_view().items()}
    indexed, copies = _index_view(searcher)
    problems = []
    for qid in sorted(live.keys() | indexed.keys(), key=int):
        if qid not in indexed:
            problems.append(f"question {qid} is missing from the index")
        elif qid not in live:
            problems.append(f"question {qid} is in the index but deleted or gone")
        elif live[qid] != indexed[qid]:
            diffs = "; ".join(
                f"{what} {db_value} in the database, {ix_value} in the index"
                if what != TEXT
                else "its text (title, body, answers, comments, tags or names) "
                "is not what the index holds"
                for what, db_value, ix_value in zip(
                    (*COMPARED, TEXT), live[qid], indexed[qid], strict=True
                )
                if db_value != ix_value
            )
            problems.append(f"question {qid} differs: {diffs}")
        if copies[qid] > 1:
            problems.append(f"question {qid} is in the index {copies[qid]} times")
    return problems
