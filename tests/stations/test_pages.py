"""Station staff's pages, the admin's stations and station users, travellers' VIP level set by
managers and seen by bookers, and per-trip services asked on a request (page, API, service)."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.errors import ValidationFailed
from portal.quotas.models import PriorityRequest
from portal.stations import jobs as station_jobs
from portal.stations import notices
from portal.stations.models import ServiceRequest, Station, VipNotice
from portal.timeutil import local_today
from tests import factories
from tests.api.helpers import api_client, bearer
from tests.conftest import sign_in
from tests.quotas.helpers import ask_seat, flight_day, quota
from tests.stations.helpers import confirmed_on, station, station_user


def _csrf(client, url="/account/password") -> str:
    return factories.csrf_from(client.get(url))


def _station_world(app, db_session, world):
    """PEK and SHA; a PEK station user; tomorrow a Gold traveller departs PEK with an escort
    and one departs SHA with a lounge; today's notices are built and rendered."""
    with app.test_request_context():
        return _make_station_world(db_session, world)


def _make_station_world(db_session, world):
    pek = station(db_session)
    sha = station(db_session, "SHA", name="上海虹桥国际机场")
    user = station_user(db_session, pek, name="首都机场地服")
    world.company_a.tier = "gold"
    tomorrow = local_today() + timedelta(days=1)
    at_pek = confirmed_on(db_session, world.agreement_a, world.traveller_a, tomorrow, services=("escort",))
    other = factories.traveller(db_session, world.company_a, name="钱七")
    at_sha = confirmed_on(
        db_session, world.agreement_a, other, tomorrow, origin="SHA", destination="PEK", services=("lounge",)
    )
    db_session.commit()
    from portal.db import utcnow

    notices.build_notices(local_today(), utcnow(), today_given=True)
    db_session.commit()
    station_jobs.mail_pending()
    return pek, sha, user, at_pek, at_sha


def _service(db_session, req) -> ServiceRequest:
    return db_session.scalars(select(ServiceRequest).where(ServiceRequest.request_id == req.id)).one()


def test_station_sees_its_notice_and_marks_a_service_done(app, client, db_session, world):
    pek, sha, user, at_pek, at_sha = _station_world(app, db_session, world)
    assert sign_in(client, user.email).status_code == 302
    assert client.get("/").headers["Location"].endswith("/stations/")
    page = client.get("/stations/?lang=en")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert world.traveller_a.name in html and "钱七" not in html  # SHA's traveller is not PEK's
    notice = db_session.scalars(select(VipNotice).where(VipNotice.station_id == pek.id)).one()
    pdf = client.get(f"/stations/notices/{notice.id}.pdf")
    assert pdf.status_code == 200 and pdf.data.startswith(b"%PDF")
    assert pdf.headers["Content-Type"] == "application/pdf"
    service = _service(db_session, at_pek)
    done = client.post(f"/stations/services/{service.id}/done", data={"csrf_token": _csrf(client)})
    assert done.status_code == 302
    db_session.refresh(service)
    assert service.done_at is not None and service.done_by_id == user.id
    assert db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "service_request", AuditEvent.actor_id == user.id)
    )
    again = client.post(f"/stations/services/{service.id}/done", data={"csrf_token": _csrf(client)})
    assert again.status_code == 302
    assert 'data-testid="service-done"' in client.get("/stations/").get_data(as_text=True)


def test_station_sees_nothing_of_other_stations_or_other_days(app, client, db_session, world):
    pek, sha, user, at_pek, at_sha = _station_world(app, db_session, world)
    with app.app_context():
        yesterday = local_today() - timedelta(days=1)
    old = VipNotice(station_id=pek.id, service_date=yesterday, seq=0, entries=[])
    db_session.add(old)
    db_session.commit()
    sha_notice = db_session.scalars(select(VipNotice).where(VipNotice.station_id == sha.id)).one()
    sign_in(client, user.email)
    assert client.get(f"/stations/notices/{sha_notice.id}.pdf").status_code == 404
    assert client.get(f"/stations/notices/{old.id}.pdf").status_code == 404
    sha_service = _service(db_session, at_sha)
    refused = client.post(f"/stations/services/{sha_service.id}/done", data={"csrf_token": _csrf(client)})
    assert refused.status_code == 404
    db_session.refresh(sha_service)
    assert sha_service.done_at is None
    assert db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == "refused", AuditEvent.actor_id == user.id)
    )


@pytest.mark.parametrize(
    "url",
    [
        "/home",
        "/companies/",
        "/self/",
        "/self/requests",
        "/admin/users",
        "/rankings/",
        "/reminders/",
        "/audit/",
    ],
)
def test_station_user_is_refused_elsewhere(client, db_session, world, url):
    user = station_user(db_session, station(db_session))
    db_session.commit()
    sign_in(client, user.email)
    assert client.get(url).status_code == 404
    assert client.get(f"/companies/{world.company_a.id}").status_code == 404


def test_staff_and_bookers_are_refused_the_station_pages(client, db_session, world):
    station(db_session)
    db_session.commit()
    sign_in(client, world.admin.email)
    assert client.get("/stations/").status_code == 403
    client.post("/logout", data={"csrf_token": _csrf(client)})
    sign_in(client, world.booker_a.email)
    assert client.get("/stations/").status_code == 404


def test_admin_creates_a_station_with_its_list_and_a_station_user(client, db_session, world):
    sign_in(client, world.admin.email)
    token = _csrf(client, "/admin/stations")
    bad = client.post(
        "/admin/stations",
        data={"csrf_token": token, "code": "P1", "name": "x", "distribution": "not-an-address"},
    )
    assert bad.status_code == 200 and "not-an-address" in bad.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(Station)) == 0
    ok = client.post(
        "/admin/stations",
        data={
            "csrf_token": token,
            "code": "can",
            "name": "广州白云国际机场",
            "distribution": "ground@can.example, Lounge@can.example\nground@can.example",
        },
    )
    assert ok.status_code == 302
    can = db_session.scalars(select(Station)).one()
    assert (can.code, can.addresses) == ("CAN", ["ground@can.example", "lounge@can.example"])
    edit = client.post(
        f"/admin/stations/{can.id}",
        data={"csrf_token": token, "code": "ZZZ", "name": "白云机场", "distribution": "ops@can.example"},
    )
    assert edit.status_code == 302
    db_session.refresh(can)
    assert (can.code, can.name, can.addresses) == ("CAN", "白云机场", ["ops@can.example"])
    account = {
        "csrf_token": token,
        "email": "ground@can.example",
        "name": "白云地服",
        "role": "station",
        "office_id": "0",
        "station_id": "0",
        "password": "a-long-enough-passphrase-2026",
    }
    refused = client.post("/admin/users/new", data=account)
    assert refused.status_code == 200
    assert db_session.scalar(select(User).where(User.email == "ground@can.example")) is None
    created = client.post("/admin/users/new", data=account | {"station_id": str(can.id)})
    assert created.status_code == 302
    user = db_session.scalar(select(User).where(User.email == "ground@can.example"))
    assert (user.role, user.station_id, user.office_id) == ("station", can.id, None)


def test_manager_sets_vip_level_and_needs_the_booker_sees_them(client, db_session, world):
    t = world.traveller_a
    sign_in(client, world.manager_a1.email)
    url = f"/companies/{world.company_a.id}/travellers/{t.id}"
    response = client.post(
        url,
        data={
            "csrf_token": _csrf(client, url),
            "name": t.name,
            "member_tier": "none",
            "seat_preference": "window",
            "meal_preference": "none",
            "vip_level": "vvip",
            "service_needs": ["wheelchair", "language"],
            "id_document_type": "",
        },
    )
    assert response.status_code == 302
    db_session.refresh(t)
    assert (t.vip_level, t.service_needs) == ("vvip", ["wheelchair", "language"])
    bad = client.post(url, data={"csrf_token": _csrf(client, url), "name": t.name, "vip_level": "king"})
    assert bad.status_code == 200
    client.post("/logout", data={"csrf_token": _csrf(client)})
    sign_in(client, world.booker_a.email)
    client.get("/lang/en")
    html = client.get("/self/travellers").get_data(as_text=True)
    assert "VVIP" in html and "Wheelchair" in html and "Language assistance" in html
    # The booker's own form cannot set it.
    edit = f"/self/travellers/{t.id}"
    client.post(
        edit,
        data={"csrf_token": _csrf(client, edit), "name": t.name, "seat_preference": "aisle",
              "meal_preference": "none", "vip_level": "none", "service_needs": []},
    )  # fmt: skip
    db_session.refresh(t)
    assert t.vip_level == "vvip" and t.service_needs == ["wheelchair", "language"]


def test_services_the_agreement_includes_are_recorded_others_refused(app, db_session, world):
    with app.test_request_context():
        from flask_babel import force_locale

        quota(db_session, world.agreement_a)
        with force_locale("en"), pytest.raises(ValidationFailed) as refused:
            ask_seat(world, services=["lounge", "escort", "ticket_pickup"])
        message = refused.value.reasons["services"][0]
        assert world.agreement_a.number in message
        assert "Escort through the airport" in message and "Airport ticket pick-up" in message
        assert "Lounge" not in message
        assert db_session.scalar(select(func.count()).select_from(PriorityRequest)) == 0
        with pytest.raises(ValidationFailed) as unknown:
            ask_seat(world, services=["helicopter"])
        assert "services" in unknown.value.reasons
        world.agreement_a.escort = True
        req = ask_seat(world, services=["escort", "lounge", "escort"])
        assert req.status == "confirmed"
        services = db_session.scalars(
            select(ServiceRequest.service).where(ServiceRequest.request_id == req.id)
        )
        assert sorted(services) == ["escort", "lounge"]


def test_booker_asks_for_services_on_the_request_page(client, db_session, world):
    quota(db_session, world.agreement_a)
    db_session.commit()
    sign_in(client, world.booker_a.email)
    client.get("/lang/en")
    form = {
        "csrf_token": _csrf(client, "/self/requests/new"),
        "traveller_id": str(world.traveller_a.id),
        "flight_number": "CA1501",
        "flight_date": flight_day().isoformat(),
        "origin": "PEK",
        "destination": "SHA",
        "cabin": "Y",
    }
    refused = client.post("/self/requests/new", data=form | {"services": ["fast_track"]})
    assert refused.status_code == 200
    assert "does not include Fast track" in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(PriorityRequest)) == 0
    assert client.post("/self/requests/new", data=form | {"services": ["lounge"]}).status_code == 302
    assert db_session.scalars(select(ServiceRequest.service)).all() == ["lounge"]


def test_api_request_with_services(client, db_session, world):
    quota(db_session, world.agreement_a)
    headers = bearer(api_client(db_session, "agency", company=world.company_a)[1])
    db_session.commit()
    body = {
        "traveller_id": world.traveller_a.id,
        "flight_number": "CA1501",
        "flight_date": flight_day().isoformat(),
        "origin": "PEK",
        "destination": "SHA",
        "cabin": "Y",
    }
    url = f"/api/v1/companies/{world.company_a.id}/requests"
    refused = client.post(url, json=body | {"services": ["escort"]}, headers=headers)
    assert refused.status_code == 422
    assert "services" in str(refused.get_json()), refused.get_json()
    assert client.post(url, json=body | {"services": ["nope"]}, headers=headers).status_code == 422
    created = client.post(url, json=body | {"services": ["lounge"]}, headers=headers)
    assert created.status_code == 201, created.get_json()
    assert db_session.scalars(select(ServiceRequest.service)).all() == ["lounge"]
    assert created.get_json()["services"] == ["lounge"]  # answered with its services, listed too
    assert [r["services"] for r in client.get(url, headers=headers).get_json()] == [["lounge"]]
