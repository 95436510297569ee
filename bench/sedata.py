"""Stack Exchange dump loader for the benchmarks (the importer issue replaces it).

Streams a site's Users, Posts, Comments and PostLinks XML (UTF-8 with a BOM)
and bulk-inserts users, questions, answers, tags, post_tag and comments with
SQLAlchemy core. Post ids are kept as in the dump, so PostLinks apply as they
are; user ids are shifted by 2 so that the "Community" bot (-1) becomes 1.
"""

import argparse
import html
import os
import re
import sys
import tempfile
import xml.etree.ElementTree as ET
from collections import Counter
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from sqlalchemy import bindparam, text

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from forum import create_app  # noqa: E402
from forum.extensions import db  # noqa: E402
from forum.markup import plain_text, sanitize_html  # noqa: E402
from forum.models import Comment, Post, Tag, User, post_tag  # noqa: E402

# The sample dumps: a folder holding one dump folder per site of SITES, given
# with --data DIR or this environment variable (nothing is looked up elsewhere).
DATA_ENV = "FORUM_SAMPLE_DUMPS"
SITES = ("cardano.stackexchange.com", "bicycles.meta.stackexchange.com")
LINKED, DUPLICATE = 1, 3
USER_ID_SHIFT = 2
BATCH = 2000
_TAG_OK = re.compile(r"^[a-z0-9+#.-]{1,35}$")


def add_data_option(parser: argparse.ArgumentParser, needed: bool) -> None:
    """Add ``--data DIR`` (default: $FORUM_SAMPLE_DUMPS), the sample dumps' folder."""
    without = "required" if needed else "without it, a built-in word list is used"
    parser.add_argument(
        "--data",
        type=Path,
        default=os.environ.get(DATA_ENV) or None,
        metavar="DIR",
        help=f"folder holding the Stack Exchange dump folders {', '.join(SITES)} "
        f"(default: ${DATA_ENV}; {without})",
    )


def check_data(
    parser: argparse.ArgumentParser,
    data: Path | None,
    needed: bool,
    sites: tuple[str, ...] | list[str] = SITES,
) -> Path | None:
    """The dumps folder if usable; else exit with a parser error saying why.

    ``None`` (no --data, no $FORUM_SAMPLE_DUMPS) is accepted when not ``needed``.
    """
    if data is None:
        if needed:
            parser.error(
                "the Stack Exchange sample dumps are needed: pass --data DIR or set "
                f"{DATA_ENV}=DIR, DIR holding the dump folders {', '.join(sites)} "
                "(each with its Posts.xml)"
            )
        return None
    if not data.is_dir():
        parser.error(f"--data {data}: no such folder")
    if not any((data / site / "Posts.xml").is_file() for site in sites):
        parser.error(
            f"--data {data}: none of the dump folders {', '.join(sites)} "
            "with a Posts.xml is in it"
        )
    return data


def rows(path: Path) -> Iterator[dict[str, str]]:
    """The attributes of every ``<row>`` of a dump file, streamed."""
    context = ET.iterparse(str(path), events=("start", "end"))
    root = None
    for event, elem in context:
        if root is None and event == "start":
            root = elem
        if event == "end" and elem.tag == "row":
            yield dict(elem.attrib)
            elem.clear()
            root.clear()  # drop the finished rows the root still references


def parse_time(value: str | None) -> datetime | None:
    """A dump timestamp (``2021-04-27T15:06:44.553``) as a naive UTC datetime."""
    return datetime.fromisoformat(value) if value else None


def parse_tags(value: str | None) -> list[str]:
    """Tag names from ``<a><b>`` or ``|a|b|``, lowercased, invalid ones dropped."""
    names = re.split(r"[<>|]+", (value or "").lower())
    return list(dict.fromkeys(n for n in names if _TAG_OK.match(n)))


def user_id(se_id: str | None) -> int | None:
    """Our user id for a dump user id (None for deleted users)."""
    return int(se_id) + USER_ID_SHIFT if se_id else None


@dataclass
class Loaded:
    """What one site load inserted and skipped."""

    site: str
    users: int = 0
    questions: int = 0
    answers: int = 0
    comments: int = 0
    tags: int = 0
    skipped: Counter = field(default_factory=Counter)
    created: dict[int, datetime] = field(default_factory=dict)  # question times
    titles: dict[int, str] = field(default_factory=dict)


def links(folder: Path) -> list[tuple[int, int, int]]:
    """(post id, related post id, link type) of every PostLinks row."""
    path = folder / "PostLinks.xml"
    if not path.exists():
        return []
    return [
        (int(r["PostId"]), int(r["RelatedPostId"]), int(r["LinkTypeId"]))
        for r in rows(path)
    ]


def make_app(workdir: Path, **overrides):
    """A forum app on a fresh SQLite file and index under ``workdir``."""
    config = {
        "SECRET_KEY": "bench",
        "DATABASE_URL": f"sqlite:///{workdir / 'forum.sqlite'}",
        "SEARCH_INDEX_DIR": str(workdir / "search-index"),
        "SEARCH_INDEXING": "manual",
        "SEARCH_CHECK_ON_START": False,
        "DEMO_CONTENT": False,
    }
    config.update(overrides)
    app = create_app(config, instance_path=str(workdir / "instance"))
    with app.app_context():
        db.create_all()
    return app


def temp_dir(prefix: str) -> Path:
    """A new temporary directory (the caller removes it)."""
    return Path(tempfile.mkdtemp(prefix=prefix))


def _insert(table, batch: list[dict]) -> None:
    if batch:
        db.session.execute(table.insert(), batch)
        batch.clear()


def _load_users(folder: Path, loaded: Loaded) -> set[int]:
    ids: set[int] = set()
    batch: list[dict] = []
    path = folder / "Users.xml"
    if not path.exists():
        return ids
    for r in rows(path):
        uid = user_id(r["Id"])
        ids.add(uid)
        batch.append(
            {
                "id": uid,
                "username": "community" if uid == 1 else f"user{r['Id']}",
                "display_name": (r.get("DisplayName") or f"user{r['Id']}")[:50],
                "email": None,
                "password_hash": None,
                "role": "user",
                "reputation": int(r.get("Reputation") or 1),
                "about_markdown": "",
                "about_html": "",
                "location": (r.get("Location") or "")[:100],
                "website": (r.get("WebsiteUrl") or "")[:200],
                "created_at": parse_time(r.get("CreationDate")),
            }
        )
        if len(batch) >= BATCH:
            _insert(User.__table__, batch)
    _insert(User.__table__, batch)
    loaded.users = len(ids)
    return ids


def _post_row(r: dict, kind: str, owners: set[int]) -> dict:
    body_html = sanitize_html(r.get("Body") or "")
    owner = user_id(r.get("OwnerUserId"))
    created = parse_time(r["CreationDate"])
    return {
        "id": int(r["Id"]),
        "type": kind,
        "owner_id": owner if owner in owners else None,
        "body_markdown": plain_text(body_html),
        "body_html": body_html,
        "score": int(r.get("Score") or 0),
        "imported_score": int(r.get("Score") or 0),  # votes are anonymous
        "created_at": created,
        "last_edited_at": parse_time(r.get("LastEditDate")),
        "last_activity_at": parse_time(r.get("LastActivityDate")) or created,
        "deleted_at": None,
        "deleted_by_id": None,
        "deleted_reason": None,
        "title": r.get("Title", "")[:150] if kind == "question" else None,
        "view_count": int(r.get("ViewCount") or 0) if kind == "question" else None,
        "answer_count": 0 if kind == "question" else None,
        "accepted_answer_id": None,
        "accepted_by": None,
        "closed_at": parse_time(r.get("ClosedDate")) if kind == "question" else None,
        "locked_at": None,
        "closed_reason": None,
        "duplicate_of_id": None,
        "question_id": int(r["ParentId"]) if kind == "answer" else None,
    }


def load_site(folder: Path) -> Loaded:
    """Insert one dump folder into the app's database (inside an app context)."""
    loaded = Loaded(folder.name)
    owners = _load_users(folder, loaded)
    accepted: dict[int, int] = {}
    question_tags: dict[int, list[str]] = {}
    answers: list[dict] = []
    batch: list[dict] = []
    for r in rows(folder / "Posts.xml"):
        kind = r.get("PostTypeId")
        if kind == "1":
            row = _post_row(r, "question", owners)
            batch.append(row)
            loaded.created[row["id"]] = row["created_at"]
            loaded.titles[row["id"]] = row["title"]
            question_tags[row["id"]] = parse_tags(r.get("Tags"))
            if r.get("AcceptedAnswerId"):
                accepted[row["id"]] = int(r["AcceptedAnswerId"])
            if len(batch) >= BATCH:
                _insert(Post.__table__, batch)
        elif kind == "2":
            answers.append(r)
        else:
            loaded.skipped[f"post type {kind}"] += 1
    _insert(Post.__table__, batch)
    loaded.questions = len(loaded.created)

    answer_ids: set[int] = set()
    counts: Counter = Counter()
    for r in answers:
        parent = int(r.get("ParentId") or 0)
        if parent not in loaded.created:
            loaded.skipped["answer to a missing question"] += 1
            continue
        batch.append(_post_row(r, "answer", owners))
        answer_ids.add(int(r["Id"]))
        counts[parent] += 1
        if len(batch) >= BATCH:
            _insert(Post.__table__, batch)
    _insert(Post.__table__, batch)
    loaded.answers = len(answer_ids)

    _load_tags(question_tags, loaded)
    _load_comments(folder, set(loaded.created) | answer_ids, owners, loaded)

    post = Post.__table__
    updates = []
    for qid in loaded.created:
        acc = accepted.get(qid)
        if acc is not None and acc not in answer_ids:
            loaded.skipped["accepted answer missing"] += 1
            acc = None
        by = "asker" if acc else None
        updates.append({"qid": qid, "n": counts[qid], "acc": acc, "by": by})
    db.session.execute(
        post.update()
        .where(post.c.id == bindparam("qid"))
        .values(
            answer_count=bindparam("n"),
            accepted_answer_id=bindparam("acc"),
            accepted_by=bindparam("by"),
        ),
        updates,
    )
    _mark_duplicates(folder, loaded)
    db.session.commit()
    analyze()
    return loaded


def analyze() -> None:
    """Give SQLite's planner statistics after a bulk load, as an importer should.

    Without them SQLite reads ``Question.tags`` (selectin) through the
    (type, created_at) index: ~20 ms a page at 100,000 questions instead of 0.2.
    """
    if db.engine.dialect.name == "sqlite":
        db.session.execute(text("ANALYZE"))
        db.session.commit()


def _load_tags(question_tags: dict[int, list[str]], loaded: Loaded) -> None:
    names = sorted({n for names in question_tags.values() for n in names})
    tag_ids = {name: i for i, name in enumerate(names, start=1)}
    _insert(
        Tag.__table__,
        [
            {"id": i, "name": n, "excerpt": "", "created_at": datetime(2000, 1, 1)}
            for n, i in tag_ids.items()
        ],
    )
    links_ = [
        {"post_id": qid, "tag_id": tag_ids[n]}
        for qid, tag_names in question_tags.items()
        for n in tag_names
    ]
    for start in range(0, len(links_), BATCH):
        _insert(post_tag, links_[start : start + BATCH])
    loaded.tags = len(tag_ids)


def _load_comments(folder: Path, posts: set[int], owners: set[int], loaded) -> None:
    path = folder / "Comments.xml"
    if not path.exists():
        return
    batch: list[dict] = []
    for r in rows(path):
        if int(r["PostId"]) not in posts:
            loaded.skipped["comment on a missing post"] += 1
            continue
        text = r.get("Text") or ""
        owner = user_id(r.get("UserId"))
        created = parse_time(r["CreationDate"])
        batch.append(
            {
                "id": int(r["Id"]),
                "post_id": int(r["PostId"]),
                "owner_id": owner if owner in owners else None,
                "body_markdown": text,
                "body_html": f"<p>{html.escape(text)}</p>",
                "created_at": created,
                "last_edited_at": None,
                "deleted_at": None,
            }
        )
        loaded.comments += 1
        if len(batch) >= BATCH:
            _insert(Comment.__table__, batch)
    _insert(Comment.__table__, batch)


def _mark_duplicates(folder: Path, loaded: Loaded) -> None:
    """Closed questions with a duplicate link point at their original."""
    post = Post.__table__
    for post_id, related, kind in links(folder):
        if kind != DUPLICATE:
            continue
        if post_id not in loaded.created or related not in loaded.created:
            continue
        db.session.execute(
            post.update()
            .where(post.c.id == post_id, post.c.closed_at.is_not(None))
            .values(duplicate_of_id=related, closed_reason="duplicate")
        )


def question_pairs(folder: Path, loaded: Loaded) -> tuple[dict, Counter]:
    """Per link type, the (newer, older) question pairs, deduplicated.

    Links whose posts are not both loaded questions are skipped and counted.
    """
    pairs: dict[int, set[tuple[int, int]]] = {LINKED: set(), DUPLICATE: set()}
    skipped: Counter = Counter()
    for post_id, related, kind in links(folder):
        if kind not in pairs:
            skipped[f"link type {kind}"] += 1
            continue
        if post_id not in loaded.created or related not in loaded.created:
            skipped["link to a post that is not a question here"] += 1
            continue
        if post_id == related:
            continue
        a, b = sorted(
            (post_id, related), key=lambda i: (loaded.created[i], i), reverse=True
        )
        pairs[kind].add((a, b))
    return {k: sorted(v) for k, v in pairs.items()}, skipped


def corpus_texts(folders: list[Path]) -> Iterator[tuple[str, str, str]]:
    """(kind, title, plain body) of every question and answer of the dumps."""
    for folder in folders:
        path = folder / "Posts.xml"
        if not path.exists():
            continue
        for r in rows(path):
            kind = {"1": "question", "2": "answer"}.get(r.get("PostTypeId"))
            if kind:
                body = plain_text(r.get("Body") or "")
                yield kind, r.get("Title") or "", body
