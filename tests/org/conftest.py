"""Fixtures for the organisation, handover and audit viewer tests: pages read in English; a
reminder factory."""

from datetime import date, timedelta

import pytest

from portal.reminders.models import Reminder
from tests import factories


@pytest.fixture()
def pages_in_english():
    """These tests read the pages in English."""
    return True


def reminder(session, company, assignee, status="open", days=5) -> Reminder:
    """A revisit reminder of the company, due in `days` days."""
    return factories.reminder(session, company, assignee, date.today() + timedelta(days=days), status=status)
