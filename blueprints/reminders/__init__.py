"""Revisits and reminders: a manager's list, the branch view, call lists and the jobs page."""

from flask import Blueprint

bp = Blueprint("reminders", __name__)

from blueprints.reminders import routes  # noqa: E402,F401
