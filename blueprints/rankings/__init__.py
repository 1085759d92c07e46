"""Value ranking of the companies and the portfolio overview."""

from flask import Blueprint

bp = Blueprint("rankings", __name__)

from blueprints.rankings import routes  # noqa: E402,F401
