"""Import the endpoint modules so their routes attach to the ``api`` blueprint."""

from forum.views.api import badges, openapi, posts, questions, tags, users  # noqa: F401
