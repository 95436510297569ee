"""Importing a Stack Exchange dump folder: the whole import is one transaction.

Rules (see docs/import-export.md):
- Users get an account without email or password (they cannot log in until
  an operator runs ``users set-password``); the Community bot (Id -1) becomes
  one shared system account; each user's reputation becomes one "imported"
  ledger event.
- Into a forum without posts, questions and answers keep their ids (old
  ``/questions/<id>`` links keep working); otherwise they get new ids and
  ``ImportRecord`` keeps the source id (``/questions/source/<site>/<id>``).
- Scores stay as in the dump (``Post.imported_score``), with the anonymous
  up/down counts of Votes.xml; bodies are converted to Markdown and rendered
  by our own pipeline; each post keeps its source address and licence.
- Every imported row is recorded in ``ImportRecord``, so running the import
  again skips it (re-imported users and posts only take newer counters).
- Rows pointing at missing posts or users are skipped and counted. Any error
  rolls everything back. Search is rebuilt once, after the commit.
"""

import re
import time
import unicodedata
from collections.abc import Iterable
from datetime import datetime
from pathlib import Path
from urllib.parse import urlsplit

from flask import current_app
from sqlalchemy import func, insert, select, text
from sqlalchemy.exc import SQLAlchemyError

from forum.extensions import db
from forum.interchange import checks, import_posts, import_related, sedump
from forum.interchange.report import FileStats, ImportReport
from forum.markup import render_markdown
from forum.models import (
    ImportRecord,
    Post,
    ReputationEvent,
    Tag,
    User,
    post_tag,
    utcnow,
)
from forum.search import documents, indexer
from forum.services import reputation
from forum.services.tags import TAG_RE

_USERNAME_BAD = re.compile(r"[^A-Za-z0-9._-]+")


class ImportFailed(Exception):
    """The import could not run or was rolled back; the message says why."""


def site_from_url(site_url: str) -> tuple[str, str]:
    """(host, base URL without a trailing slash) of ``--site-url``.

    Raises ImportFailed for anything but an http(s) address.
    """
    parts = urlsplit(site_url.strip())
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise ImportFailed(f"--site-url must be an http(s) address: {site_url!r}")
    return parts.hostname.lower(), f"{parts.scheme}://{parts.netloc}".lower()


def import_stackexchange(
    folder: Path, site_url: str, progress: sedump.Progress | None = None
) -> ImportReport:
    """Import a dump folder in one transaction, then rebuild the search index.

    Raises ImportFailed (nothing is changed) for a missing folder, a folder
    without dump files, a file ``sedump.rows`` or ``checks`` refuses
    (malformed XML, not UTF-8, a DTD, rows over the limits, HTML nested too
    deep) or a database error.
    """
    folder = Path(folder)
    if not folder.is_dir():
        raise ImportFailed(f"No such folder: {folder}")
    if not any((folder / name).is_file() for name in sedump.FILES):
        raise ImportFailed(
            f"{folder} holds none of the dump files ({', '.join(sedump.FILES)})."
        )
    site, base_url = site_from_url(site_url)
    started = time.monotonic()
    run = None
    try:
        run = Importer(folder, site, base_url, progress)
        run.run()
        db.session.commit()
    except sedump.DumpError as error:
        db.session.rollback()
        raise ImportFailed(f"{error} Nothing was imported.") from None
    except SQLAlchemyError as error:
        db.session.rollback()
        reason = str(error.orig if hasattr(error, "orig") else error).splitlines()[0]
        raise ImportFailed(f"The database refused the import ({reason}).") from None
    except Exception as error:
        # Whatever a hostile dump finds next ends as a message, not a traceback.
        db.session.rollback()
        where = f" while reading {run.reading}" if run and run.reading else ""
        raise ImportFailed(
            f"The import failed{where} ({type(error).__name__}: "
            f"{str(error)[:200]}). Nothing was imported."
        ) from error
    except BaseException:
        db.session.rollback()
        raise
    _after_commit(run.report, progress)
    run.report.seconds = time.monotonic() - started
    return run.report


def _after_commit(report: ImportReport, progress: sedump.Progress | None) -> None:
    """Planner statistics (SQLite), then one search rebuild for everything."""
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.commit()
    began = time.monotonic()
    if not report.changed:
        indexer.ensure_index()  # nothing new: only build a missing index
        report.index_seconds = time.monotonic() - began
        return
    total = documents.live_question_count()
    with sedump.progress_bar(progress, "search index", total) as bar:
        report.indexed = indexer.rebuild(progress=bar.update)
    report.index_seconds = time.monotonic() - began


class Importer:
    """One run of an import, inside the caller's transaction."""

    def __init__(
        self,
        folder: Path,
        site: str,
        base_url: str,
        progress: sedump.Progress | None = None,
    ):
        self.folder = folder
        self.site = site
        self.base_url = base_url
        self.progress = progress
        self.keep_ids = not db.session.scalar(select(func.count(Post.id)))
        self.report = ImportReport(site, self.keep_ids)
        self.now = utcnow()
        # Source id -> local id, per kind, for this site (ImportRecord).
        self.maps: dict[str, dict[int, int]] = {}
        self.user_names: dict[int, str] = {}  # source user id -> display name
        self.question_ids: set[int] = set()  # local ids of this site's questions
        self.answer_parent: dict[int, int] = {}  # local answer id -> question id
        self.new_posts: set[int] = set()  # local ids of posts added by this run
        self.tag_ids: dict[str, int] = {}
        self.tags_before: set[str] = set()
        self.touched_users: set[int] = set()
        config = current_app.config
        self.limits = sedump.Limits(
            row_bytes=config["IMPORT_MAX_ROW_BYTES"],
            field_chars=config["IMPORT_MAX_FIELD_LENGTH"],
            attributes=config["IMPORT_MAX_ATTRIBUTES"],
        )
        self.reading = ""  # the file being read (for messages)

    # ---- helpers ------------------------------------------------------------

    def path(self, name: str) -> Path | None:
        """The dump file, or None (noted in the report) when it is missing."""
        path = self.folder / name
        if path.is_file():
            return path
        self.report.file(name).missing = True
        return None

    def rows(self, name: str, label: str | None = None):
        """Stream a file's rows with a progress bar (nothing if it is missing)."""
        path = self.path(name)
        if path is None:
            return
        with sedump.progress_bar(
            self.progress, label or name, path.stat().st_size
        ) as bar:
            self.reading = name
            yield from sedump.rows(path, bar.update, self.limits)

    def new_rows(self, name: str, known: dict[int, int]):
        """(source id, row) of a file's rows not imported before; rows without
        an Id or imported by an earlier run are counted, not yielded."""
        stats = self.stats(name)
        for row in self.rows(name):
            source_id = sedump.parse_int(row.get("Id"))
            if source_id is None:
                stats.skipped["row without an Id"] += 1
            elif source_id in known:
                stats.unchanged += 1
            else:
                yield source_id, row

    def stats(self, name: str) -> FileStats:
        """The report line of one file."""
        return self.report.file(name)

    def mapping(self, kind: str) -> dict[int, int]:
        """Source id -> local id of what earlier runs imported (loaded once)."""
        if kind not in self.maps:
            rows = db.session.execute(
                select(ImportRecord.source_id, ImportRecord.local_id).where(
                    ImportRecord.site == self.site, ImportRecord.kind == kind
                )
            )
            self.maps[kind] = dict(rows.tuples().all())
        return self.maps[kind]

    def record(self, kind: str, pairs: Iterable[tuple[int, int]]) -> None:
        """Remember (source id, local id) pairs, in the database and here."""
        pairs = list(pairs)
        rows = [
            {
                "site": self.site,
                "kind": kind,
                "source_id": s,
                "local_id": local,
                "created_at": self.now,
            }
            for s, local in pairs
        ]
        if rows:
            db.session.execute(insert(ImportRecord.__table__), rows)
            self.mapping(kind).update(pairs)

    def insert(self, model, rows: list[dict], keep_ids: bool = False) -> list[int]:
        """Insert rows in one statement; return their ids in order."""
        if not rows:
            return []
        table = model.__table__
        if keep_ids:
            db.session.execute(insert(table), rows)
            return [row["id"] for row in rows]
        stmt = insert(table).returning(table.c.id, sort_by_parameter_order=True)
        return list(db.session.scalars(stmt, rows))

    def author_url(self, source_user_id: int | None) -> str | None:
        """The profile address of a source user on the original site."""
        if source_user_id is None:
            return None
        return f"{self.base_url}/users/{source_user_id}"

    # ---- the run ------------------------------------------------------------

    def run(self) -> None:
        """Every stage, in dependency order; the caller commits."""
        self.import_users()
        import_posts.import_posts(self)
        import_related.import_links(self)
        import_related.import_comments(self)
        import_related.import_votes(self)
        import_related.import_badges(self)
        import_related.import_history(self)
        reputation.refresh_caches(self.touched_users)
        if self.keep_ids and db.engine.dialect.name == "postgresql":
            # New posts must not collide with the ids the dump brought.
            db.session.execute(
                text(
                    "SELECT setval(pg_get_serial_sequence('post', 'id'), "
                    "COALESCE((SELECT max(id) FROM post), 0) + 1, false)"
                )
            )

    # ---- users --------------------------------------------------------------

    def import_users(self) -> None:
        """Users.xml: accounts without email or password, reputation as a
        ledger event; the Community bot becomes the shared system account."""
        stats = self.stats("Users.xml")
        known = self.mapping("user")
        taken = {name.lower() for name in db.session.scalars(select(User.username))}
        imported_totals = dict(
            db.session.execute(
                select(ReputationEvent.user_id, func.sum(ReputationEvent.delta))
                .where(ReputationEvent.kind == "imported")
                .group_by(ReputationEvent.user_id)
            )
            .tuples()
            .all()
        )
        batch: list[tuple] = []
        for row in self.rows("Users.xml"):
            source_id = sedump.parse_int(row.get("Id"))
            if source_id is None:
                stats.skipped["row without an Id"] += 1
                continue
            name = (row.get("DisplayName") or "").strip() or f"user{source_id}"
            self.user_names[source_id] = name
            wanted = max(1, sedump.parse_int(row.get("Reputation")) or 1)
            if source_id in known:
                local = known[source_id]
                have = imported_totals.get(local, 0)
                if wanted - 1 != have and source_id != sedump.COMMUNITY_ID:
                    self.reputation_event(local, wanted - 1 - have, row)
                    stats.updated += 1
                else:
                    stats.unchanged += 1
                continue
            if source_id == sedump.COMMUNITY_ID and self.adopt_system_account():
                stats.imported += 1
                continue
            batch.append((source_id, self.user_row(row, name, wanted, taken), row))
            if len(batch) >= sedump.BATCH:
                self.flush_users(batch, stats)
        self.flush_users(batch, stats)

    def adopt_system_account(self) -> bool:
        """Map Id -1 to the system account another site's import created."""
        local = db.session.scalar(
            select(ImportRecord.local_id).where(
                ImportRecord.kind == "user",
                ImportRecord.source_id == sedump.COMMUNITY_ID,
            )
        )
        if local is None:
            return False
        self.record("user", [(sedump.COMMUNITY_ID, local)])
        return True

    def user_row(self, row: dict, name: str, wanted: int, taken: set[str]) -> dict:
        """The ``user`` row of one Users.xml row."""
        fields = checks.profile_fields(row, name, self.stats("Users.xml"))
        created = sedump.parse_time(row.get("CreationDate")) or self.now
        is_bot = sedump.parse_int(row.get("Id")) == sedump.COMMUNITY_ID
        return {
            "username": unique_username(name, taken),
            "display_name": fields["display_name"],
            "email": None,
            "password_hash": None,
            "role": "user",
            "reputation": 1 if is_bot else wanted,
            "about_markdown": fields["about_markdown"],
            "about_html": str(render_markdown(fields["about_markdown"])),
            "location": fields["location"],
            "website": fields["website"],
            "created_at": created,
        }

    def flush_users(self, batch: list[tuple], stats: FileStats) -> None:
        """Insert a batch of (source id, user row, dump row): the users, their
        mappings and their reputation events."""
        if not batch:
            return
        ids = self.insert(User, [user for _, user, _ in batch])
        self.record(
            "user", [(s, local) for (s, _, _), local in zip(batch, ids, strict=True)]
        )
        events = []
        for (source_id, user, row), local in zip(batch, ids, strict=True):
            if user["reputation"] > 1 and source_id != sedump.COMMUNITY_ID:
                events.append(self.event_row(local, user["reputation"] - 1, row))
        if events:
            db.session.execute(insert(ReputationEvent.__table__), events)
        stats.imported += len(batch)
        batch.clear()

    def event_row(self, user_id: int, delta: int, row: dict) -> dict:
        """An "imported" ledger event, dated when the user joined."""
        when = sedump.parse_time(row.get("CreationDate")) or self.now
        return {
            "user_id": user_id,
            "post_id": None,
            "actor_id": None,
            "kind": "imported",
            "delta": delta,
            "created_at": when,
            "reverses_id": None,
        }

    def reputation_event(self, user_id: int, delta: int, row: dict) -> None:
        """Adjust a re-imported user's reputation to the newer dump's value."""
        event = self.event_row(user_id, delta, row)
        event["created_at"] = sedump.parse_time(row.get("LastAccessDate")) or self.now
        db.session.execute(insert(ReputationEvent.__table__), [event])
        self.touched_users.add(user_id)

    # ---- tags ---------------------------------------------------------------

    def load_tags(self) -> None:
        """The forum's tag ids by name (once)."""
        self.tag_ids = dict(db.session.execute(select(Tag.name, Tag.id)).tuples().all())
        self.tags_before = set(self.tag_ids)

    def ensure_tags(self, first_use: dict[str, datetime]) -> int:
        """Create the tags among ``first_use`` that do not exist (dated by their
        first use); return how many were created."""
        new = [name for name in first_use if name not in self.tag_ids]
        rows = [
            {"name": name, "excerpt": "", "created_at": first_use[name]} for name in new
        ]
        for name, local in zip(new, self.insert(Tag, rows), strict=True):
            self.tag_ids[name] = local
        return len(new)

    def link_tags(self, post_tags: list[tuple[int, list[str]]]) -> None:
        """Insert the post_tag rows of new questions."""
        rows = [
            {"post_id": post_id, "tag_id": self.tag_ids[name]}
            for post_id, names in post_tags
            for name in names
        ]
        if rows:
            db.session.execute(insert(post_tag), rows)

    @staticmethod
    def valid_tags(names: list[str]) -> list[str]:
        """The names our tag rules accept (TAG_MAX_LENGTH of ``[a-z0-9+#.-]``)."""
        most = current_app.config["TAG_MAX_LENGTH"]
        return [n for n in names if len(n) <= most and TAG_RE.match(n)]


def unique_username(display_name: str, taken: set[str]) -> str:
    """A username from a display name: ``[A-Za-z0-9._-]`` within the configured
    lengths, unique case-insensitively (``taken`` holds the lowercased ones;
    updated)."""
    least = current_app.config["USERNAME_MIN_LENGTH"]
    most = current_app.config["USERNAME_MAX_LENGTH"]
    ascii_name = (
        unicodedata.normalize("NFKD", display_name)
        .encode("ascii", "ignore")
        .decode("ascii")
    )
    base = _USERNAME_BAD.sub("-", ascii_name).strip("-._")[:most]
    if len(base) < least:
        base = f"user-{base}" if base else "user"
    candidate, n = base, 1
    while candidate.lower() in taken:
        n += 1
        suffix = f"-{n}"
        candidate = base[: most - len(suffix)] + suffix
    taken.add(candidate.lower())
    return candidate
