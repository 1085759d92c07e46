"""Fixtures for the import tests: services called in an app context with English messages."""

import pytest
from flask_babel import force_locale


@pytest.fixture()
def ctx(app, db_session):
    """An app context with messages in English (the tests read them)."""
    with app.app_context(), force_locale("en"):
        yield


@pytest.fixture()
def login(login, client):
    """Sign in, then read the pages in English."""

    def _login(user):
        response = login(user)
        client.get("/lang/en")
        return response

    return _login


@pytest.fixture()
def world(world, db_session):
    """The small world, committed (inside the test's outer transaction): an import's rollback
    (a dry run, a failure) then ends only the import's own work, as in production."""
    db_session.commit()
    return world
