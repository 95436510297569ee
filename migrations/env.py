"""Alembic environment for Flask-Migrate: the app's engine and metadata."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name is not None:
    # Keep loggers that exist already (the app's, pytest's) working.
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

target_db = current_app.extensions["migrate"].db


def get_engine():
    """The engine of the app's Flask-SQLAlchemy extension."""
    return target_db.engine


def configure_args() -> dict:
    """Options for the migration context.

    Flask-Migrate passes ``compare_type`` and ``render_as_batch`` (both true):
    batch operations copy the table on SQLite, which cannot ALTER most things,
    and are plain ALTER TABLE statements on PostgreSQL, so one script serves both.
    """
    return {
        "target_metadata": target_db.metadata,
        **current_app.extensions["migrate"].configure_args,
    }


def run_migrations_offline() -> None:
    """Emit SQL to stdout instead of running it (``flask db upgrade --sql``)."""
    url = get_engine().url.render_as_string(hide_password=False)
    context.configure(url=url, literal_binds=True, **configure_args())
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    """Run migrations on a connection of the app's engine."""

    def skip_empty(context_, revision, directives):
        # ``flask db migrate`` with no model changes writes no empty revision.
        if getattr(config.cmd_opts, "autogenerate", False):
            if directives[0].upgrade_ops.is_empty():
                directives[:] = []
                logger.info("No changes in schema detected.")

    with get_engine().connect() as connection:
        args = configure_args()
        args.setdefault("process_revision_directives", skip_empty)
        context.configure(connection=connection, **args)
        with context.begin_transaction():
            context.run_migrations()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
