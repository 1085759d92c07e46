"""Administration: user accounts, imports, company merges."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from blueprints.admin import imports, leaving, routes  # noqa: E402,F401
