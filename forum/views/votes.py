"""Pages: voting on posts and accepting answers with plain forms.

Without JavaScript these forms post here and come back to the question page
(a refusal is the 403/422 error page with the service's message);
static/js/forum.js sends votes to the JSON API instead and updates in place.
"""

import re

from flask import Blueprint, flash, redirect, request

from forum.services import questions, voting
from forum.services.permissions import question_of
from forum.views.helpers import login_first, viewer
from forum.views.posts import post_url
from forum.views.questions import question_url

bp = Blueprint("votes", __name__)

# Form values as the vote buttons send them; anything else goes to the service
# as it came, which refuses it with a message.
VOTE_VALUES = {"1": 1, "-1": -1, "0": 0}
VOTE_DONE = {"1": "Upvoted.", "-1": "Downvoted.", "0": "Your vote was withdrawn."}
ID_RE = re.compile(r"[0-9]{1,10}")


@bp.post("/posts/<int:post_id>/vote")
def vote(post_id: int):
    """Vote up (1), down (-1) or withdraw (0), then back to the post."""
    actor = viewer()
    post = questions.get_post(post_id, actor)
    if actor is None:
        return login_first(question_url(question_of(post)))
    raw = request.form.get("value", "")
    key = raw.strip()
    # A refusal (no privilege, own post, bad value) propagates to the error
    # page: 403/422 with the service's message, and nothing is written.
    voting.cast_vote(actor, post, VOTE_VALUES.get(key, raw))
    flash(VOTE_DONE[key], "success")
    return redirect(post_url(post))


@bp.post("/questions/<int:question_id>/accept")
def accept(question_id: int):
    """Accept the answer ``answer_id`` (empty: un-accept), then back to it."""
    actor = viewer()
    question = questions.get_question(question_id, actor)
    if actor is None:
        return login_first(question_url(question))
    raw = request.form.get("answer_id", "").strip()
    answer_id = int(raw) if ID_RE.fullmatch(raw) else (raw or None)
    result = voting.accept_answer_id(actor, question, answer_id)
    if result.accepted_answer_id is None:
        flash("No answer is accepted now.", "info")
        return redirect(question_url(question))
    flash("The answer is accepted as the solution.", "success")
    return redirect(question_url(question, _anchor=f"answer-{answer_id}"))
