"""Database models: columns, relationships, constraints and small pure helpers.

Models never commit and never update counters on other objects; the services do.
Times are naive UTC datetimes (the same on SQLite and PostgreSQL).
"""

from __future__ import annotations

import re
import unicodedata
from datetime import UTC, datetime
from urllib.parse import urlsplit

from flask_login import UserMixin
from sqlalchemy import (
    CheckConstraint,
    Column,
    ForeignKey,
    Index,
    Integer,
    String,
    Table,
    Text,
    UniqueConstraint,
    func,
)
from sqlalchemy import inspect as sa_inspect
from sqlalchemy.orm import Mapped, mapped_column, relationship

from forum.extensions import Model, db


def utcnow() -> datetime:
    """Return the current time as a naive UTC datetime."""
    return datetime.now(UTC).replace(tzinfo=None)


def slugify(text: str, max_length: int = 80) -> str:
    """Return a lowercase ASCII slug of ``text`` for canonical URLs."""
    ascii_text = (
        unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    )
    slug = re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-")
    return slug[:max_length].rstrip("-") or "question"


ROLE_USER = "user"
ROLE_STAFF = "staff"


# The InstanceState.info key under which a loaded user carries its sign-in's key.
SESSION_KEY = "session_key"


class User(UserMixin, Model):
    """A registered person; ``reputation`` is a cache of the ledger (starts at 1)."""

    __tablename__ = "user"
    __table_args__ = (
        CheckConstraint("role IN ('user', 'staff')", name="ck_user_role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(30))
    display_name: Mapped[str] = mapped_column(String(50))
    # Stored lowercased; null for imported accounts that have none.
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    password_hash: Mapped[str | None] = mapped_column(String(255))
    role: Mapped[str] = mapped_column(String(10), default=ROLE_USER)
    reputation: Mapped[int] = mapped_column(default=1)
    about_markdown: Mapped[str] = mapped_column(Text, default="")
    about_html: Mapped[str] = mapped_column(Text, default="")
    location: Mapped[str] = mapped_column(String(100), default="")
    website: Mapped[str] = mapped_column(String(200), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    @property
    def is_staff(self) -> bool:
        """Whether this user has the staff role."""
        return self.role == ROLE_STAFF

    def get_session_key(self) -> str:
        """Flask-Login's id for this sign-in: the key of its ``UserSession``
        (``services.sessions`` puts it on the loaded user)."""
        return str(sa_inspect(self).info[SESSION_KEY])

    def __repr__(self) -> str:
        return f"<User {self.id} {self.username!r}>"


# Usernames are unique case-insensitively; the database guards it.
Index("uq_user_username_lower", func.lower(User.username), unique=True)

post_tag = Table(
    "post_tag",
    db.metadata,
    Column("post_id", ForeignKey("post.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tag.id", ondelete="CASCADE"), primary_key=True),
    Index("ix_post_tag_tag_id", "tag_id", "post_id"),
)


class Tag(Model):
    """A topic label; names are lowercase ``[a-z0-9+#.-]``."""

    __tablename__ = "tag"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(35), unique=True)
    excerpt: Mapped[str] = mapped_column(Text, default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<Tag {self.name!r}>"


class Post(Model):
    """A question or an answer: one table, one id space (as on Stack Exchange)."""

    __tablename__ = "post"
    __table_args__ = (
        CheckConstraint("type IN ('question', 'answer')", name="ck_post_type"),
        Index("ix_post_type_created", "type", "created_at"),
        Index("ix_post_type_activity", "type", "last_activity_at"),
        Index("ix_post_type_score", "type", "score"),
        # Counting the live questions of a list reads this index only.
        Index("ix_post_type_deleted", "type", "deleted_at"),
        # A profile's questions and answers: counted from the index alone and
        # listed newest first without sorting (also serves owner_id lookups).
        Index("ix_post_owner_type", "owner_id", "type", "deleted_at", "created_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    type: Mapped[str] = mapped_column(String(10))
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    score: Mapped[int] = mapped_column(default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_edited_at: Mapped[datetime | None]
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]
    deleted_by_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    deleted_reason: Mapped[str | None] = mapped_column(String(50))
    # Imported posts (Stack Exchange dumps) keep the score they had there: live
    # votes add to it, so score == imported_score + the sum of vote values. The
    # dump's votes are anonymous: only their up/down counts are kept.
    imported_score: Mapped[int] = mapped_column(default=0, server_default="0")
    imported_up: Mapped[int] = mapped_column(default=0, server_default="0")
    imported_down: Mapped[int] = mapped_column(default=0, server_default="0")
    # Attribution of imported posts (CC BY-SA): the original address, its
    # licence, and the author's name and profile there (the name also stands
    # in for an author whose account was deleted there).
    source_url: Mapped[str | None] = mapped_column(String(300))
    source_license: Mapped[str | None] = mapped_column(String(20))
    source_author: Mapped[str | None] = mapped_column(String(50))
    source_author_url: Mapped[str | None] = mapped_column(String(300))

    owner: Mapped[User | None] = relationship(foreign_keys=[owner_id], lazy="joined")
    comments: Mapped[list[Comment]] = relationship(
        back_populates="post", order_by="Comment.created_at, Comment.id"
    )
    revisions: Mapped[list[Revision]] = relationship(
        back_populates="post", order_by="Revision.number"
    )

    __mapper_args__ = {"polymorphic_on": "type", "polymorphic_abstract": True}

    @property
    def is_deleted(self) -> bool:
        """Whether the post is soft-deleted."""
        return self.deleted_at is not None

    @property
    def source_site(self) -> str | None:
        """The host name of the site an imported post comes from."""
        return urlsplit(self.source_url).hostname if self.source_url else None

    @property
    def source_license_url(self) -> str | None:
        """The Creative Commons deed of the imported post's licence."""
        return license_url(self.source_license)


def license_url(name: str | None) -> str | None:
    """The deed address of a "CC BY-SA 4.0"-style licence name (None if unknown)."""
    match = re.fullmatch(r"CC BY-SA (\d\.\d)", name or "")
    if match is None:
        return None
    return f"https://creativecommons.org/licenses/by-sa/{match.group(1)}/"


class Question(Post):
    """A question: title, tags, answers, and at most one accepted answer."""

    title: Mapped[str | None] = mapped_column(String(150))
    view_count: Mapped[int | None] = mapped_column(default=0)
    # Cached count of answers that are not deleted (services keep it).
    answer_count: Mapped[int | None] = mapped_column(default=0)
    accepted_answer_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", use_alter=True, name="fk_post_accepted_answer_id")
    )
    accepted_by: Mapped[str | None] = mapped_column(String(10))
    closed_at: Mapped[datetime | None]
    # A locked question takes no votes, answers or comments (moderation sets it).
    locked_at: Mapped[datetime | None]
    closed_reason: Mapped[str | None] = mapped_column(String(50))
    duplicate_of_id: Mapped[int | None] = mapped_column(
        ForeignKey("post.id", name="fk_post_duplicate_of_id")
    )

    tags: Mapped[list[Tag]] = relationship(
        secondary=post_tag, order_by=post_tag.c.tag_id, lazy="selectin"
    )
    answers: Mapped[list[Answer]] = relationship(
        back_populates="question",
        foreign_keys="Answer.question_id",
        primaryjoin="Question.id == Answer.question_id",
    )

    __mapper_args__ = {"polymorphic_identity": "question"}

    @property
    def slug(self) -> str:
        """The URL slug of the title."""
        return slugify(self.title or "")

    @property
    def is_locked(self) -> bool:
        """Whether the question is locked."""
        return self.locked_at is not None

    @property
    def is_closed(self) -> bool:
        """Whether the question is closed."""
        return self.closed_at is not None

    @property
    def tag_names(self) -> list[str]:
        """The names of the question's tags."""
        return [tag.name for tag in self.tags]

    def __repr__(self) -> str:
        return f"<Question {self.id} {self.title!r}>"


class Answer(Post):
    """An answer to a question."""

    # Every answer has one; the column is nullable because questions share it.
    question_id: Mapped[int] = mapped_column(
        ForeignKey("post.id", name="fk_post_question_id"), nullable=True, index=True
    )
    question: Mapped[Question] = relationship(
        back_populates="answers",
        foreign_keys=[question_id],
        primaryjoin="Answer.question_id == Question.id",
        remote_side="Question.id",
    )

    __mapper_args__ = {"polymorphic_identity": "answer"}

    @property
    def is_accepted(self) -> bool:
        """Whether this answer is its question's accepted answer."""
        return self.question.accepted_answer_id == self.id

    def __repr__(self) -> str:
        return f"<Answer {self.id} to {self.question_id}>"


class Comment(Model):
    """A short remark under a question or an answer."""

    __tablename__ = "comment"

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    owner_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"), index=True)
    body_markdown: Mapped[str] = mapped_column(Text)
    body_html: Mapped[str] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_edited_at: Mapped[datetime | None]
    deleted_at: Mapped[datetime | None]
    # Imported comments whose author's account was deleted keep the name.
    source_author: Mapped[str | None] = mapped_column(String(50))

    post: Mapped[Post] = relationship(back_populates="comments")
    owner: Mapped[User | None] = relationship(lazy="joined")

    @property
    def is_deleted(self) -> bool:
        """Whether the comment is soft-deleted."""
        return self.deleted_at is not None


class Revision(Model):
    """A full snapshot of a post after an edit; the original post is number 1."""

    __tablename__ = "revision"
    __table_args__ = (UniqueConstraint("post_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))
    number: Mapped[int]
    author_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    summary: Mapped[str] = mapped_column(String(300), default="")
    title: Mapped[str | None] = mapped_column(String(150))
    body_markdown: Mapped[str] = mapped_column(Text)
    # Space-separated tag names at this revision (questions only).
    tags: Mapped[str] = mapped_column(String(200), default="")

    post: Mapped[Post] = relationship(back_populates="revisions")
    author: Mapped[User | None] = relationship(lazy="joined")

    @property
    def tag_list(self) -> list[str]:
        """The tag names of this revision."""
        return self.tags.split()


class Vote(Model):
    """One user's up (+1) or down (-1) vote on one post."""

    __tablename__ = "vote"
    __table_args__ = (
        UniqueConstraint("user_id", "post_id", name="uq_vote_user_post"),
        CheckConstraint("value IN (-1, 1)", name="ck_vote_value"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    value: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ApiToken(Model):
    """A bearer token for the JSON API, stored as a SHA-256 hash."""

    __tablename__ = "api_token"

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(50), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    # Updated at most every LAST_SEEN_SECONDS, so reads stay reads.
    last_used_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]

    user: Mapped[User] = relationship(lazy="joined")


class UserSession(Model):
    """One sign-in (a browser): the session and "remember me" cookies carry its
    key, whose SHA-256 is the id; deleting the row ends both cookies."""

    __tablename__ = "user_session"

    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    remember: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Updated at most every LAST_SEEN_SECONDS, so reads stay reads.
    last_seen_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    user: Mapped[User] = relationship(lazy="joined")


class QuestionView(Model):
    """One counted view: a visitor key in one time window (the unique key)."""

    __tablename__ = "question_view"
    __table_args__ = (
        UniqueConstraint("question_id", "viewer", "window", name="uq_question_view"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(ForeignKey("post.id", ondelete="CASCADE"))
    viewer: Mapped[str] = mapped_column(String(64))
    window: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class ReputationEvent(Model):
    """One entry of the append-only reputation ledger.

    ``User.reputation`` caches ``max(1, 1 + sum(delta))`` over a user's events.
    Undoing something writes a new event whose ``reverses_id`` points at the
    original and whose delta is its negation; rows are never edited or deleted.
    """

    __tablename__ = "reputation_event"
    __table_args__ = (
        Index("ix_reputation_event_user_created", "user_id", "created_at"),
        Index("ix_reputation_event_post_kind", "post_id", "kind"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    # Who caused it (the voter, the acceptor, the deleting staff member).
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(String(30))
    delta: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # Unique: an event is reversed at most once, even under concurrency.
    reverses_id: Mapped[int | None] = mapped_column(
        ForeignKey("reputation_event.id"), unique=True
    )

    post: Mapped[Post | None] = relationship(foreign_keys=[post_id])

    @property
    def is_reversal(self) -> bool:
        """Whether this event undoes an earlier one."""
        return self.reverses_id is not None


class VoteAuditFinding(Model):
    """One serial-voting pattern the vote audit found and reversed, for staff.

    ``value`` is the direction (+1 upvotes, -1 downvotes); the changes are the
    ledger sums the reversal wrote for the target and for the voter.
    """

    __tablename__ = "vote_audit_finding"

    id: Mapped[int] = mapped_column(primary_key=True)
    voter_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    target_id: Mapped[int] = mapped_column(ForeignKey("user.id"))
    value: Mapped[int]
    votes: Mapped[int]
    target_change: Mapped[int]
    voter_change: Mapped[int]
    first_vote_at: Mapped[datetime]
    last_vote_at: Mapped[datetime]
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)

    voter: Mapped[User] = relationship(foreign_keys=[voter_id])
    target: Mapped[User] = relationship(foreign_keys=[target_id])


class BadgeAward(Model):
    """A badge earned by a user; ``award_key`` is "" for once-per-user badges and
    the post id for per-post badges, so the unique key guards both."""

    __tablename__ = "badge_award"
    __table_args__ = (
        UniqueConstraint("user_id", "badge", "award_key", name="uq_badge_award"),
        Index("ix_badge_award_badge", "badge"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    badge: Mapped[str] = mapped_column(String(40))
    award_key: Mapped[str] = mapped_column(String(20), default="")
    post_id: Mapped[int | None] = mapped_column(ForeignKey("post.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    user: Mapped[User] = relationship(lazy="joined")


class SearchOutbox(Model):
    """A question whose indexed content changed, written in the same transaction
    as the change; every index follows these rows (see forum.search)."""

    __tablename__ = "search_outbox"

    id: Mapped[int] = mapped_column(primary_key=True)
    question_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)


class PostLink(Model):
    """One post pointing at another: "linked" (it mentions it) or "duplicate"
    (it was closed as a duplicate of it; ``Question.duplicate_of_id`` holds the
    one it is closed against)."""

    __tablename__ = "post_link"
    __table_args__ = (
        UniqueConstraint("post_id", "related_post_id", "kind", name="uq_post_link"),
        CheckConstraint("kind IN ('linked', 'duplicate')", name="ck_post_link_kind"),
        Index("ix_post_link_related", "related_post_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    post_id: Mapped[int] = mapped_column(ForeignKey("post.id"), index=True)
    related_post_id: Mapped[int] = mapped_column(ForeignKey("post.id"))
    kind: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportedBadge(Model):
    """A badge earned on an imported site that no rule here matches, by name."""

    __tablename__ = "imported_badge"
    __table_args__ = (
        CheckConstraint(
            "badge_class IN ('gold', 'silver', 'bronze')",
            name="ck_imported_badge_class",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(ForeignKey("user.id"), index=True)
    name: Mapped[str] = mapped_column(String(50))
    badge_class: Mapped[str] = mapped_column(String(10))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class ImportRecord(Model):
    """Which local row a row of an imported dump became, per site and kind
    ("user", "post", "comment", "badge", "link", "revision"): re-running an
    import skips what it already brought in, and remapped posts keep their
    source id here (``/questions/source/<site>/<id>`` finds them)."""

    __tablename__ = "import_record"
    __table_args__ = (
        UniqueConstraint("site", "kind", "source_id", name="uq_import_record"),
        Index("ix_import_record_local", "kind", "local_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site: Mapped[str] = mapped_column(String(100))
    kind: Mapped[str] = mapped_column(String(20))
    source_id: Mapped[int]
    local_id: Mapped[int]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class Synonym(Model):
    """A search and tagging synonym kept by staff: ``term`` also means
    ``replacement``; when ``two_way``, the replacement also means the term.
    Either side is a word, a few words, or a tag name."""

    __tablename__ = "synonym"
    __table_args__ = (
        UniqueConstraint("term", "replacement", name="uq_synonym_term_replacement"),
        Index("ix_synonym_replacement", "replacement"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    term: Mapped[str] = mapped_column(String(60), index=True)
    replacement: Mapped[str] = mapped_column(String(60))
    two_way: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class DatabaseIdentity(Model):
    """Which state of the database this is: one row, a new token whenever
    a backup is restored into it. The search index records the token it was
    built from and rebuilds when it no longer matches."""

    __tablename__ = "database_identity"

    id: Mapped[int] = mapped_column(primary_key=True)  # always 1
    token: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class IdempotencyKey(Model):
    """An API write sent with an ``Idempotency-Key`` header: the first
    request's response, returned again to a retry with the same key (a
    client that lost a response retries without posting twice). ``status``
    is None while that first request runs."""

    __tablename__ = "idempotency_key"
    __table_args__ = (
        UniqueConstraint("user_id", "key", name="uq_idempotency_key_user_key"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    user_id: Mapped[int] = mapped_column(
        ForeignKey("user.id", ondelete="CASCADE"), index=True
    )
    key: Mapped[str] = mapped_column(String(200))
    method: Mapped[str] = mapped_column(String(10))
    path: Mapped[str] = mapped_column(String(500))
    request_hash: Mapped[str] = mapped_column(String(64))
    status: Mapped[int | None] = mapped_column(Integer, nullable=True)
    response: Mapped[str | None] = mapped_column(Text, nullable=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
