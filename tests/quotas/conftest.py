"""Fixtures for the quota tests: services called in English, pages read in English."""

import pytest
from flask_babel import force_locale


@pytest.fixture()
def ctx(app, db_session):
    """An app context for calling services directly, with messages in English."""
    with app.app_context(), force_locale("en"):
        yield


@pytest.fixture()
def login(login, client):
    """Sign in, then read the pages in English (the messages these tests look for)."""

    def _login(user):
        response = login(user)
        client.get("/lang/en")
        return response

    return _login
