"""A minimal Flask app: the ceiling bench/http_load.py compares the forum with.

Served by gunicorn exactly like the forum (``hello_app:app``); one route
returning a short HTML page.
"""

from flask import Flask

app = Flask(__name__)
PAGE = (
    "<!doctype html><html><head><title>Hello</title></head>"
    "<body><p>Hello</p></body></html>"
)


@app.get("/")
def hello() -> str:
    """A short HTML string."""
    return PAGE
