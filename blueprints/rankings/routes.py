"""Ranking and portfolio pages."""

from blueprints.rankings import bp  # noqa: F401
