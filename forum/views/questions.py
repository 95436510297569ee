"""Pages: question lists, asking, a question with its answers and comments."""

from functools import partial

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_login import login_required

from forum import search
from forum.models import Answer, Question
from forum.services import answers, comments, links, questions, voting
from forum.services.errors import SearchUnavailable, ValidationError
from forum.views.errors import json_error
from forum.views.forms import (
    AnswerForm,
    AskForm,
    CommentForm,
    apply_errors,
    form_page,
)
from forum.views.helpers import bool_arg, login_first, page_arg, viewer

bp = Blueprint("questions", __name__)


def question_url(question: Question, **kwargs) -> str:
    """The canonical URL of a question (id plus slug of the title)."""
    return url_for(
        "questions.detail", question_id=question.id, slug=question.slug, **kwargs
    )


def render_list(sort: str, tag: str | None = None):
    """Render one page of a question list (all questions or one tag's)."""
    page = questions.list_questions(
        sort=sort,
        tags=[tag] if tag else None,
        solved=bool_arg("solved"),
        page=page_arg(),
        per_page=current_app.config["QUESTIONS_PER_PAGE"],
    )
    # The filter tabs compare and link with the value as given (checked above).
    solved = request.args.get("solved")
    return render_template(
        "questions/list.html", page=page, sort=sort, tag=tag, solved=solved
    )


# "/" is registered first (decorators apply bottom-up), so url_for builds it.
@bp.get("/questions")
@bp.get("/")
def index():
    """All live questions, by tab (newest, active, votes, unanswered)."""
    return render_list(request.args.get("sort", "newest"))


@bp.get("/questions/tagged/<tag>")
def tagged(tag: str):
    """Live questions carrying one tag, with the same tabs."""
    return render_list(request.args.get("sort", "newest"), tag.lower())


@bp.route("/questions/ask", methods=["GET", "POST"])
@login_required
def ask():
    """Ask a question; on success go to its page."""
    form = AskForm()

    def save() -> str:
        question = questions.ask_question(
            viewer(), form.title.data, form.body.data, form.tags.data
        )
        return question_url(question)

    page = partial(render_template, "questions/ask.html", form=form)
    return form_page(form, page, save, "Your question is posted.")


@bp.post("/preview")
def preview():
    """Render a Markdown draft for the live preview: JSON ``{"html": ...}``."""
    if request.is_json:
        data = request.get_json(silent=True)
        if not isinstance(data, dict):
            return json_error(400, 'Send a JSON object like {"body": "..."}.')
    else:
        data = request.form
    try:
        html = questions.preview_markdown(data.get("body", ""))
    except ValidationError as error:
        return json_error(error.status, error.message, error.code, error.fields)
    return jsonify({"html": html})


def render_detail(
    question: Question,
    answer_form: AnswerForm | None = None,
    comment_form: CommentForm | None = None,
    comment_post_id: int | None = None,
):
    """Render a question page; forms with errors are passed back to be re-shown."""
    if answer_form is None and viewer() is not None:
        # Visitors get no form: building one would start a session for its token.
        answer_form = AnswerForm(formdata=None)
    thread_answers, thread_comments = questions.thread(question, viewer())
    post_ids = [question.id] + [answer.id for answer in thread_answers]
    return render_template(
        "questions/detail.html",
        question=question,
        answers=thread_answers,
        comments=thread_comments,
        votes=voting.vote_state(viewer(), post_ids),
        answer_form=answer_form,
        comment_form=comment_form,
        comment_post_id=comment_post_id,
        related=_related(question, thread_answers),
        linked=links.linked_questions(question, viewer()),
    )


def _related(question, answers) -> list:
    """The related box's questions; none while search is unavailable (the
    page renders without the box)."""
    try:
        return search.related(question, limit=5, answers=answers)
    except SearchUnavailable:
        return []


@bp.get("/questions/<int:question_id>")
@bp.get("/questions/<int:question_id>/<slug>")
def detail(question_id: int, slug: str | None = None):
    """A question with its answers and comments; other slugs redirect (301)."""
    question = questions.get_question(question_id, viewer())
    if slug != question.slug:
        target = question_url(question)
        if request.query_string:
            target += "?" + request.query_string.decode("utf-8", "replace")
        return redirect(target, 301)
    # Behind a proxy, remote_addr is the client's once PROXY_FIX trusts it.
    key = questions.viewer_key(viewer(), request.remote_addr)
    questions.record_view(question, key)  # the one documented write in a GET
    return render_detail(question)


@bp.get("/questions/source/<site>/<int:source_id>")
def from_source(site: str, source_id: int):
    """An imported post by its id on the site it came from (301 to its page)."""
    post = links.imported_post(site, source_id, viewer())
    if isinstance(post, Answer):
        return redirect(question_url(post.question, _anchor=f"answer-{post.id}"), 301)
    return redirect(question_url(post), 301)


@bp.post("/questions/<int:question_id>/answers")
def answer(question_id: int):
    """Post an answer, then show it on the question page."""
    question = questions.get_question(question_id, viewer())
    if viewer() is None:
        return login_first(question_url(question))
    form = AnswerForm()
    try:
        new = answers.post_answer(viewer(), question, form.body.data)
    except ValidationError as error:
        apply_errors(form, error.fields)
        return render_detail(question, answer_form=form), error.status
    flash("Your answer is posted.", "success")
    return redirect(question_url(question, _anchor=f"answer-{new.id}"))


@bp.post("/posts/<int:post_id>/comments")
def comment(post_id: int):
    """Comment on a question or an answer, then show it on the question page."""
    post = questions.get_post(post_id, viewer())
    question = post.question if isinstance(post, Answer) else post
    if viewer() is None:
        return login_first(question_url(question))
    form = CommentForm()
    try:
        new = comments.add_comment(viewer(), post, form.body.data)
    except ValidationError as error:
        apply_errors(form, error.fields)
        page = render_detail(question, comment_form=form, comment_post_id=post.id)
        return page, error.status
    flash("Your comment is posted.", "success")
    return redirect(question_url(question, _anchor=f"comment-{new.id}"))
