"""Signals the services send after a change commits (hook points for badges,
notifications and, later, e-mail). Receivers get ``sender=None`` and keywords."""

from blinker import NamedSignal, Namespace
from flask import current_app

from forum.extensions import db

_signals = Namespace()

question_asked = _signals.signal("question-asked")  # question
answer_posted = _signals.signal("answer-posted")  # answer
comment_added = _signals.signal("comment-added")  # comment
post_edited = _signals.signal("post-edited")  # post, editor
# post_id, post_type, owner_id, voter_id, value, score (the post's, after it)
vote_cast = _signals.signal("vote-cast")
answer_accepted = _signals.signal("answer-accepted")  # question, answer, actor
question_viewed = _signals.signal("question-viewed")  # question
# Sent by the badge service once per new award (a hook for notifications).
badge_awarded = _signals.signal("badge-awarded")  # award, backfill


def send(signal: NamedSignal, **kwargs: object) -> None:
    """Tell ``signal``'s receivers (``sender=None``) about a change that has
    committed. What they do is extra: a receiver that fails is logged and its
    work rolled back, never raised, so it cannot turn a saved write into an
    error page (the next receivers still run)."""
    for receiver in signal.receivers_for(None):
        try:
            receiver(None, **kwargs)
        except Exception:
            db.session.rollback()
            name = getattr(receiver, "__qualname__", repr(receiver))
            current_app.logger.exception("After %s: %s failed", signal.name, name)
