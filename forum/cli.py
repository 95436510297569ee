"""``flask --app forum <command>``: users, demo content and maintenance."""

from flask import Flask


def register(app: Flask) -> None:
    """Attach the command groups to the app."""
