"""Corporate agreements: list, terms, approval, documents and attainment."""

from flask import Blueprint

bp = Blueprint("agreements", __name__)

from blueprints.agreements import routes  # noqa: E402,F401
