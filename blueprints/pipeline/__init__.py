"""The sales pipeline: opportunities on a board and in a list, the forecast, prospects."""

from flask import Blueprint

bp = Blueprint("pipeline", __name__)

from blueprints.pipeline import routes  # noqa: E402,F401
