"""The corporate travel booker's self-service pages (/self/)."""

from flask import Blueprint

bp = Blueprint("selfservice", __name__)

from blueprints.selfservice import records, requests, routes, travellers  # noqa: E402,F401
