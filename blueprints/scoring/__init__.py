"""Scoring configuration: weights, tier shares and activity limits."""

from flask import Blueprint

bp = Blueprint("scoring", __name__)

from blueprints.scoring import routes  # noqa: E402,F401
