"""forum: a self-hosted support Q&A site. ``create_app`` builds the app."""

import logging
import os
import secrets
from pathlib import Path

from flask import Flask
from flask.json.provider import DefaultJSONProvider
from werkzeug.routing import IntegerConverter

from forum import cli, log_format, search
from forum.config import DefaultConfig
from forum.extensions import compress, csrf, db, login_manager, migrate
from forum.services import badges
from forum.services.sessions import load_session_user
from forum.views import (
    admin,
    api,
    auth,
    caching,
    errors,
    fragments,
    guards,
    headers,
    health,
    helpers,
    limits,
    posts,
    questions,
    tags,
    votes,
)
from forum.views import badges as badge_pages
from forum.views import help as help_pages
from forum.views import search as search_pages
from forum.views import users as user_pages
from forum.views.api import load_token_user

PROJECT_ROOT = Path(__file__).resolve().parent.parent


def create_app(
    test_config: dict | None = None, instance_path: str | None = None
) -> Flask:
    """Build the Flask app: configuration, extensions, blueprints, handlers."""
    app = Flask(
        __name__,
        instance_path=instance_path
        or os.environ.get("FORUM_INSTANCE_PATH")
        or str(PROJECT_ROOT / "instance"),
        instance_relative_config=True,
        template_folder=str(PROJECT_ROOT / "templates"),
        static_folder=str(PROJECT_ROOT / "static"),
    )
    register_config(app, test_config)
    log_format.register(app)
    register_json(app)
    register_extensions(app)
    register_blueprints(app)
    register_rate_limits(app)
    register_error_handlers(app)
    register_http_caching(app)
    register_headers(app)
    register_template_helpers(app)
    register_commands(app)
    register_search(app)
    return app


def register_config(app: Flask, test_config: dict | None) -> None:
    """Defaults, then instance/config.py, then FORUM_* variables, then overrides."""
    app.config.from_object(DefaultConfig)
    app.config.from_pyfile("config.py", silent=True)
    app.config.from_prefixed_env("FORUM")
    if test_config:
        app.config.from_mapping(test_config)
    Path(app.instance_path).mkdir(parents=True, exist_ok=True)
    if not app.config.get("DATABASE_URL"):
        db_path = Path(app.instance_path) / "forum.sqlite"
        app.config["DATABASE_URL"] = f"sqlite:///{db_path}"
    app.config["SQLALCHEMY_DATABASE_URI"] = app.config["DATABASE_URL"]
    if app.config["DATABASE_URL"].startswith("sqlite"):
        options = dict(app.config["SQLALCHEMY_ENGINE_OPTIONS"])
        # sqlite3's timeout is SQLite's busy timeout: how long a lock is awaited.
        connect = {**options.get("connect_args", {})}
        connect["timeout"] = app.config["SQLITE_BUSY_SECONDS"]
        app.config["SQLALCHEMY_ENGINE_OPTIONS"] = {**options, "connect_args": connect}
    if not app.config.get("SEARCH_INDEX_DIR"):
        app.config["SEARCH_INDEX_DIR"] = str(Path(app.instance_path) / "search-index")
    if not app.config.get("SEARCH_MODEL_DIR"):
        models = Path(app.instance_path) / "models"
        app.config["SEARCH_MODEL_DIR"] = str(models / "all-MiniLM-L6-v2")
    if not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = _instance_secret(Path(app.instance_path))


def _instance_secret(instance: Path) -> str:
    """Read instance/secret_key, creating it (mode 0600) on first start."""
    path = instance / "secret_key"
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    except FileExistsError:
        return path.read_text().strip()
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_hex(32))
    return path.read_text().strip()


def register_json(app: Flask) -> None:
    """JSON keys in the order the serializers build them (the API contract's)."""
    provider = DefaultJSONProvider(app)
    provider.sort_keys = False
    app.json = provider


def register_extensions(app: Flask) -> None:
    """Bind db, migrations, login and CSRF to the app; connect badge receivers."""
    db.init_app(app)
    migrate.init_app(app, db, directory=str(PROJECT_ROOT / "migrations"))
    csrf.init_app(app)
    login_manager.init_app(app)
    login_manager.login_view = "auth.login"
    login_manager.login_message = "Please log in to continue."
    login_manager.login_message_category = "info"
    # The session and "remember me" cookies carry a server-side sign-in's key.
    login_manager.id_attribute = "get_session_key"
    login_manager.user_loader(load_session_user)
    login_manager.request_loader(load_token_user)
    badges.connect()  # award badges right after the events that earn them


class IdConverter(IntegerConverter):
    """``<int:...>`` in every route: 1 to 2**31 - 1, the range of an Integer
    column, so an id no row can have is a 404 (SQLite raises past 2**63)."""

    def __init__(self, map, fixed_digits=0, min=1, max=2**31 - 1, signed=False):
        super().__init__(
            map, fixed_digits=fixed_digits, min=min, max=max, signed=signed
        )


def register_blueprints(app: Flask) -> None:
    """Pages and the JSON API; the int converter bounded before any rule."""
    app.url_map.converters["int"] = IdConverter
    pages = (
        auth,
        questions,
        posts,
        tags,
        user_pages,
        badge_pages,
        votes,
        help_pages,
        search_pages,
        admin,
        health,
    )
    for module in pages:
        app.register_blueprint(module.bp)
    app.register_blueprint(api.bp, url_prefix="/api/v1")


def register_rate_limits(app: Flask) -> None:
    """Flask-Limiter's counts on the routes that write or cost (RATE_LIMITS)."""
    limits.register(app)


def register_http_caching(app: Flask) -> None:
    """ETags and 304 responses for anonymous pages; versioned static URLs
    cached for a year; static files and JSON compressed."""
    app.after_request(caching.conditional_get)
    app.url_defaults(caching.version_static_urls)
    app.after_request(caching.cache_static)
    compress.init_app(app)
    app.after_request(caching.buffer_static)  # runs before the compressor


def register_headers(app: Flask) -> None:
    """Security headers, proxy trust and Secure cookies over HTTPS."""
    headers.register(app)


def register_error_handlers(app: Flask) -> None:
    """Map service errors and HTTP errors to pages or JSON once."""
    errors.register(app)
    guards.register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals used by the templates."""
    helpers.register(app)
    fragments.register(app)


def register_search(app: Flask) -> None:
    """Index after commits; have a missing or corrupt index rebuilt on start,
    without making the start wait for it (but in "sync" mode: tests)."""
    search.init_app(app)
    if not app.config["SEARCH_CHECK_ON_START"]:
        return
    with app.app_context():
        # Before the first migration there are no tables to index yet.
        if not search.tables_ready():
            return
        mode = app.config["SEARCH_INDEXING"]
        if mode == "sync":
            search.ensure_index()
        elif not search.indexer.index_ready():
            # The index thread's first drain builds it ("thread"), or the
            # indexer process does ("manual"); searches answer 503 meanwhile.
            logging.getLogger("forum.search").warning(
                "the search index is missing or unreadable: it is being rebuilt "
                "by the %s; searches answer 503 until then",
                "index thread" if mode == "thread" else "indexer (search sync)",
            )
            background = app.extensions.get("forum_search_indexer")
            if background is not None:
                background.start()


def register_commands(app: Flask) -> None:
    """``flask --app forum ...`` commands."""
    cli.register(app)
