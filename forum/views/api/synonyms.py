"""API: the search and tagging synonyms (read by anyone, changed by staff)."""

from forum.services import synonyms
from forum.views.api import ID, bp
from forum.views.api import serializers as out
from forum.views.api.parsing import actor, json_body


@bp.get("/synonyms")
def list_synonyms():
    """Every synonym, by term."""
    return {"items": [out.synonym(s) for s in synonyms.list_synonyms()]}


@bp.post("/synonyms")
def create_synonym():
    """Add a synonym (staff): 201 with it."""
    body = json_body()
    synonym = synonyms.add_synonym(
        actor(), body.get("term"), body.get("replacement"), body.get("two_way", False)
    )
    return out.synonym(synonym), 201


@bp.delete(f"/synonyms/<{ID}:synonym_id>")
def delete_synonym(synonym_id: int):
    """Remove a synonym (staff): 204."""
    synonyms.delete_synonym(actor(), synonym_id)
    return "", 204
