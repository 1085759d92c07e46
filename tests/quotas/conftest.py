"""Fixtures for the quota tests: pages read in English; a counting stand-in for the statement
PDF's renderer."""

import pytest

from portal.selfservice import statement
from tests.reviews.helpers import CountingRenderer


@pytest.fixture()
def pages_in_english():
    """These tests read the pages in English."""
    return True


@pytest.fixture()
def renderer(monkeypatch):
    """The booker's statement PDF renders with a stand-in that counts the renders."""
    counting = CountingRenderer()
    monkeypatch.setattr(statement, "render_statement_pdf", counting)
    return counting
