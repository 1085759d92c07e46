"""A manager's day: the home page's sections (revisits due today and overdue, open complaints
past due, waitlisted requests, pipeline next steps due, expiring agreements, notifications),
their scope (a manager's own work, a branch head's branch), their bounds, the landing after
sign-in, and a query count that does not grow with the rows."""

from datetime import date, datetime, timedelta

import pytest

from portal.home.queries import LIMIT, day_for
from portal.notifications.models import Notification
from tests import factories
from tests.quotas.helpers import priority_request, quota
from tests.test_query_counts import assert_same_count, fresh_request_state, get_counted, signed_in_as

TODAY = date(2026, 12, 7)
NOW = datetime(2026, 12, 7, 2, 0)  # naive UTC: 10:00 in Beijing


def _ids(rows) -> list[int]:
    return [row.id for row in rows]


def test_revisits_due_today_and_overdue_and_nothing_else(db_session, world):
    overdue = factories.reminder(db_session, world.company_a, world.manager_a1, TODAY - timedelta(days=9))
    today = factories.reminder(db_session, world.company_a2, world.manager_a1, TODAY, kind="reactivation")
    factories.reminder(db_session, world.company_a, world.manager_a1, TODAY + timedelta(days=1))  # tomorrow
    factories.reminder(
        db_session, world.company_a, world.manager_a1, TODAY - timedelta(days=3), kind="follow_up"
    )
    factories.reminder(
        db_session, world.company_a2, world.manager_a1, TODAY - timedelta(days=2), status="done"
    )
    factories.reminder(  # snoozed past today
        db_session,
        world.company_a2,
        world.manager_a1,
        TODAY - timedelta(days=20),
        status="snoozed",
        snoozed_until=TODAY + timedelta(days=5),
    )
    factories.reminder(db_session, world.company_b, world.manager_b1, TODAY - timedelta(days=1))  # not theirs
    day = day_for(world.manager_a1, today=TODAY, now=NOW)
    assert _ids(day.revisits) == [overdue.id, today.id]
    assert day.revisits[0].due == TODAY - timedelta(days=9)


def test_complaints_waitlist_pipeline_and_agreements_of_the_portfolio(db_session, world):
    late = factories.interaction(
        db_session, world.company_a, kind="complaint", due_at=NOW - timedelta(days=1)
    )
    factories.interaction(db_session, world.company_a, kind="complaint", due_at=NOW + timedelta(days=1))
    factories.interaction(
        db_session,
        world.company_a,
        kind="complaint",
        due_at=NOW - timedelta(days=5),
        complaint_status="resolved",
    )
    factories.interaction(db_session, world.company_b, kind="complaint", due_at=NOW - timedelta(days=1))
    q = quota(db_session, world.agreement_a)
    waiting = priority_request(db_session, q, world.traveller_a, status="waitlisted")
    priority_request(db_session, q, world.traveller_a, status="confirmed", flight_number="CA1502")
    qb = quota(db_session, world.agreement_b)
    priority_request(db_session, qb, world.traveller_b, status="waitlisted")
    due = factories.opportunity(
        db_session,
        world.company_a,
        world.manager_a1,
        next_step="递交方案",
        next_step_on=TODAY - timedelta(days=1),
    )
    factories.opportunity(
        db_session, world.company_a, world.manager_a1, next_step_on=TODAY + timedelta(days=3)
    )
    factories.opportunity(
        db_session, world.company_a, world.manager_a1, stage="lost", next_step_on=TODAY - timedelta(days=1)
    )
    world.agreement_a.valid_to = TODAY + timedelta(days=45)
    world.agreement_b.valid_to = TODAY + timedelta(days=30)  # another manager's
    db_session.add(
        Notification(user_id=world.manager_a1.id, kind="feedback_received", message="反馈", link="/")
    )
    db_session.flush()
    day = day_for(world.manager_a1, today=TODAY, now=NOW)
    assert _ids(day.complaints) == [late.id]
    assert _ids(day.waitlisted) == [waiting.id] and day.waitlisted[0].traveller_name == world.traveller_a.name
    assert _ids(day.pipeline) == [due.id]
    assert _ids(day.agreements) == [world.agreement_a.id]
    assert [n.message for n in day.notifications] == ["反馈"]
    assert not day.more


def test_a_waitlisted_request_whose_flight_left_is_not_work(db_session, world):
    q = quota(db_session, world.agreement_a)
    req = priority_request(db_session, q, world.traveller_a, status="waitlisted")
    assert (
        day_for(world.manager_a1, today=TODAY, now=req.departure_at + timedelta(minutes=1)).waitlisted == []
    )


def test_a_branch_head_sees_the_branchs_day(db_session, world):
    mine = factories.reminder(db_session, world.company_a, world.manager_a1, TODAY - timedelta(days=1))
    colleague_company = factories.company(db_session, world.office_a, world.manager_a2)
    theirs = factories.reminder(db_session, colleague_company, world.manager_a2, TODAY)
    factories.reminder(db_session, world.company_b, world.manager_b1, TODAY)  # branch B
    factories.interaction(db_session, world.company_b, kind="complaint", due_at=NOW - timedelta(days=1))
    day = day_for(world.head_a, today=TODAY, now=NOW)
    assert _ids(day.revisits) == [mine.id, theirs.id]
    assert day.revisits[1].assignee_name == world.manager_a2.name
    assert [c.company_id for c in day.complaints] == []
    # The manager's own day has only the manager's revisit.
    assert _ids(day_for(world.manager_a1, today=TODAY, now=NOW).revisits) == [mine.id]


def test_each_section_is_bounded(db_session, world):
    for i in range(LIMIT + 3):
        company = factories.company(db_session, world.office_a, world.manager_a1)
        factories.reminder(db_session, company, world.manager_a1, TODAY - timedelta(days=i))
    day = day_for(world.manager_a1, today=TODAY, now=NOW)
    assert len(day.revisits) == LIMIT and "revisits" in day.more
    # The most overdue first.
    assert day.revisits[0].due == TODAY - timedelta(days=LIMIT + 2)


@pytest.mark.parametrize(
    ("who", "landing"),
    [
        ("manager_a1", "/home"),
        ("head_a", "/home"),
        ("admin", "/companies/"),
        ("management", "/companies/"),
        ("booker_a", "/self/"),
    ],
)
def test_signing_in_lands_where_the_day_starts(client, world, login, who, landing):
    login(getattr(world, who))
    response = client.get("/")
    assert response.status_code == 302 and response.headers["Location"].endswith(landing)


def test_the_home_page_links_to_the_work(client, db_session, world, login):
    overdue = factories.reminder(
        db_session, world.company_a, world.manager_a1, date.today() - timedelta(days=2)
    )
    q = quota(db_session, world.agreement_a)
    priority_request(db_session, q, world.traveller_a, status="waitlisted")
    factories.interaction(
        db_session, world.company_a, kind="complaint", due_at=datetime.utcnow() - timedelta(days=1)
    )
    world.agreement_a.valid_to = date.today() + timedelta(days=20)
    db_session.flush()
    login(world.manager_a1)
    html = client.get("/home").get_data(as_text=True)
    assert f"/reminders/{overdue.id}/complete" in html
    assert f"/quotas/{q.id}" in html
    assert f"/companies/{world.company_a.id}/timeline?type=complaint" in html
    assert f"/agreements/{world.agreement_a.id}" in html
    assert 'data-testid="home-notifications"' in html


def _busy_manager(session, n: int) -> str:
    office = factories.office(session, factories.branch(session))
    manager = factories.user(session, "account_manager", office)
    for i in range(n):
        company = factories.company(session, office, manager)
        factories.reminder(session, company, manager, date.today() - timedelta(days=i + 1))
        agreement = factories.agreement(session, company, valid_to=date.today() + timedelta(days=10 + i))
        traveller = factories.traveller(session, company)
        priority_request(session, quota(session, agreement), traveller, status="waitlisted")
        factories.interaction(
            session, company, kind="complaint", due_at=datetime.utcnow() - timedelta(days=1)
        )
        factories.opportunity(session, company, manager, next_step_on=date.today() - timedelta(days=1))
        session.add(Notification(user_id=manager.id, kind="company_assigned", message=f"通知{i}", link="/"))
    session.flush()
    return manager.email


def test_home_query_count_does_not_grow(app, db_session, client):
    small = _busy_manager(db_session, 1)
    large = _busy_manager(db_session, 12)
    fresh_request_state(db_session)
    signed_in_as(app, client, small)
    small_statements = get_counted(app, client, "/home")
    client = app.test_client()
    signed_in_as(app, client, large)
    large_statements = get_counted(app, client, "/home")
    assert_same_count(small_statements, large_statements)
