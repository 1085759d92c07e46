"""Fixtures for the dossier tests: services in an app context, pages read in English."""

import pytest
from flask_babel import force_locale

from portal.companies import secrets


def id_card(first17: str = "11010519491231002") -> str:
    """A valid resident identity card number (GB 11643 check character)."""
    return first17 + secrets.id_card_check(first17)


@pytest.fixture()
def ctx(app, db_session):
    """An app context for calling services directly, with messages in English."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture()
def login(login, client):
    """Sign in, then read the pages in English (the messages these tests look for)."""

    def _login(user):
        response = login(user)
        client.get("/lang/en")
        return response

    return _login
