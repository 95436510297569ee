"""Flask extensions, created once here and bound to the app in create_app()."""

import sqlite3
from typing import TYPE_CHECKING, ClassVar

from flask_compress import Compress
from flask_login import LoginManager
from flask_migrate import Migrate
from flask_sqlalchemy import SQLAlchemy
from flask_wtf.csrf import CSRFProtect
from sqlalchemy import Table, event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase


class Base(DeclarativeBase):
    """Declarative base shared by every model."""

    # Every model maps one plain table (DeclarativeBase types it as any FROM).
    __table__: ClassVar[Table]


db = SQLAlchemy(model_class=Base)

# Models subclass db.Model, which Flask-SQLAlchemy builds from Base at run time;
# type checkers cannot follow a class made that way, so they are shown Base.
if TYPE_CHECKING:
    Model = Base
else:
    Model = db.Model
migrate = Migrate()
login_manager = LoginManager()
csrf = CSRFProtect()
compress = Compress()


@event.listens_for(Engine, "connect")
def _sqlite_pragmas(dbapi_connection, connection_record) -> None:
    """SQLite: enforce foreign keys and let readers work beside one writer
    (WAL); how long a busy writer is awaited is SQLITE_BUSY_SECONDS."""
    if not isinstance(dbapi_connection, sqlite3.Connection):
        return
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys = ON")
    if cursor.execute("PRAGMA journal_mode").fetchone()[0] != "memory":
        cursor.execute("PRAGMA journal_mode = WAL")
        cursor.execute("PRAGMA synchronous = NORMAL")
    cursor.close()
