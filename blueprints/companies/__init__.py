"""The companies list and each company's dossier."""

from flask import Blueprint

bp = Blueprint("companies", __name__)

from blueprints.companies import (  # noqa: E402,F401
    documents,
    handover,
    interactions,
    manage,
    people,
    routes,
    travel,
)
