"""The organisation, move, handover and audit pages make a fixed number of SQL queries,
however many rows they show (the method of tests/test_query_counts.py)."""

import pytest

from tests import factories
from tests.org.conftest import reminder
from tests.test_query_counts import assert_same_count, fresh_request_state, get_counted, signed_in_as


def _office_with(session, n: int) -> dict:
    """A branch with an office holding n companies, each with its own manager (in an office of
    its own) holding a reminder and an opportunity; a leaver holding n companies, n reminders
    and n opportunities; n audit-worthy changes. Returns the ids and an admin's email."""
    branch = factories.branch(session)
    office = factories.office(session, branch)
    leaver = factories.user(session, "account_manager", office)
    admin = factories.user(session, "admin", office)
    for _ in range(n):
        other_office = factories.office(session, branch)
        manager = factories.user(session, "account_manager", other_office)
        company = factories.company(session, office, manager)
        kept = factories.company(session, office, leaver)
        reminder(session, kept, leaver)
        factories.opportunity(session, kept, leaver)
        reminder(session, company, manager)
    session.flush()
    return {"office": office.id, "leaver": leaver.id, "admin": admin.email}


@pytest.mark.parametrize(
    "url",
    ["/org/", "/org/move?from={office}", "/admin/users/{leaver}/leave", "/audit/", "/audit/?actor=system"],
)
def test_pages_make_a_fixed_number_of_queries(app, client, db_session, url):
    small = _office_with(db_session, 1)
    fresh_request_state(db_session)
    signed_in_as(app, client, small["admin"])
    small_count = get_counted(app, client, url.format(**small))
    large = _office_with(db_session, 6)
    fresh_request_state(db_session)
    other = app.test_client()
    signed_in_as(app, other, large["admin"])
    large_count = get_counted(app, other, url.format(**large))
    assert_same_count(small_count, large_count)
