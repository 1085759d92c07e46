"""Fixtures for the reminder tests: pages read in English."""

import pytest


@pytest.fixture()
def pages_in_english():
    """These tests read the pages in English."""
    return True
