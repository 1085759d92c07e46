"""Fixtures for the import tests: pages read in English; the small world committed."""

import pytest


@pytest.fixture()
def pages_in_english():
    """These tests read the pages in English."""
    return True


@pytest.fixture()
def world(world, db_session):
    """The small world, committed (inside the test's outer transaction): an import's rollback
    (a dry run, a failure) then ends only the import's own work, as in production."""
    db_session.commit()
    return world
