"""Fixtures for the company tests: the dossier tests' (services in an app context, pages read
in English)."""

from tests.dossier.conftest import ctx, login  # noqa: F401
