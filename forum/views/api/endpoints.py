"""Import the endpoint modules so their routes attach to the ``api`` blueprint."""

from forum.views.api import openapi, posts, questions, tags, users  # noqa: F401
