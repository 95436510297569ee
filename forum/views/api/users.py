"""API: accounts and tokens."""

from flask import g, request, url_for

from forum.services import reputation, tokens, users
from forum.views.api import ID, bp
from forum.views.api import serializers as out
from forum.views.api.parsing import actor, json_body, page_args, require_text


@bp.post("/users")
def create_user():
    """Register an account: 201 with the user (email included: it is theirs)."""
    body = json_body()
    user = users.register_user(
        body.get("username"), body.get("email"), body.get("password")
    )
    location = url_for("api.get_user", user_id=user.id)
    return out.user(user, user), 201, {"Location": location}


@bp.get("/users")
def list_users():
    """Users by reputation; ``period`` is all, month or week."""
    page, per_page = page_args()
    result = users.list_users(page, per_page, request.args.get("period", "all"))
    return out.users_page(result, actor())


@bp.get(f"/users/<{ID}:user_id>")
def get_user(user_id: int):
    """One user."""
    return out.user(users.get_user(user_id), actor())


@bp.get(f"/users/<{ID}:user_id>/reputation")
def list_reputation(user_id: int):
    """A user's reputation events, newest first."""
    page, per_page = page_args()
    user = users.get_user(user_id)
    return out.reputation_page(reputation.user_events(user.id, page, per_page))


@bp.post("/tokens")
def create_token():
    """Exchange a username (or email) and password for a bearer token."""
    body = json_body()
    login, password = require_text(body, "username", "password")
    raw, token = tokens.create_token(login, password, body.get("name"))
    return {"token": raw, **out.token(token)}, 201


@bp.get("/tokens")
def list_tokens():
    """The caller's live tokens (never their secrets), newest first."""
    return {"items": [out.token(t) for t in tokens.list_tokens(actor())]}


@bp.delete(f"/tokens/<{ID}:token_id>")
def revoke_token_by_id(token_id: int):
    """Revoke one of the caller's tokens."""
    tokens.revoke_token_by_id(actor(), token_id)
    return "", 204


@bp.delete("/tokens/current")
def revoke_token():
    """Revoke the bearer token this request carries."""
    tokens.revoke_token(g.get("api_token"))
    return "", 204
