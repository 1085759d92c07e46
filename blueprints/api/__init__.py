"""The JSON API /api/v1 (flask-smorest): the same services as the pages, another edge."""

from flask import Blueprint as FlaskBlueprint
from flask_smorest import Blueprint

bp = Blueprint(
    "api",
    __name__,
    url_prefix="/api/v1",
    description="Companies, scores, agreements, quotas, priority requests, interactions, segments.",
)
docs_bp = FlaskBlueprint("api_docs", __name__, url_prefix="/api/v1")

from blueprints.api import docs, resources  # noqa: E402,F401  (routes register on import)
