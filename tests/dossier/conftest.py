"""Fixtures for the dossier tests: pages read in English; a valid identity card number."""

import pytest

from portal.companies import secrets


def id_card(first17: str = "11010519491231002") -> str:
    """A valid resident identity card number (GB 11643 check character)."""
    return first17 + secrets.id_card_check(first17)


@pytest.fixture()
def pages_in_english():
    """These tests read the pages in English."""
    return True
