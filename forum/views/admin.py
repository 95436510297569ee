"""Staff-only pages: the serial-voting audit's findings, the synonyms list."""

from flask import Blueprint, current_app, flash, redirect, render_template, url_for

from forum.services import synonyms, vote_audit
from forum.views.forms import SynonymForm, form_page
from forum.views.helpers import page_arg, viewer

bp = Blueprint("admin", __name__)


@bp.get("/admin/vote-audit")
def vote_audit_page():
    """What ``votes audit`` reversed, newest first (404 for everyone but staff)."""
    page = vote_audit.findings_page(
        viewer(), page_arg(), current_app.config["VOTE_AUDIT_PER_PAGE"]
    )
    return render_template(
        "admin/vote_audit.html",
        page=page,
        window=current_app.config["SERIAL_VOTE_WINDOW_HOURS"],
        threshold=current_app.config["SERIAL_VOTE_THRESHOLD"],
    )


@bp.route("/admin/synonyms", methods=["GET", "POST"])
def synonyms_page():
    """The synonyms list and a form to add one (404 for everyone but staff)."""
    listed = synonyms.staff_list(viewer())
    form = SynonymForm()

    def save() -> str:
        synonyms.add_synonym(
            viewer(), form.term.data, form.replacement.data, form.two_way.data
        )
        return url_for("admin.synonyms_page")

    def page() -> str:
        return render_template("admin/synonyms.html", form=form, synonyms=listed)

    return form_page(form, page, save, "The synonym is added.")


@bp.post("/admin/synonyms/<int:synonym_id>/delete")
def delete_synonym(synonym_id: int):
    """Remove a synonym, back to the list (404 for everyone but staff)."""
    synonyms.staff_list(viewer())
    synonyms.delete_synonym(viewer(), synonym_id)
    flash("The synonym is deleted.", "success")
    return redirect(url_for("admin.synonyms_page"))
