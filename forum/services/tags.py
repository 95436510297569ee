"""Tags: parsing the "Tags" field, creating unknown tags, listing with counts."""

import re

from sqlalchemy import Label, func, select
from sqlalchemy.exc import IntegrityError

from forum.extensions import db
from forum.models import Post, Tag, post_tag
from forum.services.errors import BadRequest
from forum.services.pagination import Page, paginate
from forum.services.synonyms import canonical_tags
from forum.services.validation import is_text, limit, text_problem

TAG_RE = re.compile(r"^[a-z0-9+#.-]+$")


def parse_tags(errors: dict[str, str], value: object) -> list[str]:
    """Split a "Tags" value (a string or a list) into unique tag names.

    Names are separated by spaces or commas, lowercased, 1-TAG_MAX_LENGTH
    characters of ``[a-z0-9+#.-]``; TAGS_MIN-TAGS_MAX of them. A one-way tag
    synonym (``pc`` -> ``windows``) is replaced by its target. Problems go into
    ``errors["tags"]``.
    """
    if isinstance(value, list):
        if not all(is_text(item) for item in value):
            errors["tags"] = "Tags must be a list of text values."
            return []
        raw = " ".join(value)
    elif value is None:
        raw = ""
    elif is_text(value):
        raw = value
    else:
        errors["tags"] = f"Tags {text_problem(value)}."
        return []
    names: list[str] = []
    for part in re.split(r"[\s,]+", raw.lower()):
        if part and part not in names:
            names.append(part)
    names = canonical_tags(names)  # a tag synonym becomes its canonical tag
    lo, hi, max_len = limit("TAGS_MIN"), limit("TAGS_MAX"), limit("TAG_MAX_LENGTH")
    bad = [n for n in names if len(n) > max_len or not TAG_RE.match(n)]
    if bad:
        errors["tags"] = (
            f"Invalid tag {bad[0][:40]!r}: tags are 1-{max_len} characters of "
            "lowercase letters, digits and + # . -"
        )
    elif len(names) < lo:
        errors["tags"] = f"Add at least {lo} tag, e.g. printer or wifi."
    elif len(names) > hi:
        errors["tags"] = f"Use at most {hi} tags; you entered {len(names)}."
    return names


def get_or_create_tags(names: list[str]) -> list[Tag]:
    """Return Tag rows for the names in order, adding the unknown ones."""
    existing = {
        tag.name: tag
        for tag in db.session.scalars(select(Tag).where(Tag.name.in_(names)))
    }
    return [existing.get(name) or _create_tag(name) for name in names]


def _create_tag(name: str) -> Tag:
    """Insert a new tag in a savepoint; if a concurrent request inserted the
    same name first, use its row instead (the name is unique)."""
    try:
        with db.session.begin_nested():
            tag = Tag(name=name)
            db.session.add(tag)
        return tag
    except IntegrityError:
        return db.session.scalars(select(Tag).where(Tag.name == name)).one()


def names_by_post(post_ids: list[int]) -> dict[int, list[str]]:
    """Tag names of each of these posts, in the order they were added."""
    result: dict[int, list[str]] = {}
    for pid, name in db.session.execute(
        select(post_tag.c.post_id, Tag.name)
        .join(Tag, Tag.id == post_tag.c.tag_id)
        .where(post_tag.c.post_id.in_(post_ids))
        .order_by(post_tag.c.post_id, post_tag.c.tag_id)
    ):
        result.setdefault(pid, []).append(name)
    return result


def question_count_column() -> Label[int]:
    """Count of live questions per tag, as a labelled column expression."""
    return func.count(Post.id).label("question_count")


def list_tags(sort: str, page: int, per_page: int, name_filter: str = "") -> Page:
    """Tags with the number of live questions; sort ``popular`` or ``name``.

    Items are ``(Tag, question_count)`` rows. Raises BadRequest for an unknown sort.
    """
    if sort not in ("popular", "name"):
        raise BadRequest("sort must be 'popular' or 'name'.", {"sort": sort[:50]})
    if text_problem(name_filter):
        # A NUL byte would be a database error on PostgreSQL: refuse it cleanly.
        raise BadRequest(f"q {text_problem(name_filter)}.", {"q": "text"})
    count = question_count_column()
    stmt = (
        select(Tag, count)
        .join(post_tag, post_tag.c.tag_id == Tag.id)
        .join(
            Post,
            (Post.id == post_tag.c.post_id)
            & (Post.type == "question")
            & Post.deleted_at.is_(None),
        )
        .group_by(Tag.id)
    )
    if name_filter:
        stmt = stmt.where(Tag.name.contains(name_filter.lower(), autoescape=True))
    if sort == "popular":
        stmt = stmt.order_by(count.desc(), Tag.name)
    else:
        stmt = stmt.order_by(Tag.name)
    return paginate(stmt, page, per_page, scalars=False)
