"""Fixtures for the early-warning tests: services in an app context."""

import pytest
from flask_babel import force_locale


@pytest.fixture(autouse=True)
def ctx(app, db_session):
    """An app context for calling services directly, with messages in English."""
    with app.test_request_context(), force_locale("en"):
        yield
