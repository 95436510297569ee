"""Import the endpoint modules so their routes attach to the ``api`` blueprint."""

from forum.views.api import (  # noqa: F401
    badges,
    openapi,
    posts,
    questions,
    search,
    synonyms,
    tags,
    users,
)
