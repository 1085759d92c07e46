"""Scoring configuration pages."""

from blueprints.scoring import bp  # noqa: F401
