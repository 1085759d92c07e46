"""Fixtures for the station tests: services in an app context (English), an SMTP server."""

import pytest
from flask_babel import force_locale

from tests.reminders.conftest import smtp  # noqa: F401 (a fixture these tests share)


@pytest.fixture()
def ctx(app, db_session):
    """An app context for calling services directly, with messages in English."""
    with app.test_request_context(), force_locale("en"):
        yield
