"""The public satisfaction survey page a contact opens from the mailed link (no sign-in)."""

from flask import Blueprint

bp = Blueprint("surveys", __name__)

from blueprints.surveys import routes  # noqa: E402,F401
