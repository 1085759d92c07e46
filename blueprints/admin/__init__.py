"""Administration: user accounts, imports, company merges, API clients, background tasks."""

from flask import Blueprint

bp = Blueprint("admin", __name__)

from blueprints.admin import api_clients, imports, leaving, routes, stations, tasks  # noqa: E402,F401
