"""Bookers remove their travellers: soft delete with the identity-document number erased and
audited; refused while the traveller holds a live request on a flight still to come; removed
travellers leave lists and pickers, while past requests and segments keep their link."""

from datetime import date, timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.companies import secrets
from portal.companies.models import Traveller
from portal.errors import NotAllowed, ValidationFailed
from portal.segments.models import Segment
from portal.selfservice import operations
from tests import factories
from tests.quotas.helpers import priority_request, quota


@pytest.fixture()
def en(app):
    with app.test_request_context(), force_locale("en"):
        yield


def _with_document(session, traveller):
    traveller.id_document_type = "id_card"
    traveller.id_document_encrypted = secrets.encrypt("110101199001011234")
    traveller.id_document_masked = "11**************34"
    session.flush()


def test_removal_hides_the_row_erases_the_document_and_is_audited(db_session, world, en):
    traveller = world.traveller_a
    _with_document(db_session, traveller)
    operations.remove_traveller(world.booker_a, traveller)
    row = db_session.get(Traveller, traveller.id)
    assert row is not None and row.deleted_at is not None
    assert (row.id_document_encrypted, row.id_document_masked) == (None, None)
    event = db_session.scalar(
        select(AuditEvent)
        .where(AuditEvent.entity == "traveller", AuditEvent.entity_id == traveller.id)
        .order_by(AuditEvent.id.desc())
    )
    assert event.action == "delete" and event.after["deleted_at"] is not None
    assert event.after["id_document_encrypted"] is None and event.before["id_document_encrypted"] == "***"


@pytest.mark.parametrize("status", ["confirmed", "waitlisted"])
def test_a_live_request_on_a_future_flight_refuses_the_removal(db_session, world, en, status):
    q = quota(db_session, world.agreement_a)
    held = priority_request(db_session, q, world.traveller_a, status=status)
    with pytest.raises(ValidationFailed, match=f"{held.flight_number} on {held.flight_date.isoformat()}"):
        operations.remove_traveller(world.booker_a, world.traveller_a)
    assert db_session.get(Traveller, world.traveller_a.id).deleted_at is None


@pytest.mark.parametrize("status", ["cancelled", "expired"])
def test_closed_requests_do_not_hold_the_traveller(db_session, world, en, status):
    q = quota(db_session, world.agreement_a)
    priority_request(db_session, q, world.traveller_a, status=status)
    operations.remove_traveller(world.booker_a, world.traveller_a)
    assert world.traveller_a.deleted_at is not None


def test_a_flown_confirmed_request_does_not_hold_the_traveller(db_session, world, en):
    q = quota(db_session, world.agreement_a)
    req = priority_request(db_session, q, world.traveller_a)
    after_departure = req.departure_at + timedelta(minutes=1)
    assert operations.removal_refused(world.traveller_a, now=after_departure) is None
    operations.remove_traveller(world.booker_a, world.traveller_a, now=after_departure)
    assert world.traveller_a.deleted_at is not None


def test_only_the_companys_own_booker_removes(db_session, world, en):
    with pytest.raises(NotAllowed):
        operations.remove_traveller(world.booker_b, world.traveller_a)
    with pytest.raises(NotAllowed):
        operations.remove_traveller(world.manager_a1, world.traveller_a)
    operations.remove_traveller(world.booker_a, world.traveller_a)
    with pytest.raises(NotAllowed):  # once removed, it is gone for the booker too
        operations.remove_traveller(world.booker_a, world.traveller_a)


def _form(client, url, **data):
    page = client.get(url)
    return page, client.post(url, data={"csrf_token": factories.csrf_from(page), **data})


def test_booker_removes_a_traveller_who_leaves_lists_and_pickers(client, db_session, world, login):
    keep = factories.traveller(db_session, world.company_a, name="留下的旅客")
    q = quota(db_session, world.agreement_a)
    past = priority_request(db_session, q, world.traveller_a, status="cancelled")
    factories.segment(
        db_session, world.company_a, date(2026, 1, 5), 100_00, traveller_id=world.traveller_a.id
    )
    db_session.flush()
    name = world.traveller_a.name
    login(world.booker_a)
    listing = client.get("/self/travellers").get_data(as_text=True)
    assert f"/self/travellers/{world.traveller_a.id}/remove" in listing
    page, done = _form(client, f"/self/travellers/{world.traveller_a.id}/remove")
    assert page.status_code == 200 and 'data-testid="confirm-remove"' in page.get_data(as_text=True)
    assert done.status_code == 302 and done.headers["Location"].endswith("/self/travellers")
    listing = client.get("/self/travellers").get_data(as_text=True)
    table = listing[listing.index('data-testid="self-travellers"') :]
    assert name not in table and keep.name in table
    picker = client.get("/self/requests/new").get_data(as_text=True)
    assert f'value="{world.traveller_a.id}"' not in picker and f'value="{keep.id}"' in picker
    # History keeps its link: the cancelled request still names the traveller.
    requests = client.get("/self/requests").get_data(as_text=True)
    assert name in requests
    assert db_session.get(type(past), past.id).traveller_id == world.traveller_a.id
    segment = db_session.scalar(select(Segment).where(Segment.traveller_id == world.traveller_a.id))
    assert segment is not None
    # The removed traveller's pages are gone (404), like another company's.
    assert client.get(f"/self/travellers/{world.traveller_a.id}").status_code == 404
    assert client.get(f"/self/travellers/{world.traveller_a.id}/remove").status_code == 404


def test_booker_is_told_why_a_traveller_with_a_live_request_stays(client, db_session, world, login):
    q = quota(db_session, world.agreement_a)
    held = priority_request(db_session, q, world.traveller_a, status="waitlisted")
    login(world.booker_a)
    client.get("/lang/en")
    page, refused = _form(client, f"/self/travellers/{world.traveller_a.id}/remove")
    assert 'data-testid="remove-refused"' in page.get_data(as_text=True)
    assert refused.status_code == 409
    html = refused.get_data(as_text=True)
    assert held.flight_number in html and "Cancel that request first" in html
    assert db_session.get(Traveller, world.traveller_a.id).deleted_at is None


def test_booker_cannot_remove_another_companys_traveller(client, db_session, world, login):
    login(world.booker_a)
    page = client.get("/self/travellers")
    token = factories.csrf_from(page)
    response = client.post(f"/self/travellers/{world.traveller_b.id}/remove", data={"csrf_token": token})
    assert response.status_code == 404
    assert db_session.get(Traveller, world.traveller_b.id).deleted_at is None


def test_removal_without_a_csrf_token_changes_nothing(client, db_session, world, login):
    login(world.booker_a)
    response = client.post(f"/self/travellers/{world.traveller_a.id}/remove", data={})
    assert response.status_code in (200, 400)
    assert db_session.get(Traveller, world.traveller_a.id).deleted_at is None
