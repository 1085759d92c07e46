"""The companies list and each company's dossier."""

from flask import Blueprint

bp = Blueprint("companies", __name__)

from blueprints.companies import documents, handover, interactions, people, routes, travel  # noqa: E402,F401
