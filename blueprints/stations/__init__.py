"""Station staff: their station's VIP service notices of today and tomorrow, services done."""

from flask import Blueprint

bp = Blueprint("stations", __name__)

from blueprints.stations import routes  # noqa: E402,F401
