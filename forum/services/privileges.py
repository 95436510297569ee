"""Privileges earned by reputation; staff have them all."""

from flask import current_app

from forum.models import User
from forum.services.errors import AuthenticationRequired, PermissionDenied

LABELS = {
    "ask": "Ask questions",
    "answer": "Answer questions",
    "comment_own": "Comment on your posts and on answers to your questions",
    "vote_up": "Vote up",
    "flag": "Flag posts",
    "comment": "Comment everywhere",
    "vote_down": "Vote down",
    "retag": "Retag questions",
    "view_vote_counts": "See up and down vote counts",
    "edit": "Edit any question or answer",
    "close": "Vote to close and reopen questions",
}


def threshold(name: str) -> int:
    """The reputation a privilege needs (from config)."""
    return current_app.config["PRIVILEGES"][name]


def has_privilege(user: User | None, name: str) -> bool:
    """Whether ``user`` holds the privilege: staff always, others by reputation."""
    if user is None:
        return False
    return user.is_staff or user.reputation >= threshold(name)


def require(user: User | None, name: str) -> None:
    """Raise unless ``user`` holds the privilege; the message names what it needs.

    Raises AuthenticationRequired (no user) or PermissionDenied (403).
    """
    if user is None:
        raise AuthenticationRequired("Log in first.")
    if not has_privilege(user, name):
        raise PermissionDenied(
            f"{LABELS[name]} requires {threshold(name)} reputation; "
            f"you have {user.reputation}.",
            privilege=name,
        )


def ladder(user: User | None) -> list[dict]:
    """Every privilege with its threshold and whether/how far ``user`` is."""
    rows = []
    for name, needed in sorted(
        current_app.config["PRIVILEGES"].items(), key=lambda item: item[1]
    ):
        rep = user.reputation if user else 0
        rows.append(
            {
                "name": name,
                "label": LABELS.get(name, name),
                "reputation": needed,
                "earned": has_privilege(user, name),
                "missing": max(0, needed - rep),
                "progress": min(100, int(100 * rep / needed)) if needed else 100,
            }
        )
    return rows


def rank_for(reputation: int) -> str:
    """The name of the rank a reputation reaches on the configured ladder."""
    name = ""
    for minimum, rank in current_app.config["RANKS"]:
        if reputation >= minimum:
            name = rank
    return name or current_app.config["RANKS"][0][1]


def ranks() -> list[tuple[int, str]]:
    """The configured rank ladder: (minimum reputation, name), lowest first."""
    return [(minimum, name) for minimum, name in current_app.config["RANKS"]]
