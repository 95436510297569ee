"""HTTP caching: conditional GET for anonymous pages (an ETag, and 304 when
it matches), and static files under versioned URLs cached for a year."""

import hashlib
from pathlib import Path

from flask import current_app, request
from flask_login import current_user

# A versioned static URL names one content for good: browsers keep it a year.
STATIC_MAX_AGE = 365 * 24 * 3600
_versions: dict[tuple[str, float], str] = {}


def conditional_get(response):
    """Give an anonymous page an ETag (a hash of its HTML) and answer 304 Not
    Modified when the browser already holds it. The page is still rendered:
    this saves the transfer, not the work. ``no-cache`` makes browsers ask
    every time, so a new answer shows at once."""
    if (
        request.method in ("GET", "HEAD")
        and response.status_code == 200
        and response.mimetype == "text/html"
        and not response.direct_passthrough
        and not current_user.is_authenticated
    ):
        response.add_etag()
        response.headers.setdefault("Cache-Control", "no-cache")
        response.make_conditional(request)
    return response


def _version(filename: str) -> str | None:
    """A short hash of a static file's content (None if there is none),
    kept per file and modification time."""
    folder = current_app.static_folder
    if folder is None:
        return None
    path = Path(folder) / filename
    try:
        path.resolve().relative_to(Path(folder).resolve())
        key = (str(path), path.stat().st_mtime)
    except (OSError, ValueError):
        return None
    if key not in _versions:
        _versions[key] = hashlib.sha256(path.read_bytes()).hexdigest()[:12]
    return _versions[key]


def version_static_urls(endpoint: str, values: dict) -> None:
    """``url_for('static', filename=...)`` gains ``?v=<content hash>``: a
    changed file gets a new URL, so the old one may be cached for good."""
    if endpoint == "static" and "filename" in values and "v" not in values:
        version = _version(values["filename"])
        if version is not None:
            values["v"] = version


def cache_static(response):
    """A static file asked for by its current version is cached for a year
    (``immutable``); any other static URL is revalidated each time."""
    if request.endpoint != "static" or response.status_code not in (200, 304):
        return response
    filename = (request.view_args or {}).get("filename", "")
    version = request.args.get("v")
    if version is not None and version == _version(filename):
        response.headers["Cache-Control"] = (
            f"public, max-age={STATIC_MAX_AGE}, immutable"
        )
    else:
        response.headers["Cache-Control"] = "no-cache"
    return response


def buffer_static(response):
    """Read a static file into the response before it is compressed: the
    compressor would replace a streamed file without closing it (the file
    is closed with the response instead). Static files are a few KB."""
    if request.endpoint == "static" and response.is_streamed:
        response.direct_passthrough = False
        response.make_sequence()
    return response
