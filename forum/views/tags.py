"""Pages: tags."""

from flask import Blueprint

bp = Blueprint("tags", __name__)
