"""The digest and escalation jobs make a fixed number of SQL statements however many managers
and revisits they handle (no query in their loops), on SQLite and PostgreSQL."""

from datetime import date, timedelta

import pytest

from portal.reminders import operations as ops
from portal.reminders.digests import enqueue_digests
from portal.reminders.models import Reminder
from tests import factories
from tests.test_query_counts import counting_statements, fresh_request_state

pytestmark = pytest.mark.usefixtures("ctx")

TODAY = date(2026, 6, 1)


def overdue_revisits(db_session, office, manager, count: int) -> None:
    """`count` revisits of `manager`, each of its own company, overdue by ten days."""
    office, manager = db_session.merge(office), db_session.merge(manager)  # after expunge_all
    for _n in range(count):
        company = factories.company(db_session, office, manager, tier="gold")
        db_session.add(
            Reminder(
                company_id=company.id,
                assignee_id=manager.id,
                kind="revisit",
                title=f"Revisit: {company.name_zh}",
                due_on=TODAY - timedelta(days=10),
            )
        )
    db_session.flush()


def counted(db_session, work):
    """What `work()` returns and the statements it ran, starting with nothing loaded."""
    fresh_request_state(db_session)
    with counting_statements() as statements:
        result = work()
    return result, len(statements)


def test_digest_and_escalation_queries_do_not_grow_with_the_rows(db_session, world):
    overdue_revisits(db_session, world.office_a, world.manager_a1, 1)
    small_digests, small_digest_queries = counted(db_session, lambda: enqueue_digests(TODAY))
    small_escalation, small_escalation_queries = counted(db_session, lambda: ops.escalate_overdue(TODAY))
    assert small_digests == 1
    assert small_escalation == {"escalated": 1, "escalation_mails": 1}

    overdue_revisits(db_session, world.office_a, world.manager_a1, 2)
    overdue_revisits(db_session, world.office_a, world.manager_a2, 2)
    overdue_revisits(db_session, world.office_b, world.manager_b1, 2)
    tomorrow = TODAY + timedelta(days=1)
    large_digests, large_digest_queries = counted(db_session, lambda: enqueue_digests(tomorrow))
    large_escalation, large_escalation_queries = counted(db_session, lambda: ops.escalate_overdue(tomorrow))
    assert large_digests == 3
    assert large_escalation == {"escalated": 6, "escalation_mails": 6}  # branch A's head and B's

    assert large_digest_queries == small_digest_queries
    assert large_escalation_queries == small_escalation_queries
