"""One place that turns errors into pages or, under /api, into JSON."""

from flask import (
    Flask,
    current_app,
    has_request_context,
    jsonify,
    render_template,
    request,
)
from flask_wtf.csrf import CSRFError
from sqlalchemy import event
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session
from werkzeug.exceptions import HTTPException, InternalServerError

from forum.extensions import db
from forum.services.errors import (
    SearchUnavailable,
    ServiceError,
    ServiceUnavailable,
    ValidationError,
)
from forum.views.helpers import size_text

API_PREFIX = "/api/"
COMMITTED = "forum.committed"

HTTP_CODES = {
    400: "bad_request",
    401: "authentication_required",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    415: "unsupported_media_type",
    422: "validation_failed",
    429: "rate_limited",
    500: "internal_error",
    503: "service_unavailable",
}
# What says the database cannot serve now: unreachable, a dropped connection,
# a lock held too long, no free connection in the pool.
DATABASE_DOWN = (sa_exc.OperationalError, sa_exc.InterfaceError, sa_exc.TimeoutError)


def wants_json() -> bool:
    """Whether this request is an API request (errors answer in JSON)."""
    return request.path.startswith(API_PREFIX)


def json_error(status: int, message: str, code: str | None = None, fields=None):
    """Build the API's error response shape."""
    body = {
        "error": {"code": code or HTTP_CODES.get(status, "error"), "message": message}
    }
    if fields:
        body["error"]["fields"] = fields
    response = jsonify(body)
    response.status_code = status
    return response


def error_page(
    status: int,
    title: str,
    message: str,
    privilege: str | None = None,
    kept: list[tuple[str, str]] | None = None,
):
    """Render the HTML error page (a missing privilege links to its help;
    ``kept`` is the text of a refused form, shown back to copy)."""
    page = render_template(
        "errors/error.html",
        status=status,
        title=title,
        message=message,
        privilege=privilege,
        kept=kept or [],
    )
    return page, status


def handle_service_error(error: ServiceError):
    """Service errors: JSON under /api, otherwise an error page."""
    if isinstance(error, SearchUnavailable):
        # The database works: the usual page, and when to try again.
        db.session.rollback()
        if wants_json():
            response = json_error(503, error.message, error.code)
        else:
            response = current_app.make_response(
                error_page(503, "Search unavailable", error.message)
            )
        response.headers["Retry-After"] = str(
            current_app.config["UNAVAILABLE_RETRY_AFTER"]
        )
        return response
    if isinstance(error, ServiceUnavailable):
        current_app.logger.warning("Database unavailable: %s", error.message)
        return unavailable(error.message)
    db.session.rollback()
    if wants_json():
        return json_error(error.status, error.message, error.code, error.fields)
    titles = {
        401: "Log in required",
        403: "Not allowed",
        404: "Not found",
        409: "Conflict",
        422: "Invalid input",
    }
    return error_page(
        error.status,
        titles.get(error.status, "Bad request"),
        # A 422's fields say what to fix; other errors' fields echo the input.
        " ".join(error.fields.values())
        if isinstance(error, ValidationError) and error.fields
        else error.message,
        getattr(error, "privilege", None),
    )


def handle_csrf_error(error: CSRFError):
    """A missing or wrong CSRF token."""
    message = (
        "The form's security token is missing or has expired. "
        "Reload the page and try again."
    )
    if wants_json():
        return json_error(400, f"CSRF check failed: {error.description}", "csrf_failed")
    return error_page(400, "Security check failed", message)


def handle_http_error(error: HTTPException):
    """Werkzeug's HTTP errors (404 routes, 405, 413 bodies, 400 bad JSON)."""
    status = error.code or 500
    if status == 413:
        most = size_text(current_app.config["MAX_CONTENT_LENGTH"])
        message = f"The request is too large: at most {most} may be sent."
    else:
        message = error.description or error.name
    if wants_json():
        response = json_error(status, message)
        # Keep headers such as Allow (405) and Retry-After (429).
        for name, value in error.get_headers():
            if name.lower() != "content-type":
                response.headers[name] = value
        return response
    return error_page(status, error.name, message)


@event.listens_for(Session, "after_commit")
def _remember_commit(session: Session) -> None:
    """Note that this request saved something: its error page must not say
    that nothing was."""
    if has_request_context() and not session.in_nested_transaction():
        request.environ[COMMITTED] = True  # per request, not per app context


def handle_internal_error(error: Exception):
    """Anything unexpected: roll back and answer 500 without details;
    "nothing was saved" only when this request committed nothing."""
    # Flask has logged the traceback (Flask.log_exception): once is enough.
    db.session.rollback()
    if _saved():
        message = (
            "Something went wrong on our side after your change was saved. "
            "Reload the page to see it."
        )
    else:
        message = "Something went wrong on our side. Nothing you sent was saved."
    if wants_json():
        return json_error(500, message)
    return error_page(500, "Server error", message)


def _saved() -> bool:
    """Whether this request committed something (see ``_remember_commit``)."""
    return has_request_context() and bool(request.environ.get(COMMITTED))


def handle_database_down(error: Exception):
    """The database is unreachable or busy: 503, logged in one line."""
    current_app.logger.warning("Database unavailable: %s", error)
    if _saved():
        return unavailable(
            "The database stopped answering after your change was saved. "
            "Reload the page in a moment to see it."
        )
    return unavailable(
        "The database is unavailable for a moment. Nothing you sent was saved; "
        "try again shortly."
    )


def unavailable(message: str):
    """503 with Retry-After: the API's error shape, or a page rendered
    without the database (no signed-in user, no navigation that reads it)."""
    try:
        db.session.rollback()
    except sa_exc.SQLAlchemyError:
        db.session.remove()  # the connection is gone: start afresh next time
    seconds = current_app.config["UNAVAILABLE_RETRY_AFTER"]
    if wants_json():
        response = json_error(503, message)
    else:
        # Straight from the template: context processors (Flask-Login's
        # current_user) would read the database.
        page = current_app.jinja_env.get_template("errors/unavailable.html")
        response = current_app.make_response((page.render(message=message), 503))
    response.headers["Retry-After"] = str(seconds)
    return response


def register(app: Flask) -> None:
    """Install the handlers on the app."""
    for error in DATABASE_DOWN:
        app.register_error_handler(error, handle_database_down)
    app.register_error_handler(ServiceError, handle_service_error)
    app.register_error_handler(CSRFError, handle_csrf_error)
    app.register_error_handler(HTTPException, handle_http_error)
    app.register_error_handler(InternalServerError, handle_internal_error)
