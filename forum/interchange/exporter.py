"""Exporting the forum as a Stack Exchange dump: the eight XML files, streamed.

Only live content is written (as in the published dumps). No email address or
password hash is written anywhere. Votes are anonymous up/down rows per post
that add up to its score; the Community system account is user -1 again.
Bodies are our rendered, sanitised HTML, as the dumps hold HTML.
"""

import uuid
from collections.abc import Iterator
from datetime import datetime, time
from html import escape
from pathlib import Path

from sqlalchemy import Row, case, func, select

from forum.extensions import db
from forum.interchange import sedump
from forum.models import (
    BadgeAward,
    Comment,
    ImportedBadge,
    ImportRecord,
    Post,
    PostLink,
    Revision,
    Tag,
    User,
    Vote,
    post_tag,
    utcnow,
)
from forum.services.badge_rules import BY_KEY
from forum.services.tags import names_by_post

CHUNK = 1000
CLASS_NUMBERS = {"gold": 1, "silver": 2, "bronze": 3}
POST = Post.__table__


def export_stackexchange(
    folder: Path, progress: sedump.Progress | None = None
) -> dict[str, int]:
    """Write Users, Tags, Posts, PostLinks, Comments, Votes, Badges and
    PostHistory into ``folder`` (created if needed); return rows per file."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    export = _Export(folder, progress)
    for name, write in (
        ("Users.xml", export.users),
        ("Posts.xml", export.posts),
        ("Tags.xml", export.tags),
        ("PostLinks.xml", export.links),
        ("Comments.xml", export.comments),
        ("Votes.xml", export.votes),
        ("Badges.xml", export.badges),
        ("PostHistory.xml", export.history),
    ):
        with sedump.RowWriter(folder / name, sedump.FILES[name]) as writer:
            write(writer)
        export.counts[name] = writer.count
    db.session.rollback()  # end the read transaction
    return export.counts


def _live_question_ids():
    return select(POST.c.id).where(
        POST.c.type == "question", POST.c.deleted_at.is_(None)
    )


def _live_post_condition():
    """Live questions, and live answers of live questions."""
    return POST.c.deleted_at.is_(None) & (
        (POST.c.type == "question") | POST.c.question_id.in_(_live_question_ids())
    )


class _Export:
    """One export run: ids to write for users, and the files' writers."""

    def __init__(self, folder: Path, progress: sedump.Progress | None):
        self.folder = folder
        self.progress = progress
        self.counts: dict[str, int] = {}
        self.system_ids = set(
            db.session.scalars(
                select(ImportRecord.local_id).where(
                    ImportRecord.kind == "user",
                    ImportRecord.source_id == sedump.COMMUNITY_ID,
                )
            )
        )
        self.excerpt_ids: dict[int, int] = {}  # tag id -> excerpt post id

    def user_id(self, local: int | None) -> int | None:
        """The exported id of a user (the system account is -1)."""
        if local is None:
            return None
        return sedump.COMMUNITY_ID if local in self.system_ids else local

    def chunks(self, stmt, id_column, label: str) -> Iterator:
        """Rows of ``stmt`` by ascending id, a chunk at a time, with a bar."""
        total = db.session.scalar(select(func.count()).select_from(stmt.subquery()))
        last = None
        with sedump.progress_bar(self.progress, label, total or 0) as bar:
            while True:
                page = stmt if last is None else stmt.where(id_column > last)
                rows = db.session.execute(page.order_by(id_column).limit(CHUNK)).all()
                if not rows:
                    return
                yield rows
                bar.update(len(rows))
                last = rows[-1][0]

    # ---- files ----------------------------------------------------------------

    def users(self, w: sedump.RowWriter) -> None:
        """Users.xml: profiles and reputation (never emails or passwords)."""
        ups, downs = _votes_cast()
        stmt = select(
            User.id,
            User.reputation,
            User.created_at,
            User.display_name,
            User.website,
            User.location,
            User.about_html,
        )
        for rows in self.chunks(stmt, User.id, "Users.xml"):
            for uid, rep, created, name, website, location, about in rows:
                w.row(
                    Id=self.user_id(uid),
                    Reputation=rep,
                    CreationDate=created,
                    DisplayName=name,
                    LastAccessDate=created,
                    WebsiteUrl=website or None,
                    Location=location or None,
                    AboutMe=about or None,
                    Views=0,
                    UpVotes=ups.get(uid, 0),
                    DownVotes=downs.get(uid, 0),
                )

    def posts(self, w: sedump.RowWriter) -> None:
        """Posts.xml: questions and answers, then one excerpt post per tag."""
        stmt = select(
            POST.c.id,
            POST.c.type,
            POST.c.question_id,
            POST.c.accepted_answer_id,
            POST.c.created_at,
            POST.c.score,
            POST.c.view_count,
            POST.c.body_html,
            POST.c.owner_id,
            POST.c.source_author,
            POST.c.last_edited_at,
            POST.c.last_activity_at,
            POST.c.title,
            POST.c.answer_count,
            POST.c.closed_at,
            POST.c.source_license,
        ).where(_live_post_condition())
        live_answers = select(POST.c.id).where(
            POST.c.type == "answer", POST.c.deleted_at.is_(None)
        )
        last_id = 0
        for rows in self.chunks(stmt, POST.c.id, "Posts.xml"):
            ids = [r.id for r in rows]
            tags = names_by_post(ids)
            comments = _comment_counts(ids)
            accepted_live = set(
                db.session.scalars(
                    live_answers.where(
                        POST.c.id.in_([r.accepted_answer_id for r in rows])
                    )
                )
            )
            for r in rows:
                is_question = r.type == "question"
                kind = sedump.QUESTION if is_question else sedump.ANSWER
                w.row(
                    Id=r.id,
                    PostTypeId=kind,
                    AcceptedAnswerId=r.accepted_answer_id
                    if r.accepted_answer_id in accepted_live
                    else None,
                    ParentId=None if is_question else r.question_id,
                    CreationDate=r.created_at,
                    Score=r.score,
                    ViewCount=r.view_count if is_question else None,
                    Body=r.body_html,
                    OwnerUserId=self.user_id(r.owner_id),
                    OwnerDisplayName=r.source_author if r.owner_id is None else None,
                    LastEditDate=r.last_edited_at,
                    LastActivityDate=r.last_activity_at,
                    Title=r.title if is_question else None,
                    Tags=sedump.format_tag_names(tags.get(r.id, []))
                    if is_question
                    else None,
                    AnswerCount=(r.answer_count or 0) if is_question else None,
                    CommentCount=comments.get(r.id, 0),
                    ClosedDate=r.closed_at,
                    ContentLicense=r.source_license,
                )
            last_id = ids[-1]
        top = max(last_id, db.session.scalar(select(func.max(POST.c.id))) or 0)
        for tag_id, excerpt in db.session.execute(
            select(Tag.id, Tag.excerpt).where(Tag.excerpt != "").order_by(Tag.id)
        ):
            top += 1
            self.excerpt_ids[tag_id] = top
            w.row(
                Id=top,
                PostTypeId=sedump.TAG_EXCERPT,
                Score=0,
                CreationDate=_midnight(None),
                CommentCount=0,
                Body=f"<p>{_escape(excerpt)}</p>",
            )

    def tags(self, w: sedump.RowWriter) -> None:
        """Tags.xml: names, live question counts and excerpt posts."""
        counts = dict(
            db.session.execute(
                select(post_tag.c.tag_id, func.count())
                .where(post_tag.c.post_id.in_(_live_question_ids()))
                .group_by(post_tag.c.tag_id)
            )
            .tuples()
            .all()
        )
        for tag_id, name in db.session.execute(
            select(Tag.id, Tag.name).order_by(Tag.id)
        ):
            w.row(
                Id=tag_id,
                TagName=name,
                Count=counts.get(tag_id, 0),
                ExcerptPostId=self.excerpt_ids.get(tag_id),
            )

    def links(self, w: sedump.RowWriter) -> None:
        """PostLinks.xml: each closed duplicate's original first, then the
        other links (so an import picks the same original)."""
        live = select(POST.c.id).where(_live_post_condition())
        next_id = 0
        written: set[tuple[int, int]] = set()
        for qid, original, closed in db.session.execute(
            select(POST.c.id, POST.c.duplicate_of_id, POST.c.closed_at)
            .where(POST.c.duplicate_of_id.is_not(None), _live_post_condition())
            .where(POST.c.duplicate_of_id.in_(live))
            .order_by(POST.c.id)
        ):
            next_id += 1
            written.add((qid, original))
            w.row(
                Id=next_id,
                CreationDate=closed,
                PostId=qid,
                RelatedPostId=original,
                LinkTypeId=sedump.DUPLICATE,
            )
        for post_id, related, kind, created in db.session.execute(
            select(
                PostLink.post_id,
                PostLink.related_post_id,
                PostLink.kind,
                PostLink.created_at,
            )
            .where(PostLink.post_id.in_(live), PostLink.related_post_id.in_(live))
            .order_by(PostLink.id)
        ):
            if kind == "duplicate" and (post_id, related) in written:
                continue
            next_id += 1
            link_type = sedump.DUPLICATE if kind == "duplicate" else sedump.LINKED
            w.row(
                Id=next_id,
                CreationDate=created,
                PostId=post_id,
                RelatedPostId=related,
                LinkTypeId=link_type,
            )

    def comments(self, w: sedump.RowWriter) -> None:
        """Comments.xml: live comments on live posts (Markdown source as Text)."""
        live = select(POST.c.id).where(_live_post_condition())
        stmt = select(
            Comment.id,
            Comment.post_id,
            Comment.body_markdown,
            Comment.created_at,
            Comment.owner_id,
            Comment.source_author,
        ).where(Comment.deleted_at.is_(None), Comment.post_id.in_(live))
        for rows in self.chunks(stmt, Comment.id, "Comments.xml"):
            for cid, post_id, text, created, owner, author in rows:
                w.row(
                    Id=cid,
                    PostId=post_id,
                    Score=0,
                    Text=text,
                    CreationDate=created,
                    UserId=self.user_id(owner),
                    UserDisplayName=author if owner is None else None,
                )

    def votes(self, w: sedump.RowWriter) -> None:
        """Votes.xml: anonymous up/down rows per post adding up to its score."""
        stmt = select(
            POST.c.id,
            POST.c.score,
            POST.c.imported_up,
            POST.c.imported_down,
            POST.c.created_at,
        ).where(_live_post_condition())
        next_id = 0
        for rows in self.chunks(stmt, POST.c.id, "Votes.xml"):
            live = _live_votes([r.id for r in rows])
            for pid, score, imported_up, imported_down, created in rows:
                live_up, live_down = live.get(pid, (0, 0))
                up, down = balanced(
                    imported_up + live_up, imported_down + live_down, score
                )
                day = _midnight(created)
                for kind, n in ((sedump.UP_VOTE, up), (sedump.DOWN_VOTE, down)):
                    for _ in range(n):
                        next_id += 1
                        w.row(Id=next_id, PostId=pid, VoteTypeId=kind, CreationDate=day)

    def badges(self, w: sedump.RowWriter) -> None:
        """Badges.xml: our awards by name, then the imported named badges."""
        next_id = 0
        for user_id, key, created in db.session.execute(
            select(
                BadgeAward.user_id, BadgeAward.badge, BadgeAward.created_at
            ).order_by(BadgeAward.id)
        ):
            badge = BY_KEY.get(key)
            if badge is None:
                continue
            next_id += 1
            w.row(
                Id=next_id,
                UserId=self.user_id(user_id),
                Name=badge.name,
                Date=created,
                Class=CLASS_NUMBERS[badge.badge_class],
                TagBased=False,
            )
        for user_id, name, badge_class, created in db.session.execute(
            select(
                ImportedBadge.user_id,
                ImportedBadge.name,
                ImportedBadge.badge_class,
                ImportedBadge.created_at,
            ).order_by(ImportedBadge.id)
        ):
            next_id += 1
            w.row(
                Id=next_id,
                UserId=self.user_id(user_id),
                Name=name,
                Date=created,
                Class=CLASS_NUMBERS[badge_class],
                TagBased=False,
            )

    def history(self, w: sedump.RowWriter) -> None:
        """PostHistory.xml: each revision as its initial or edit rows."""
        stmt = select(POST.c.id).where(_live_post_condition())
        revision = Revision.__table__
        next_id = 0
        for rows in self.chunks(stmt, POST.c.id, "PostHistory.xml"):
            previous: dict[int, Row] = {}
            for rev in db.session.execute(
                select(revision)
                .where(revision.c.post_id.in_([r.id for r in rows]))
                .order_by(revision.c.post_id, revision.c.number)
            ):
                before = previous.get(rev.post_id)
                previous[rev.post_id] = rev
                guid = str(uuid.uuid5(uuid.NAMESPACE_URL, f"revision/{rev.id}"))
                for kind, value in _history_rows(rev, before):
                    next_id += 1
                    w.row(
                        Id=next_id,
                        PostHistoryTypeId=kind,
                        PostId=rev.post_id,
                        RevisionGUID=guid,
                        CreationDate=rev.created_at,
                        UserId=self.user_id(rev.author_id),
                        Comment=(rev.summary or None) if before else None,
                        Text=value,
                    )


def balanced(up: int, down: int, score: int) -> tuple[int, int]:
    """Up and down counts that add up to ``score``, changing as few as possible."""
    gap = score - (up - down)
    return (up + gap, down) if gap > 0 else (up, down - gap)


def _history_rows(rev: Row, before: Row | None) -> list[tuple[int, str]]:
    """(PostHistoryTypeId, Text) rows of a revision: every field at first, the
    changed ones after (the body when nothing differs)."""
    is_question = rev.title is not None
    tags = sedump.format_tag_names(rev.tags.split())
    if before is None:
        rows = [(2, rev.body_markdown)]
        if is_question:
            rows = [(1, rev.title), *rows, (3, tags)]
        return rows
    rows = []
    if is_question and rev.title != before.title:
        rows.append((4, rev.title))
    if rev.body_markdown != before.body_markdown:
        rows.append((5, rev.body_markdown))
    if is_question and rev.tags != before.tags:
        rows.append((6, tags))
    return rows or [(5, rev.body_markdown)]


def _votes_cast() -> tuple[dict[int, int], dict[int, int]]:
    """Up and down votes each user cast here."""
    rows = db.session.execute(
        select(
            Vote.user_id,
            func.sum(case((Vote.value == 1, 1), else_=0)),
            func.sum(case((Vote.value == -1, 1), else_=0)),
        ).group_by(Vote.user_id)
    )
    ups, downs = {}, {}
    for uid, up, down in rows:
        ups[uid], downs[uid] = int(up), int(down)
    return ups, downs


def _live_votes(post_ids: list[int]) -> dict[int, tuple[int, int]]:
    """(up, down) counts of the live votes on these posts."""
    rows = db.session.execute(
        select(
            Vote.post_id,
            func.sum(case((Vote.value == 1, 1), else_=0)),
            func.sum(case((Vote.value == -1, 1), else_=0)),
        )
        .where(Vote.post_id.in_(post_ids))
        .group_by(Vote.post_id)
    )
    return {pid: (int(up), int(down)) for pid, up, down in rows}


def _comment_counts(post_ids: list[int]) -> dict[int, int]:
    return dict(
        db.session.execute(
            select(Comment.post_id, func.count())
            .where(Comment.post_id.in_(post_ids), Comment.deleted_at.is_(None))
            .group_by(Comment.post_id)
        )
        .tuples()
        .all()
    )


def _midnight(when: datetime | None) -> datetime:
    """The start of the day (votes in the dumps carry dates only)."""
    return datetime.combine((when or utcnow()).date(), time.min)


def _escape(text: str) -> str:
    return escape(text, quote=False)
