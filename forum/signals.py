"""Signals the services send after a change commits (hook points for badges,
notifications and, later, e-mail). Receivers get ``sender=None`` and keywords."""

from blinker import Namespace

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
