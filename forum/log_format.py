"""Where the forum's log lines go and how they look: plain text, or one JSON
object a line (``LOG_FORMAT = "json"``) for log collectors."""

import logging
import sys

from flask import Flask
from flask.logging import default_handler
from pythonjsonlogger.json import JsonFormatter

FORMATS = ("text", "json")
TEXT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class _Handler(logging.StreamHandler):
    """The forum's one handler: standard error as it is when a line is
    written (a server or a test may have replaced it since)."""

    def emit(self, record: logging.LogRecord) -> None:
        self.stream = sys.stderr
        super().emit(record)


def register(app: Flask) -> None:
    """Send the ``forum`` loggers' lines (the app's, search's...) to standard
    error in LOG_FORMAT at LOG_LEVEL, through one handler per process."""
    style = app.config["LOG_FORMAT"]
    if style not in FORMATS:
        raise ValueError(f"LOG_FORMAT must be one of {FORMATS}, not {style!r}")
    logger = logging.getLogger("forum")
    handler = next((h for h in logger.handlers if isinstance(h, _Handler)), None)
    if handler is None:
        handler = _Handler()
        logger.addHandler(handler)
    if style == "json":
        handler.setFormatter(
            JsonFormatter(
                "{asctime}{levelname}{name}{message}",
                style="{",
                rename_fields={
                    "asctime": "time",
                    "levelname": "level",
                    "name": "logger",
                },
            )
        )
    else:
        handler.setFormatter(logging.Formatter(TEXT))
    logger.setLevel(app.config["LOG_LEVEL"])
    app.logger.removeHandler(default_handler)  # ours prints each line once
