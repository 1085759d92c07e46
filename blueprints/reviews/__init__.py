"""Reviews: the list of generated account and portfolio review PDFs, generation, download."""

from flask import Blueprint

bp = Blueprint("reviews", __name__)

from blueprints.reviews import routes  # noqa: E402,F401
