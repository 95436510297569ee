"""Importing what hangs off the posts: links, comments, votes, badges, history."""

from sqlalchemy import bindparam, func, insert, select, update

from forum.extensions import db
from forum.interchange import checks, sedump
from forum.interchange.report import FileStats
from forum.markup import render_markdown
from forum.models import (
    BadgeAward,
    Comment,
    ImportedBadge,
    Post,
    PostLink,
    Revision,
)
from forum.services.badge_rules import BADGES, qualifying
from forum.services.tags import names_by_post
from forum.services.validation import limit

# PostHistoryTypeId -> the field a revision row sets (initial, edit, rollback).
REVISION_FIELDS = {
    1: "title",
    2: "body",
    3: "tags",
    4: "title",
    5: "body",
    6: "tags",
    7: "title",
    8: "body",
    9: "tags",
}
CLOSED = 10
# Close reason ids in PostHistory's Comment (old ones below 100).
CLOSE_REASONS = {
    "1": "duplicate",
    "101": "duplicate",
    "2": "off-topic",
    "102": "off-topic",
    "3": "opinion-based",
    "105": "opinion-based",
    "4": "unclear",
    "103": "unclear",
    "104": "too broad",
    "7": "too localized",
    "10": "general reference",
    "20": "noise",
}


def _flush(run, kind: str, model, batch: list[tuple[int, dict]]) -> list[int]:
    """Insert (source id, row) pairs and record them; return the local ids."""
    ids = run.insert(model, [row for _, row in batch])
    run.record(kind, [(s, local) for (s, _), local in zip(batch, ids, strict=True)])
    batch.clear()
    return ids


# ---- PostLinks ---------------------------------------------------------------


def import_links(run) -> None:
    """PostLinks.xml: linked and duplicate links; a question with duplicate
    links is closed as a duplicate of the first one's target (by link Id)."""
    name = "PostLinks.xml"
    stats = run.stats(name)
    posts, known = run.mapping("post"), run.mapping("link")
    duplicates: dict[int, tuple] = {}  # question -> (link id, original, date)
    seen: set[tuple] = set()
    batch: list[tuple[int, dict]] = []
    for row in run.rows(name):
        source_id = sedump.parse_int(row.get("Id"))
        kind = sedump.parse_int(row.get("LinkTypeId"))
        if source_id is None:
            stats.skipped["row without an Id"] += 1
            continue
        if kind not in (sedump.LINKED, sedump.DUPLICATE):
            stats.skipped[f"link type {kind}"] += 1
            continue
        post = posts.get(sedump.parse_int(row.get("PostId")))
        related = posts.get(sedump.parse_int(row.get("RelatedPostId")))
        if post is None or related is None:
            stats.skipped["links to a missing post"] += 1
            continue
        if post == related:
            stats.skipped["links from a post to itself"] += 1
            continue
        created = sedump.parse_time(row.get("CreationDate")) or run.now
        link_kind = "duplicate" if kind == sedump.DUPLICATE else "linked"
        if link_kind == "duplicate" and {post, related} <= run.question_ids:
            first = duplicates.get(post)
            if first is None or source_id < first[0]:
                duplicates[post] = (source_id, related, created)
        if source_id in known:
            stats.unchanged += 1
            continue
        if (post, related, link_kind) in seen:
            stats.skipped["repeated links"] += 1
            continue
        seen.add((post, related, link_kind))
        link = {
            "post_id": post,
            "related_post_id": related,
            "kind": link_kind,
            "created_at": created,
        }
        batch.append((source_id, link))
        stats.imported += 1
        if len(batch) >= sedump.BATCH:
            _flush(run, "link", PostLink, batch)
    _flush(run, "link", PostLink, batch)
    _close_duplicates(duplicates)


def _close_duplicates(duplicates: dict[int, tuple]) -> None:
    """Close each question as a duplicate of its first duplicate link's target
    (unless it is closed as a duplicate already)."""
    if not duplicates:
        return
    table = Post.__table__
    db.session.execute(
        update(table)
        .where(table.c.id == bindparam("qid"), table.c.duplicate_of_id.is_(None))
        .values(
            duplicate_of_id=bindparam("original"),
            closed_reason="duplicate",
            closed_at=func.coalesce(table.c.closed_at, bindparam("when")),
        ),
        [
            {"qid": q, "original": original, "when": when}
            for q, (_, original, when) in duplicates.items()
        ],
    )


# ---- Comments ----------------------------------------------------------------


def import_comments(run) -> None:
    """Comments.xml: comments on imported posts; a deleted author's name stays."""
    name = "Comments.xml"
    stats = run.stats(name)
    posts, users, known = (
        run.mapping("post"),
        run.mapping("user"),
        run.mapping("comment"),
    )
    batch: list[tuple[int, dict]] = []
    for source_id, row in run.new_rows(name, known):
        post = posts.get(sedump.parse_int(row.get("PostId")))
        if post is None:
            stats.skipped["comments on a missing post"] += 1
            continue
        author_source = sedump.parse_int(row.get("UserId"))
        owner = users.get(author_source)
        author = None
        if owner is None:
            author = row.get("UserDisplayName") or run.user_names.get(author_source)
            author = (author or "anonymous")[:50]
        text = checks.cut(
            checks.check_html(row.get("Text") or "", name, row, "Text"),
            limit("COMMENT_MAX_LENGTH"),
            "comments",
            stats,
        )
        batch.append(
            (
                source_id,
                {
                    "post_id": post,
                    "owner_id": owner,
                    "body_markdown": text,
                    "body_html": str(render_markdown(text)),
                    "created_at": sedump.parse_time(row.get("CreationDate")) or run.now,
                    "last_edited_at": None,
                    "deleted_at": None,
                    "source_author": author,
                },
            )
        )
        stats.imported += 1
        if len(batch) >= sedump.BATCH:
            _flush(run, "comment", Comment, batch)
    _flush(run, "comment", Comment, batch)


# ---- Votes -------------------------------------------------------------------


def import_votes(run) -> None:
    """Votes.xml: the anonymous up and down votes, as counts per post."""
    name = "Votes.xml"
    stats = run.stats(name)
    posts = run.mapping("post")
    counts: dict[int, list[int]] = {}
    for row in run.rows(name):
        kind = sedump.parse_int(row.get("VoteTypeId"))
        if kind not in (sedump.UP_VOTE, sedump.DOWN_VOTE):
            stats.skipped["other vote types (accepts, favourites, closing...)"] += 1
            continue
        post = posts.get(sedump.parse_int(row.get("PostId")))
        if post is None:
            stats.skipped["votes on a missing post"] += 1
            continue
        pair = counts.setdefault(post, [0, 0])
        pair[0 if kind == sedump.UP_VOTE else 1] += 1
    table = Post.__table__
    ids = list(counts)
    changes = []
    for start in range(0, len(ids), 1000):
        current = db.session.execute(
            select(table.c.id, table.c.imported_up, table.c.imported_down).where(
                table.c.id.in_(ids[start : start + 1000])
            )
        )
        for pid, up, down in current:
            new_up, new_down = counts[pid]
            if (up, down) == (new_up, new_down):
                stats.unchanged += up + down
                continue
            if up or down:
                stats.updated += new_up + new_down
            else:
                stats.imported += new_up + new_down
            changes.append({"pid": pid, "up": new_up, "down": new_down})
    if changes:
        db.session.execute(
            update(table)
            .where(table.c.id == bindparam("pid"))
            .values(imported_up=bindparam("up"), imported_down=bindparam("down")),
            changes,
        )


# ---- Badges ------------------------------------------------------------------


def import_badges(run) -> None:
    """Badges.xml: a badge whose name and rule match one of ours (the user
    qualifies here too) becomes ours; any other is kept by name."""
    name = "Badges.xml"
    stats = run.stats(name)
    users = run.mapping("user")
    known = run.mapping("badge") | run.mapping("named-badge")
    ours = {badge.name.lower(): badge for badge in BADGES}
    held = {
        tuple(r)
        for r in db.session.execute(
            select(BadgeAward.badge, BadgeAward.user_id, BadgeAward.award_key)
        )
    }
    qualifiers: dict[str, dict[int, list]] = {}
    awards: list[tuple[int, dict]] = []
    named: list[tuple[int, dict]] = []
    for source_id, row in run.new_rows(name, known):
        user = users.get(sedump.parse_int(row.get("UserId")))
        if user is None:
            stats.skipped["badges of a missing user"] += 1
            continue
        when = sedump.parse_time(row.get("Date")) or run.now
        badge_name = (row.get("Name") or "").strip()
        badge = None if row.get("TagBased") == "True" else ours.get(badge_name.lower())
        award = _match(badge, user, qualifiers, held) if badge else None
        if badge is not None and award is not None:
            key, post_id = award
            held.add((badge.key, user, key))
            awards.append(
                (
                    source_id,
                    {
                        "user_id": user,
                        "badge": badge.key,
                        "award_key": key,
                        "post_id": post_id,
                        "created_at": when,
                    },
                )
            )
        elif badge_name:
            named.append(
                (
                    source_id,
                    {
                        "user_id": user,
                        "name": badge_name[:50],
                        "created_at": when,
                        "badge_class": sedump.BADGE_CLASSES.get(
                            row.get("Class"), "bronze"
                        ),
                    },
                )
            )
        else:
            stats.skipped["badges without a name"] += 1
            continue
        stats.imported += 1
        if len(awards) >= sedump.BATCH:
            _flush(run, "badge", BadgeAward, awards)
        if len(named) >= sedump.BATCH:
            _flush(run, "named-badge", ImportedBadge, named)
    _flush(run, "badge", BadgeAward, awards)
    _flush(run, "named-badge", ImportedBadge, named)


def _match(badge, user: int, qualifiers: dict, held: set) -> tuple | None:
    """(award key, post id) of our badge for this user if our rule holds and
    the award is not held yet; None otherwise."""
    if badge.key not in qualifiers:
        found: dict[int, list] = {}
        for uid, pid in qualifying(badge):
            found.setdefault(uid, []).append(pid)
        qualifiers[badge.key] = found
    posts = qualifiers[badge.key].get(user)
    if posts is None:
        return None
    if not badge.per_post:
        return None if (badge.key, user, "") in held else ("", None)
    for pid in sorted(posts):
        if (badge.key, user, str(pid)) not in held:
            return str(pid), pid
    return None


# ---- PostHistory ---------------------------------------------------------------


def import_history(run) -> None:
    """PostHistory.xml: each edit (rows sharing a RevisionGUID) becomes a
    revision holding the full text after it; close reasons are kept. Posts
    without history get one revision holding their imported text."""
    name = "PostHistory.xml"
    history = _History(run)
    group: list[dict] = []
    for row in run.rows(name):
        key = (row.get("RevisionGUID"), row.get("PostId"))
        if group and key != (group[0].get("RevisionGUID"), group[0].get("PostId")):
            history.add(group)
            group = []
        group.append(row)
    if group:
        history.add(group)
    history.flush()
    history.apply_close_reasons()
    _first_revisions(run, run.new_posts - history.posts)


class _History:
    """The state of each post while its history streams by (its latest title,
    body and tags), and the revisions not inserted yet."""

    def __init__(self, run):
        self.run = run
        self.stats = run.stats("PostHistory.xml")
        self.known = run.mapping("revision")
        self.state: dict[int, dict] = {}
        self.numbers = dict(
            db.session.execute(
                select(Revision.post_id, func.max(Revision.number)).group_by(
                    Revision.post_id
                )
            )
            .tuples()
            .all()
        )
        self.posts: set[int] = set()
        self.closes: dict[int, str] = {}
        self.batch: list[tuple[int, dict]] = []

    def add(self, group: list[dict]) -> None:
        """One revision's rows (or other events of one post)."""
        run = self.run
        post = run.mapping("post").get(sedump.parse_int(group[0].get("PostId")))
        if post is None:
            self.stats.skipped["history of a missing post"] += len(group)
            return
        edits = []
        for row in group:
            kind = sedump.parse_int(row.get("PostHistoryTypeId"))
            if kind in REVISION_FIELDS:
                edits.append((REVISION_FIELDS[kind], row))
                continue
            if kind == CLOSED and row.get("Comment") in CLOSE_REASONS:
                self.closes[post] = CLOSE_REASONS[row["Comment"]]
            self.stats.skipped["events other than edits (close reasons are kept)"] += 1
        if not edits:
            return
        state = self.state.setdefault(post, {"title": None, "body": "", "tags": ""})
        source_id = min(sedump.parse_int(row.get("Id")) or 0 for _, row in edits)
        # Cuts are counted once, when the revision is inserted.
        stats = FileStats("") if source_id in self.known else self.stats
        for field, row in edits:
            value = row.get("Text") or ""
            if field == "tags":
                value = " ".join(run.valid_tags(sedump.parse_tag_names(value)))
            elif field == "body":
                # Old revisions' bodies are shown and compared like current ones.
                most = max(limit("BODY_MAX_LENGTH"), limit("ANSWER_MAX_LENGTH"))
                value = checks.cut(value, most, "revision bodies", stats)
            state[field] = value
        self.posts.add(post)
        if source_id in self.known:
            self.stats.unchanged += len(edits)
            return
        self.numbers[post] = number = self.numbers.get(post, 0) + 1
        first = edits[0][1]
        is_question = post in run.question_ids
        summary = next((r["Comment"] for _, r in edits if r.get("Comment")), "")
        self.batch.append(
            (
                source_id,
                {
                    "post_id": post,
                    "number": number,
                    "author_id": run.mapping("user").get(
                        sedump.parse_int(first.get("UserId"))
                    ),
                    "created_at": sedump.parse_time(first.get("CreationDate"))
                    or run.now,
                    "summary": summary[:300],
                    "title": (state["title"] or "")[:150] or None
                    if is_question
                    else None,
                    "body_markdown": state["body"],
                    "tags": state["tags"][:200] if is_question else "",
                },
            )
        )
        self.stats.imported += len(edits)
        if len(self.batch) >= sedump.BATCH:
            self.flush()

    def flush(self) -> None:
        """Insert the pending revisions."""
        if self.batch:
            _flush(self.run, "revision", Revision, self.batch)

    def apply_close_reasons(self) -> None:
        """Name the reason of closed questions that have none yet."""
        table = Post.__table__
        rows = [
            {"qid": q, "reason": r}
            for q, r in self.closes.items()
            if q in self.run.question_ids
        ]
        if rows:
            db.session.execute(
                update(table)
                .where(
                    table.c.id == bindparam("qid"),
                    table.c.closed_at.is_not(None),
                    table.c.closed_reason.is_(None),
                )
                .values(closed_reason=bindparam("reason")),
                rows,
            )


def _first_revisions(run, post_ids: set[int]) -> None:
    """Revision 1 of imported posts without history: their text as imported."""
    ids = sorted(post_ids)
    table = Post.__table__
    for start in range(0, len(ids), sedump.BATCH):
        chunk = ids[start : start + sedump.BATCH]
        tags = names_by_post(chunk)
        rows = [
            {
                "post_id": pid,
                "number": 1,
                "author_id": owner,
                "created_at": created,
                "summary": f"Imported from {run.site}",
                "title": title,
                "body_markdown": body,
                "tags": " ".join(tags.get(pid, []))[:200],
            }
            for pid, owner, created, title, body in db.session.execute(
                select(
                    table.c.id,
                    table.c.owner_id,
                    table.c.created_at,
                    table.c.title,
                    table.c.body_markdown,
                ).where(table.c.id.in_(chunk))
            )
        ]
        if rows:
            db.session.execute(insert(Revision.__table__), rows)
