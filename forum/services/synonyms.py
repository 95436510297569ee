"""Synonyms staff keep for search and tagging (``bsod`` <-> ``blue screen``,
``pc`` -> ``windows``), and the look-ups a search makes of them and of tags.

The list is read at query time (a query per search, bounded by its words),
so a change takes effect at once, without rebuilding the index.
"""

import re

from sqlalchemy import or_, select

from forum.extensions import db
from forum.models import Synonym, Tag, User
from forum.services import permissions
from forum.services.errors import AuthenticationRequired, NotFound, PermissionDenied
from forum.services.validation import clean_text, raise_if

MAX_LENGTH = 60
MAX_WORDS = 3  # a search matches multi-word terms of at most this many words
# Words and tag names: lowercase letters, digits and + # . - separated by spaces.
TERM_RE = re.compile(r"^[a-z0-9+#.-]+( [a-z0-9+#.-]+)*$")
TAG_RE = re.compile(r"^[a-z0-9+#.-]+$")


def _require_staff(actor: User | None) -> None:
    """Refuse anyone but staff: 401 when signed out, 403 otherwise."""
    if actor is None:
        raise AuthenticationRequired("Sign in to change the synonyms.")
    if not permissions.is_staff(actor):
        raise PermissionDenied("Only staff change the synonyms.")


def list_synonyms() -> list[Synonym]:
    """Every synonym, by term then replacement."""
    return list(
        db.session.scalars(select(Synonym).order_by(Synonym.term, Synonym.replacement))
    )


def staff_list(actor: User | None) -> list[Synonym]:
    """The list for the staff page (NotFound for everyone else)."""
    if not permissions.is_staff(actor):
        raise NotFound("Page not found.")
    return list_synonyms()


def normalized(value: str) -> str:
    """Lowercase, spaces collapsed."""
    return " ".join(value.lower().split())


def _clean_term(errors: dict[str, str], field: str, value: object) -> str:
    """A term or replacement, checked and normalised."""
    text = normalized(clean_text(errors, field, value, 1, MAX_LENGTH))
    if field in errors:
        return text
    if not TERM_RE.match(text):
        errors[field] = (
            f"{field.capitalize()} is words or tag names of lowercase letters, "
            "digits and + # . -"
        )
    elif len(text.split()) > MAX_WORDS:
        errors[field] = f"{field.capitalize()} has at most {MAX_WORDS} words."
    return text


def add_synonym(
    actor: User | None, term: object, replacement: object, two_way: object = False
) -> Synonym:
    """Add ``term`` -> ``replacement`` (both ways when ``two_way``); staff only.

    Raises ValidationError for a bad or already listed pair.
    """
    _require_staff(actor)
    errors: dict[str, str] = {}
    clean_term = _clean_term(errors, "term", term)
    clean_replacement = _clean_term(errors, "replacement", replacement)
    if not isinstance(two_way, bool):
        errors["two_way"] = "Two way must be true or false."
    if not errors and clean_term == clean_replacement:
        errors["replacement"] = "Replacement must differ from the term."
    if not errors and _exists(clean_term, clean_replacement):
        errors["term"] = "This synonym is already listed."
    raise_if(errors)
    synonym = Synonym(
        term=clean_term, replacement=clean_replacement, two_way=bool(two_way)
    )
    db.session.add(synonym)
    db.session.commit()
    return synonym


def _exists(term: str, replacement: str) -> bool:
    """Whether the pair is listed (a two-way pair also in reverse)."""
    return (
        db.session.scalar(
            select(Synonym.id).where(
                or_(
                    (Synonym.term == term) & (Synonym.replacement == replacement),
                    (Synonym.term == replacement)
                    & (Synonym.replacement == term)
                    & Synonym.two_way,
                )
            )
        )
        is not None
    )


def delete_synonym(actor: User | None, synonym_id: int) -> None:
    """Remove a synonym; staff only. Raises NotFound for an unknown id."""
    _require_staff(actor)
    synonym = db.session.get(Synonym, synonym_id)
    if synonym is None:
        raise NotFound("No such synonym.")
    db.session.delete(synonym)
    db.session.commit()


def search_vocabulary(
    candidates: list[str],
) -> tuple[dict[str, list[str]], set[str]]:
    """For a search's words and word runs: what each also means, and which
    of them (or of what they mean) are tag names. Two queries per search."""
    # Only what could be listed: odd text (NUL, lone surrogates) never reaches SQL.
    wanted = sorted(
        {
            text
            for text in map(normalized, candidates)
            if len(text) <= MAX_LENGTH and TERM_RE.match(text)
        }
    )
    meanings: dict[str, list[str]] = {}
    if not wanted:
        return meanings, set()
    rows = db.session.execute(
        select(Synonym.term, Synonym.replacement, Synonym.two_way).where(
            or_(
                Synonym.term.in_(wanted),
                Synonym.two_way & Synonym.replacement.in_(wanted),
            )
        )
    )
    for term, replacement, two_way in rows:
        if term in wanted:
            meanings.setdefault(term, []).append(replacement)
        if two_way and replacement in wanted:
            meanings.setdefault(replacement, []).append(term)
    names = {w for w in wanted if TAG_RE.match(w)}
    names |= {r for found in meanings.values() for r in found if TAG_RE.match(r)}
    tags = set(db.session.scalars(select(Tag.name).where(Tag.name.in_(names))))
    return meanings, tags


def canonical_tags(names: list[str]) -> list[str]:
    """Tag names with each one-way tag synonym replaced by its target
    (``pc`` -> ``windows``), order kept, duplicates dropped."""
    if not names:
        return names
    mapping = {
        term: replacement
        for term, replacement in db.session.execute(
            select(Synonym.term, Synonym.replacement)
            .where(Synonym.term.in_(names), Synonym.two_way.is_(False))
            .order_by(Synonym.id)
        )
        if TAG_RE.match(replacement)
    }
    result: list[str] = []
    for name in names:
        target = mapping.get(name, name)
        if target not in result:
            result.append(target)
    return result
