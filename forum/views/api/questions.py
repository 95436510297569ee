"""API: questions, their answers and the accepted answer."""

from flask import request, url_for

from forum.services import answers, questions, voting
from forum.views.api import ID, bp
from forum.views.api import serializers as out
from forum.views.api.parsing import actor, json_body, page_args, require_key
from forum.views.helpers import bool_arg


@bp.get("/questions")
def list_questions():
    """Questions: ``sort``, repeatable ``tag`` (all must match), ``solved``."""
    page, per_page = page_args()
    result = questions.list_questions(
        sort=request.args.get("sort", "newest"),
        tags=request.args.getlist("tag"),
        solved=bool_arg("solved"),
        page=page,
        per_page=per_page,
    )
    return out.questions_page(result, actor())


@bp.post("/questions")
def create_question():
    """Ask a question: 201 with the question and its Location."""
    body = json_body()
    question = questions.ask_question(
        actor(), body.get("title"), body.get("body"), body.get("tags")
    )
    location = url_for("api.get_question", question_id=question.id)
    return out.one_question(question, actor()), 201, {"Location": location}


@bp.get(f"/questions/<{ID}:question_id>")
def get_question(question_id: int):
    """A question with its answers and comments (API reads count no views)."""
    user = actor()
    return out.question_detail(questions.get_question(question_id, user), user)


@bp.post(f"/questions/<{ID}:question_id>/answers")
def create_answer(question_id: int):
    """Answer a question: 201 with the answer."""
    user = actor()
    question = questions.get_question(question_id, user)
    answer = answers.post_answer(user, question, json_body().get("body"))
    return out.one_answer(answer, user), 201


@bp.put(f"/questions/<{ID}:question_id>/accepted-answer")
def set_accepted_answer(question_id: int):
    """Accept an answer (``answer_id``) or un-accept (null): the question."""
    user = actor()
    question = questions.get_question(question_id, user)
    answer_id = require_key(json_body(), "answer_id", "an answer id, or null")
    return out.one_question(voting.accept_answer_id(user, question, answer_id), user)
