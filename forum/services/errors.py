"""Errors raised by services; views map each one to a status code once."""


class ServiceError(Exception):
    """Base class: ``status`` and a snake_case ``code`` for the JSON shape."""

    status = 400
    code = "bad_request"

    def __init__(self, message: str, fields: dict[str, str] | None = None):
        super().__init__(message)
        self.message = message
        self.fields = fields or {}


class NotFound(ServiceError):
    """The thing does not exist, or the caller may not see it."""

    status = 404
    code = "not_found"


class AuthenticationRequired(ServiceError):
    """The action needs a signed-in user (or valid API credentials)."""

    status = 401
    code = "authentication_required"


class PermissionDenied(ServiceError):
    """The user is known but may not do this; ``privilege`` names what is missing."""

    status = 403
    code = "forbidden"

    def __init__(self, message: str, privilege: str | None = None):
        super().__init__(message)
        self.privilege = privilege


class ValidationError(ServiceError):
    """Valid request, invalid values: ``fields`` maps field name to what to fix."""

    status = 422
    code = "validation_failed"

    def __init__(self, fields: dict[str, str], message: str | None = None):
        super().__init__(message or "Please correct the highlighted fields.", fields)


class Conflict(ServiceError):
    """The values clash with existing data (a taken username, say)."""

    status = 409
    code = "conflict"

    def __init__(self, field: str, message: str):
        super().__init__(message, {field: message})


class BadRequest(ServiceError):
    """Malformed parameters (an unknown sort, a page out of range)."""

    status = 400
    code = "bad_request"


class ServiceUnavailable(ServiceError):
    """The database cannot take the request now (unreachable, or busy for
    longer than a request may wait): try again shortly."""

    status = 503
    code = "service_unavailable"


class SearchUnavailable(ServiceUnavailable):
    """The search index cannot answer (found damaged, being rebuilt): the
    rest of the site works; search again shortly."""

    code = "search_unavailable"
