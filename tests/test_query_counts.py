"""The busy pages make a fixed number of SQL queries, however many rows they show (no N+1).

Each case builds a small and a large version of the same page's data, requests the page once
for each, and counts the statements the engine runs. The counts must be equal: a count that
grows with the rows shown is a query in a loop. Every counted request starts with an empty
session, as each request does under gunicorn, so a row the factories or an earlier request
left in the session's identity map cannot hide a lazy load.
"""

import re
from contextlib import contextmanager
from decimal import Decimal

import pytest
from sqlalchemy import event

from portal.agreements.models import AgreementDiscount
from portal.extensions import db
from tests import factories
from tests.conftest import sign_in

# Transaction control (BEGIN, SAVEPOINT, RELEASE, PRAGMA) differs between the backends and
# the test's savepoint recipe; only the statements that read or write data are counted.
COUNTED = ("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")
DESTINATIONS = ("SHA", "CAN", "SZX", "CTU", "CKG", "XMN", "HGH", "KMG", "XIY", "WUH")


@contextmanager
def counting_statements():
    """Collect the data statements the app's engine runs inside the block."""
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(COUNTED):
            statements.append(statement)

    engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        yield statements
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)


def fresh_request_state(session) -> None:
    """Commit what the factories made (a savepoint of the test's transaction) and forget the
    loaded rows."""
    session.commit()
    session.expunge_all()


def get_counted(app, client, url: str) -> list[str]:
    """GET `url` in a fresh app context (its own `g`) with nothing loaded in the session, as
    a request under gunicorn starts; the statements it ran."""
    with app.app_context():
        db.session.expunge_all()
        with counting_statements() as statements:
            response = client.get(url)
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return statements


def signed_in_as(app, client, email: str) -> None:
    with app.app_context():
        response = sign_in(client, email)
    assert response.status_code == 302, response.get_data(as_text=True)[:500]


def assert_same_count(small: list[str], large: list[str]) -> None:
    assert len(small) == len(large), (
        f"{len(small)} statements for the small page, {len(large)} for the large one:\n"
        + "\n---\n".join(large)
    )


# --- builders (they return plain values: the rows are detached once the session is reset) ---


def portfolio(session, n: int, role: str) -> str:
    """A user of `role` and n companies listed to them, each with its own manager and office,
    and (except for the branch head, who sees one branch) its own branch. Returns the user's
    email."""
    home_branch = factories.branch(session)
    home_office = factories.office(session, home_branch)
    user = factories.user(session, role, home_office)
    for i in range(n):
        branch = home_branch if role == "branch_head" else factories.branch(session)
        office = factories.office(session, branch)
        if role == "account_manager" and i % 2 == 0:
            manager = user  # half in the manager's own portfolio (shown in full), half others'
        else:
            manager = factories.user(session, "account_manager", office)
        factories.company(session, office, manager, score=Decimal(50 + i % 40), tier="gold")
    return user.email


def company_with(session, n: int) -> dict:
    """A company with n of everything its dossier and self-service page list: contacts,
    travellers, subsidiaries (each in its own office), agreements with n discounts each; a
    parent; its manager and a booker. Returns the company id and the two emails."""
    office = factories.office(session, factories.branch(session))
    manager = factories.user(session, "account_manager", office)
    parent = factories.company(session, office, manager)
    company = factories.company(session, office, manager, parent_id=parent.id)
    for i in range(n):
        factories.contact(session, company, name=f"联系人{i}")
        factories.traveller(session, company)
        child_office = factories.office(session, factories.branch(session))
        child_manager = factories.user(session, "account_manager", child_office)
        factories.company(session, child_office, child_manager, parent_id=company.id)
        agreement = factories.agreement(session, company, status="active" if i == 0 else "expired")
        for j in range(n - 1):  # the factory made the first discount
            agreement.discounts.append(
                AgreementDiscount(
                    scope="city_pair",
                    origin="PEK",
                    destination=DESTINATIONS[j],
                    cabin="C",
                    percent=Decimal("8.5"),
                )
            )
    booker = factories.user(session, "booker", company=company)
    session.flush()
    return {"id": company.id, "manager": manager.email, "booker": booker.email}


def dossier_history(session, company: dict, n: int) -> str:
    """n of everything the dossier's other sections list, for the company made by
    `company_with`: interactions (half of them open complaints), agreement events, score
    snapshots with a tier change each, manager assignments, revisit reminders, quotas for this
    and next month, priority requests, reviews, and notifications for its manager. Returns the
    email of an admin (who may reassign the company)."""
    from datetime import date, datetime, timedelta

    from sqlalchemy import select

    from portal.agreements.models import Agreement, AgreementEvent
    from portal.auth.models import User
    from portal.companies.models import Interaction, ManagerAssignment
    from portal.notifications.models import Notification
    from portal.quotas.models import PriorityRequest, Quota
    from portal.reminders.models import Reminder
    from portal.reviews.models import Review

    company_id = company["id"]
    manager = session.scalars(select(User).where(User.email == company["manager"])).one()
    agreements = session.scalars(select(Agreement).where(Agreement.company_id == company_id)).all()
    active = next(a for a in agreements if a.status == "active")
    traveller = factories.traveller(session, session.get(type(active.company), company_id))
    now = datetime(2026, 1, 15, 8, 0)
    month = date.today().replace(day=1)
    for i in range(n):
        kind = "complaint" if i % 2 == 0 else "visit"  # n = 1 has one complaint too
        # Every row by a different person: a lazy load per row cannot hide in the identity map.
        other = factories.user(session, "account_manager", active.company.office)
        session.add(
            Interaction(
                company_id=company_id,
                author_id=other.id,
                kind=kind,
                occurred_at=now - timedelta(days=i),
                summary=f"记录{i}",
                complaint_status="open" if kind == "complaint" else None,
                due_at=now - timedelta(days=i) + timedelta(hours=72) if kind == "complaint" else None,
            )
        )
        session.add(
            AgreementEvent(
                agreement_id=agreements[i % len(agreements)].id,
                to_status="active",
                actor_id=other.id,
                at=now - timedelta(days=i, hours=1),
            )
        )
        factories.snapshot(
            session,
            active.company,
            date(2025, 12, 1) - timedelta(days=30 * i),
            rank=i + 1,
            tier=("gold", "silver")[i % 2],
        )
        session.add(
            ManagerAssignment(
                company_id=company_id,
                manager_id=other.id,
                assigned_by_id=factories.user(session, "branch_head", active.company.office).id,
                started_at=now - timedelta(days=400 + i),
                ended_at=now - timedelta(days=399 + i),
            )
        )
        session.add(
            Reminder(
                company_id=company_id,
                assignee_id=manager.id,
                kind="revisit",
                title=f"回访{i}",
                due_on=month + timedelta(days=40 + i),
            )
        )
        quota = Quota(
            agreement_id=active.id,
            origin="PEK",
            destination=DESTINATIONS[i % len(DESTINATIONS)],
            cabin=("F", "C", "W", "Y")[(i // len(DESTINATIONS)) % 4],
            month=month if i % 2 else date(month.year + month.month // 12, month.month % 12 + 1, 1),
            seats=5,
        )
        session.add(quota)
        session.flush()
        session.add(
            PriorityRequest(
                quota_id=quota.id,
                company_id=company_id,
                traveller_id=traveller.id,
                flight_number=f"CA{1000 + i}",
                flight_date=month,
                departure_at=now,
                origin="PEK",
                destination=quota.destination,
                cabin=quota.cabin,
                status="confirmed",
            )
        )
        session.add(Review(kind="account", company_id=company_id, period=f"{2000 + i}Q1", status="done"))
        session.add(Notification(user_id=manager.id, kind="company_assigned", message=f"通知{i}", link="/"))
    admin = factories.user(session, "admin", active.company.office)
    session.flush()
    return admin.email


# --- the pages ------------------------------------------------------------------------


@pytest.mark.parametrize("role", ["account_manager", "branch_head", "management"])
def test_company_list_query_count_does_not_grow(app, db_session, client, role):
    small_user = portfolio(db_session, 3, role)
    fresh_request_state(db_session)
    signed_in_as(app, client, small_user)
    small = get_counted(app, client, "/companies/")

    client = app.test_client()  # a second browser, its own session cookie
    large_user = portfolio(db_session, 30, role)
    fresh_request_state(db_session)
    signed_in_as(app, client, large_user)
    large = get_counted(app, client, "/companies/")
    large_page_2 = get_counted(app, client, "/companies/?page=2&sort=-score")

    assert_same_count(small, large)
    assert_same_count(small, large_page_2)


@pytest.mark.parametrize(
    ("who", "page"), [("manager", "/companies/{id}"), ("booker", "/self/")], ids=["dossier", "self_service"]
)
def test_company_page_query_count_does_not_grow(app, db_session, client, who, page):
    """The dossier (for the company's manager) and the self-service home (for its booker)."""
    small = company_with(db_session, 1)
    large = company_with(db_session, 10)
    fresh_request_state(db_session)

    signed_in_as(app, client, small[who])
    small_statements = get_counted(app, client, page.format(id=small["id"]))
    client = app.test_client()
    signed_in_as(app, client, large[who])
    large_statements = get_counted(app, client, page.format(id=large["id"]))

    assert_same_count(small_statements, large_statements)


def test_limited_dossier_query_count_does_not_grow(app, db_session, client):
    """Another manager's company (the name-and-owner page) loads the same way."""
    small = company_with(db_session, 1)
    large = company_with(db_session, 10)
    outsider = factories.user(
        db_session, "account_manager", factories.office(db_session, factories.branch(db_session))
    )
    outsider_email = outsider.email
    fresh_request_state(db_session)

    signed_in_as(app, client, outsider_email)
    small_statements = get_counted(app, client, f"/companies/{small['id']}")
    large_statements = get_counted(app, client, f"/companies/{large['id']}")

    assert_same_count(small_statements, large_statements)


def test_dossier_tabs_and_notifications_do_not_grow(app, db_session, client):
    """The dossier's overview and every tab with everything full, the handover page and the
    manager's notifications: the same statements for 1 row of everything as for 10."""
    small = company_with(db_session, 1)
    small_admin = dossier_history(db_session, small, 1)
    large = company_with(db_session, 10)
    large_admin = dossier_history(db_session, large, 10)
    fresh_request_state(db_session)

    from blueprints.companies.tabs import TABS

    tabs = [tab.id for tab in TABS if tab.id != "overview"]
    pages = ("/companies/{id}", *(f"/companies/{{id}}/{tab}" for tab in tabs), "/notifications/")
    counts = {}
    for name, world in (("small", small), ("large", large)):
        client = app.test_client()
        signed_in_as(app, client, world["manager"])
        counts[name] = [get_counted(app, client, url.format(id=world["id"])) for url in pages]
    for small_statements, large_statements in zip(counts["small"], counts["large"], strict=True):
        assert_same_count(small_statements, large_statements)

    handover = []
    for world, admin in ((small, small_admin), (large, large_admin)):
        client = app.test_client()
        signed_in_as(app, client, admin)
        handover.append(get_counted(app, client, f"/companies/{world['id']}/manager"))
    assert_same_count(*handover)


def test_overview_skips_the_subsidiaries_and_complaints_a_company_does_not_have(app, db_session, client):
    """Most companies have no subsidiary and no open complaint: the company's own statement
    says so, and their overview runs two statements fewer."""
    from portal.companies.models import Company

    world = company_with(db_session, 1)  # it has a subsidiary
    company = db_session.get(Company, world["id"])
    factories.interaction(db_session, company, kind="complaint")
    plain = factories.company(db_session, company.office, company.manager)
    factories.agreement(db_session, plain)  # active, like the other's
    plain_id = plain.id
    fresh_request_state(db_session)
    signed_in_as(app, client, world["manager"])

    full = get_counted(app, client, f"/companies/{world['id']}")
    plain = get_counted(app, client, f"/companies/{plain_id}")

    assert len(plain) == len(full) - 2

    def complaints(statements):
        return [s for s in statements if s.startswith("SELECT interaction.")]

    def subsidiaries(statements):
        return [s for s in statements if re.match(r"SELECT company\.id, company\.name_zh\s+FROM", s)]

    assert complaints(full) and subsidiaries(full)
    assert not complaints(plain) and not subsidiaries(plain)


def test_dossier_signals_cost_one_statement_however_many_alerts_and_answers(app, db_session, client):
    """The early warnings and the year's survey results are one statement, run only for a
    company that has any (its own statement says so)."""
    from datetime import date, timedelta

    from portal.alerts.models import Alert
    from portal.companies.models import Company
    from portal.db import utcnow

    def signals(company_id: int, n: int) -> None:
        company = db_session.get(Company, company_id)
        contact = factories.contact(db_session, company, email="c@example.com")
        for i in range(n):
            db_session.add(
                Alert(
                    company_id=company_id,
                    kind="churn" if i == 0 else "roster",
                    episode=f"2026-{i + 1:02d}",
                    reason={"rules": ["roster_share"], "month": "2026-01", "off": 4, "total": 10},
                    opened_on=date(2026, 12, 1),
                )
            )
            factories.survey_answer(db_session, company, contact, i % 11, utcnow() - timedelta(days=i + 1))
        db_session.flush()

    small, large, plain = (company_with(db_session, 1) for _ in range(3))
    signals(small["id"], 1)
    signals(large["id"], 10)
    fresh_request_state(db_session)
    counts = []
    for world in (small, large, plain):
        client = app.test_client()
        signed_in_as(app, client, world["manager"])
        counts.append(get_counted(app, client, f"/companies/{world['id']}"))
    assert_same_count(counts[0], counts[1])
    assert len(counts[2]) == len(counts[0]) - 1

    def signal_statements(statements):
        return [s for s in statements if "count(survey_response.id) AS answers" in s]

    assert len(signal_statements(counts[0])) == 1 and not signal_statements(counts[2])
