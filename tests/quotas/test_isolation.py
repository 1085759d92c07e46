"""A booker sees and changes only its own company's quotas, requests and travellers: every id of
another company answers 404, including ids smuggled into forms."""

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.companies.models import Traveller
from portal.quotas.models import PriorityRequest, Quota
from tests import factories
from tests.quotas.helpers import flight_day, priority_request, quota


def _token(client) -> str:
    return factories.csrf_from(client.get("/self/feedback"))


def _setup(db_session, world):
    quota_a = quota(db_session, world.agreement_a, seats=3)
    quota_b = quota(db_session, world.agreement_b, seats=3)
    request_b = priority_request(db_session, quota_b, world.traveller_b, flight_number="CA1501")
    request_a = priority_request(db_session, quota_a, world.traveller_a)
    return quota_a, quota_b, request_a, request_b


def test_other_companys_requests_are_invisible_and_untouchable(client, db_session, world, login):
    _quota_a, quota_b, request_a, request_b = _setup(db_session, world)
    login(world.booker_a)
    listing = client.get("/self/requests").get_data(as_text=True)
    assert f'data-request-id="{request_a.id}"' in listing
    assert f'data-request-id="{request_b.id}"' not in listing and world.traveller_b.name not in listing
    response = client.post(f"/self/requests/{request_b.id}/cancel", data={"csrf_token": _token(client)})
    assert response.status_code == 404
    db_session.expire_all()
    assert db_session.get(PriorityRequest, request_b.id).status == "confirmed"
    assert db_session.get(Quota, quota_b.id).used == 1
    refused = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "refused", AuditEvent.actor_id == world.booker_a.id)
    ).all()
    assert any(e.path == f"/self/requests/{request_b.id}/cancel" for e in refused)


def test_other_companys_travellers_answer_404(client, db_session, world, login):
    login(world.booker_a)
    url = f"/self/travellers/{world.traveller_b.id}"
    assert client.get(url).status_code == 404
    response = client.post(
        url,
        data={
            "csrf_token": _token(client),
            "name": "hijacked",
            "seat_preference": "none",
            "meal_preference": "none",
        },
    )
    assert response.status_code == 404
    db_session.expire_all()
    assert db_session.get(Traveller, world.traveller_b.id).name != "hijacked"
    assert world.traveller_b.name not in client.get("/self/travellers").get_data(as_text=True)
    removed = factories.traveller(db_session, world.company_a, deleted_at=factories.utcnow())
    assert client.get(f"/self/travellers/{removed.id}").status_code == 404


def test_another_companys_traveller_in_the_request_form_creates_nothing(client, db_session, world, login):
    _setup(db_session, world)
    before = db_session.scalar(select(func.count(PriorityRequest.id)))
    login(world.booker_a)
    data = {
        "csrf_token": factories.csrf_from(client.get("/self/requests/new")),
        "traveller_id": str(world.traveller_b.id),
        "flight_number": "CA1515",
        "flight_date": flight_day(20).isoformat(),
        "origin": "PEK",
        "destination": "SHA",
        "cabin": "Y",
    }
    response = client.post("/self/requests/new", data=data)
    assert response.status_code == 200 and "Not a valid choice" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(PriorityRequest.id))) == before


def test_a_booker_never_requests_on_another_companys_quota(client, db_session, world, login):
    """Company B has a quota on SHA-PEK, company A none: A's request for that route is refused
    (the quota is always looked up under the booker's own company)."""
    quota(db_session, world.agreement_b, origin="SHA", destination="PEK", seats=5)
    login(world.booker_a)
    data = {
        "csrf_token": factories.csrf_from(client.get("/self/requests/new")),
        "traveller_id": str(world.traveller_a.id),
        "flight_number": "CA1502",
        "flight_date": flight_day().isoformat(),
        "origin": "SHA",
        "destination": "PEK",
        "cabin": "Y",
        "company_id": str(world.company_b.id),  # ignored: nothing reads a company from a form
    }
    response = client.post("/self/requests/new", data=data)
    assert response.status_code == 200 and "no quota for SHA–PEK" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(PriorityRequest.id))) == 0


def test_bookers_never_reach_the_staff_quota_pages(client, db_session, world, login):
    quota_a, quota_b, _ra, _rb = _setup(db_session, world)
    login(world.booker_a)
    for url in (
        f"/quotas/agreement/{world.agreement_a.id}",
        f"/quotas/agreement/{world.agreement_b.id}",
        f"/quotas/{quota_a.id}",
        f"/quotas/{quota_b.id}",
        f"/quotas/{quota_a.id}/edit",
    ):
        assert client.get(url).status_code == 404, url
    home = client.get("/self/").get_data(as_text=True)
    assert home.count("PEK–SHA") >= 1 and f"/quotas/{quota_b.id}" not in home


def test_history_and_statements_are_the_companys_own(client, db_session, world, login):
    from datetime import date

    factories.segment(db_session, world.company_b, date(2026, 3, 9), 555_55, traveller_name="乙公司旅客")
    factories.segment(db_session, world.company_a, date(2026, 3, 9), 100_00, traveller_name="甲公司旅客")
    db_session.flush()
    login(world.booker_b)
    history = client.get("/self/history").get_data(as_text=True)
    assert "乙公司旅客" in history and "甲公司旅客" not in history
    csv = client.get("/self/statement.csv?month=2026-03").get_data().decode("utf-8-sig")
    assert "555.55" in csv and "甲公司旅客" not in csv
