"""Importing Posts.xml (and Tags.xml): questions, then answers, then what ties
them together (accepted answers, answer counts, tag excerpts)."""

from collections import Counter

from sqlalchemy import bindparam, select, update

from forum.extensions import db
from forum.interchange import checks, sedump
from forum.markup import plain_text, render_markdown, sanitize_html
from forum.models import Post, Tag
from forum.services.validation import limit

POSTS, TAGS = "Posts.xml", "Tags.xml"


def import_posts(run) -> None:
    """Questions (first pass over Posts.xml) and answers (second pass)."""
    run.load_tags()
    excerpt_ids = _read_tags(run)
    known = _load_known(run)
    excerpts: dict[int, str] = {}
    accepted: dict[int, int] = {}  # new question's local id -> answer source id
    stats = run.stats(POSTS)
    batch: list[tuple] = []
    for row in run.rows(POSTS, "Posts.xml (questions)"):
        kind = sedump.parse_int(row.get("PostTypeId"))
        source_id = sedump.parse_int(row.get("Id"))
        if source_id is None:
            stats.skipped["row without an Id"] += 1
        elif kind == sedump.QUESTION:
            if source_id in run.mapping("post"):
                _update(run, known, run.mapping("post")[source_id], row)
                continue
            names = run.valid_tags(sedump.parse_tag_names(row.get("Tags")))
            post = _post_row(run, row, "question", None)
            answer = sedump.parse_int(row.get("AcceptedAnswerId"))
            batch.append((source_id, post, names, answer))
            if len(batch) >= sedump.BATCH:
                _flush_questions(run, batch, accepted)
        elif kind in (sedump.TAG_EXCERPT, sedump.TAG_WIKI):
            if source_id in excerpt_ids:
                excerpts[source_id] = checks.check_html(
                    row.get("Body") or "", POSTS, row, "Body"
                )
            stats.skipped["tag wiki posts (excerpts go to the tags)"] += 1
        elif kind != sedump.ANSWER:
            stats.skipped[f"post type {kind} (not a question or answer)"] += 1
    _flush_questions(run, batch, accepted)
    _apply_excerpts(run, excerpt_ids, excerpts)

    counts: Counter = Counter()
    for row in run.rows(POSTS, "Posts.xml (answers)"):
        if sedump.parse_int(row.get("PostTypeId")) != sedump.ANSWER:
            continue
        source_id = sedump.parse_int(row.get("Id"))
        if source_id is None:
            continue  # counted in the first pass
        if source_id in run.mapping("post"):
            _update(run, known, run.mapping("post")[source_id], row)
            continue
        parent = run.mapping("post").get(sedump.parse_int(row.get("ParentId")))
        if parent is None or parent not in run.question_ids:
            stats.skipped["answers to a missing question"] += 1
            continue
        batch.append((source_id, _post_row(run, row, "answer", parent), [], None))
        counts[parent] += 1
        if len(batch) >= sedump.BATCH:
            _flush_answers(run, batch)
    _flush_answers(run, batch)
    _finish_questions(run, accepted, counts)


def _read_tags(run) -> dict[int, str]:
    """Tags.xml: create its tags; return excerpt post source id -> tag name."""
    stats = run.stats(TAGS)
    excerpt_ids: dict[int, str] = {}
    wanted: dict[str, None] = {}
    for row in run.rows(TAGS):
        name = (row.get("TagName") or "").strip().lower()
        if not run.valid_tags([name]):
            stats.skipped["invalid tag names"] += 1
            continue
        wanted[name] = None
        excerpt = sedump.parse_int(row.get("ExcerptPostId"))
        if excerpt is not None:
            excerpt_ids[excerpt] = name
    existing = [name for name in wanted if name in run.tag_ids]
    stats.unchanged += len(existing)
    stats.imported += run.ensure_tags(dict.fromkeys(wanted, run.now))
    return excerpt_ids


def _apply_excerpts(run, excerpt_ids: dict[int, str], excerpts: dict[int, str]):
    """Fill the empty excerpts of the tags Tags.xml gives one."""
    stats = run.stats(TAGS)
    texts = {
        excerpt_ids[source_id]: plain_text(sanitize_html(html))
        for source_id, html in excerpts.items()
    }
    texts = {name: text for name, text in texts.items() if text}
    if not texts:
        return
    current = dict(
        db.session.execute(
            select(Tag.name, Tag.excerpt).where(Tag.name.in_(list(texts)))
        )
        .tuples()
        .all()
    )
    rows = [
        {"tag_name": name, "text": text}
        for name, text in texts.items()
        if not current.get(name)
    ]
    if rows:
        table = Tag.__table__
        db.session.execute(
            update(table)
            .where(table.c.name == bindparam("tag_name"))
            .values(excerpt=bindparam("text")),
            rows,
        )
        # A tag that existed before and got its excerpt now was updated.
        updated = sum(1 for r in rows if r["tag_name"] in run.tags_before)
        stats.updated += updated
        stats.unchanged -= updated


def _load_known(run) -> dict[int, tuple]:
    """What earlier runs imported of this site: their question/answer ids and
    the counters a newer dump may change (local id -> state)."""
    known: dict[int, tuple] = {}
    ids = list(run.mapping("post").values())
    for start in range(0, len(ids), 1000):
        rows = db.session.execute(
            select(
                *Post.__table__.c[
                    "id",
                    "type",
                    "question_id",
                    "imported_score",
                    "view_count",
                    "last_activity_at",
                    "closed_at",
                ]
            ).where(Post.__table__.c.id.in_(ids[start : start + 1000]))
        )
        for pid, kind, parent, score, views, activity, closed in rows:
            if kind == "question":
                run.question_ids.add(pid)
            else:
                run.answer_parent[pid] = parent
            known[pid] = (score, views, activity, closed)
    return known


def _update(run, known: dict[int, tuple], local: int, row: dict) -> None:
    """A post an earlier run imported: take a newer dump's score, views, last
    activity and closing; text and acceptance stay as they are here."""
    stats = run.stats(POSTS)
    if local not in known:
        stats.skipped["posts imported before and deleted since"] += 1
        return
    score, views, activity, closed = known[local]
    new_score = sedump.parse_int(row.get("Score")) or 0
    new_views = sedump.parse_int(row.get("ViewCount"))
    new_activity = sedump.parse_time(row.get("LastActivityDate"))
    new_closed = sedump.parse_time(row.get("ClosedDate"))
    table = Post.__table__
    changes: dict = {}
    if new_score != score:
        changes["imported_score"] = new_score
        changes["score"] = table.c.score + (new_score - score)
    if new_views is not None and views is not None and new_views > views:
        changes["view_count"] = new_views
    if new_activity is not None and new_activity > activity:
        changes["last_activity_at"] = new_activity
    if new_closed is not None and closed is None:
        changes["closed_at"] = new_closed
    if not changes:
        stats.unchanged += 1
        return
    db.session.execute(update(table).where(table.c.id == local).values(**changes))
    stats.updated += 1


def _post_row(run, row: dict, kind: str, question_id: int | None) -> dict:
    """The ``post`` row of a question or an answer."""
    source_id = int(row["Id"])
    created = sedump.parse_time(row.get("CreationDate")) or run.now
    is_question = kind == "question"
    stats = run.stats(POSTS)
    body = checks.cut(
        checks.markdown_of(row.get("Body") or "", POSTS, row, "Body"),
        limit("BODY_MAX_LENGTH" if is_question else "ANSWER_MAX_LENGTH"),
        "bodies (as Markdown)",
        stats,
    )
    owner_source = sedump.parse_int(row.get("OwnerUserId"))
    owner = run.mapping("user").get(owner_source)
    author = row.get("OwnerDisplayName") or run.user_names.get(owner_source)
    if not author:
        author = f"user{owner_source}" if owner_source is not None else "anonymous"
    score = sedump.parse_int(row.get("Score")) or 0
    post = {
        "type": kind,
        "owner_id": owner,
        "body_markdown": body,
        "body_html": str(render_markdown(body)),
        "score": score,
        "imported_score": score,
        "imported_up": 0,
        "imported_down": 0,
        "created_at": created,
        "last_edited_at": sedump.parse_time(row.get("LastEditDate")),
        "last_activity_at": sedump.parse_time(row.get("LastActivityDate")) or created,
        "deleted_at": None,
        "deleted_by_id": None,
        "deleted_reason": None,
        "source_url": f"{run.base_url}/{'q' if is_question else 'a'}/{source_id}",
        "source_license": sedump.licence_for(row.get("ContentLicense"), created),
        "source_author": author[:50],
        "source_author_url": run.author_url(owner_source) if owner else None,
        "title": checks.cut(
            (row.get("Title") or "").strip() or "Untitled",
            limit("TITLE_MAX_LENGTH"),
            "titles",
            stats,
        )
        if is_question
        else None,
        "view_count": (sedump.parse_int(row.get("ViewCount")) or 0)
        if is_question
        else None,
        "answer_count": 0 if is_question else None,
        "accepted_answer_id": None,
        "accepted_by": None,
        "closed_at": sedump.parse_time(row.get("ClosedDate")) if is_question else None,
        "locked_at": None,
        "closed_reason": None,
        "duplicate_of_id": None,
        "question_id": question_id,
    }
    if run.keep_ids:
        post["id"] = source_id
    return post


def _flush_questions(run, batch: list[tuple], accepted: dict[int, int]) -> None:
    """Insert a batch of questions with their new tags and tag links."""
    if not batch:
        return
    first_use: dict = {}
    for _, post, names, _ in batch:
        for name in names:
            if name not in first_use or post["created_at"] < first_use[name]:
                first_use[name] = post["created_at"]
    run.stats(TAGS).imported += run.ensure_tags(first_use)
    ids = run.insert(Post, [post for _, post, _, _ in batch], keep_ids=run.keep_ids)
    run.record(
        "post", [(s, local) for (s, _, _, _), local in zip(batch, ids, strict=True)]
    )
    run.link_tags(
        [(local, names) for (_, _, names, _), local in zip(batch, ids, strict=True)]
    )
    for (_, _, _, answer), local in zip(batch, ids, strict=True):
        if answer is not None:
            accepted[local] = answer
    run.question_ids.update(ids)
    run.new_posts.update(ids)
    run.stats(POSTS).imported += len(batch)
    batch.clear()


def _flush_answers(run, batch: list[tuple]) -> None:
    """Insert a batch of answers."""
    if not batch:
        return
    ids = run.insert(Post, [post for _, post, _, _ in batch], keep_ids=run.keep_ids)
    run.record(
        "post", [(s, local) for (s, _, _, _), local in zip(batch, ids, strict=True)]
    )
    for (_, post, _, _), local in zip(batch, ids, strict=True):
        run.answer_parent[local] = post["question_id"]
    run.new_posts.update(ids)
    run.stats(POSTS).imported += len(batch)
    batch.clear()


def _finish_questions(run, accepted: dict[int, int], counts: Counter) -> None:
    """Accepted answers and answer counts of the questions this run added to."""
    table = Post.__table__
    rows = []
    for question, answer_source in accepted.items():
        answer = run.mapping("post").get(answer_source)
        if answer is None or run.answer_parent.get(answer) != question:
            run.stats(POSTS).skipped["accepted answers that are missing"] += 1
            continue
        rows.append({"qid": question, "aid": answer})
    if rows:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("qid"))
            .values(accepted_answer_id=bindparam("aid"), accepted_by="asker"),
            rows,
        )
    if counts:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("qid"))
            .values(answer_count=table.c.answer_count + bindparam("n")),
            [{"qid": qid, "n": n} for qid, n in counts.items()],
        )
