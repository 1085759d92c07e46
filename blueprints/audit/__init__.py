"""The audit viewer: the whole trail searched, read and exported (admins and management)."""

from flask import Blueprint

bp = Blueprint("audit", __name__)

from blueprints.audit import routes  # noqa: E402,F401
