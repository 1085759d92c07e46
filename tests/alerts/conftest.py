"""Fixtures for the early-warning tests: every test calls services directly."""

import pytest


@pytest.fixture(autouse=True)
def _services(ctx):
    """The request context of `ctx` (messages in English) for every test here."""
    yield
