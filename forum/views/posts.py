"""Pages: posts."""

from flask import Blueprint

bp = Blueprint("posts", __name__)
