"""Quota management for staff: an agreement's quotas, their utilisation and their requests."""

from flask import Blueprint

bp = Blueprint("quotas", __name__)

from blueprints.quotas import routes  # noqa: E402,F401
