"""Fixtures for the organisation, handover and audit viewer tests: the dossier tests' (services
in an app context, pages read in English) and a reminder factory."""

from datetime import date, timedelta

from portal.reminders.models import Reminder
from tests.dossier.conftest import ctx, login  # noqa: F401  (fixtures shared with the dossier tests)


def reminder(session, company, assignee, status="open", days=5) -> Reminder:
    """A revisit reminder of the company, due in `days` days."""
    obj = Reminder(
        company_id=company.id,
        assignee_id=assignee.id,
        kind="revisit",
        title="定期回访",
        due_on=date.today() + timedelta(days=days),
        status=status,
    )
    session.add(obj)
    session.flush()
    return obj
