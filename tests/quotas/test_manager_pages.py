"""Quota management pages: the agreement's quotas with utilisation, the forms with bad input,
delete-if-unused, copying a month, and who may do what."""

import re

from sqlalchemy import select

from portal.quotas.models import Quota
from portal.quotas.queries import month_text, next_month
from tests import factories
from tests.quotas.helpers import ask_seat, month_after, page_text, priority_request, quota, submit_form


def _quota_data(**kw):
    values = dict(origin="PEK", destination="CAN", cabin="C", month=month_text(month_after()), seats="6")
    values.update(kw)
    return values


def test_agreement_page_shows_utilisation_and_highlights(client, db_session, world, login):
    full = quota(db_session, world.agreement_a, seats=10, used=9)
    empty = quota(db_session, world.agreement_a, cabin="C", seats=4)
    traveller = factories.traveller(db_session, world.company_a)
    priority_request(db_session, full, traveller, status="waitlisted")
    login(world.manager_a1)
    html = page_text(client.get(f"/quotas/agreement/{world.agreement_a.id}"))
    row = re.search(rf'data-quota-id="{full.id}">(.*?)</tr>', html, re.S).group(1)
    assert "90%" in row and "Nearly full" in row and "quota-row-full" in html
    waitlist = re.findall(r'<td class="text-end">(\d+)</td>', row)
    assert waitlist[-1] == "1"  # one request waiting
    other = re.search(rf'data-quota-id="{empty.id}">(.*?)</tr>', html, re.S).group(1)
    assert "0%" in other and "Nearly full" not in other
    assert f'href="/quotas/{full.id}"' in html
    assert "Copy to the next month" in html and "Add a quota" in html
    detail = page_text(client.get(f"/quotas/{full.id}"))
    assert traveller.name in detail and "place 1" in detail


def test_agreement_and_dossier_link_to_the_quota_pages(client, db_session, world, login):
    q = quota(db_session, world.agreement_a)
    login(world.manager_a1)
    assert f'href="/quotas/agreement/{world.agreement_a.id}"' in page_text(
        client.get(f"/agreements/{world.agreement_a.id}")
    )
    dossier = page_text(client.get(f"/companies/{world.company_a.id}/quotas"))
    assert f'href="/quotas/{q.id}"' in dossier


def test_management_reads_but_does_not_change(client, db_session, world, login):
    quota(db_session, world.agreement_a)
    login(world.management)
    html = page_text(client.get(f"/quotas/agreement/{world.agreement_a.id}"))
    assert "PEK–SHA" in html and "Add a quota" not in html and "Copy to the next month" not in html
    assert client.get(f"/quotas/agreement/{world.agreement_a.id}/new").status_code == 403


def test_a_manager_of_another_portfolio_and_another_branch_are_refused(client, db_session, world, login):
    q = quota(db_session, world.agreement_a)
    login(world.head_b)
    assert client.get(f"/quotas/agreement/{world.agreement_a.id}").status_code == 403
    assert client.get(f"/quotas/{q.id}").status_code == 403
    client.get("/logout")


def test_create_a_quota(client, db_session, world, login):
    login(world.manager_a1)
    response = submit_form(
        client, f"/quotas/agreement/{world.agreement_a.id}/new", **_quota_data(origin="pek")
    )
    assert response.status_code == 302
    made = db_session.scalars(select(Quota).where(Quota.agreement_id == world.agreement_a.id)).one()
    assert (made.origin, made.destination, made.cabin, made.seats, made.month) == (
        "PEK",
        "CAN",
        "C",
        6,
        month_after(),
    )
    assert "is saved" in page_text(client.get(response.headers["Location"]))


def test_quota_form_bad_input_is_shown_not_a_500(client, db_session, world, login):
    quota(db_session, world.agreement_a, origin="PEK", destination="CAN", cabin="C")
    login(world.manager_a1)
    url = f"/quotas/agreement/{world.agreement_a.id}/new"
    outside = month_text(next_month(world.agreement_a.valid_to))
    cases = [
        (dict(origin="PEKING"), "three-letter IATA code"),
        (dict(origin="P1K"), "three-letter IATA code"),
        (dict(destination="PEK"), "must differ from the origin"),
        (dict(cabin="Z"), "Not a valid choice"),
        (dict(month="2026-13"), "A month as YYYY-MM"),
        (dict(month="next month"), "A month as YYYY-MM"),
        (dict(month=outside), "choose a month within that time"),
        (dict(seats="0"), "Between 1 and 999 seats"),
        (dict(seats="many"), "Not a valid integer value"),
        (dict(), "has a quota for this route, cabin and month already"),
    ]
    for changes, message in cases:
        response = submit_form(client, url, **_quota_data(**changes))
        assert response.status_code == 200, changes
        assert message in page_text(response), changes
    assert len(db_session.scalars(select(Quota)).all()) == 1


def test_edit_seats_not_below_confirmed(client, db_session, world, login):
    q = quota(db_session, world.agreement_a, seats=3)
    for _ in range(2):
        priority_request(db_session, q, factories.traveller(db_session, world.company_a))
    login(world.manager_a1)
    data = dict(origin="PEK", destination="SHA", cabin="Y", month=month_text(q.month))
    response = submit_form(client, f"/quotas/{q.id}/edit", **data, seats="1")
    assert response.status_code == 200
    assert "2 seats are confirmed already" in page_text(response)
    response = submit_form(client, f"/quotas/{q.id}/edit", **data, seats="5")
    assert response.status_code == 302
    db_session.expire_all()
    assert (q.seats, q.used) == (5, 2)
    moved = submit_form(client, f"/quotas/{q.id}/edit", **{**data, "destination": "CAN"}, seats="5")
    assert "only its seats can change" in page_text(moved)


def test_delete_if_unused(client, db_session, world, login):
    unused = quota(db_session, world.agreement_a, cabin="C")
    used = quota(db_session, world.agreement_a)
    priority_request(db_session, used, world.traveller_a, status="cancelled")
    login(world.manager_a1)
    page = client.get(f"/quotas/{used.id}")
    assert 'data-testid="delete-quota"' not in page_text(page)
    refused = client.post(f"/quotas/{used.id}/delete", data={"csrf_token": factories.csrf_from(page)})
    assert refused.status_code == 302
    assert "cannot be deleted" in page_text(client.get(refused.headers["Location"]))
    page = client.get(f"/quotas/{unused.id}")
    done = client.post(f"/quotas/{unused.id}/delete", data={"csrf_token": factories.csrf_from(page)})
    assert done.status_code == 302
    db_session.expire_all()
    assert db_session.get(Quota, unused.id) is None and db_session.get(Quota, used.id) is not None


def test_copy_a_month(client, db_session, world, login):
    month = month_after()
    quota(db_session, world.agreement_a, month=month, seats=3)
    login(world.manager_a1)
    page = client.get(f"/quotas/agreement/{world.agreement_a.id}")
    token = factories.csrf_from(page)
    url = f"/quotas/agreement/{world.agreement_a.id}/copy"
    first = client.post(url, data={"csrf_token": token, "month": month_text(month)})
    assert "1 quotas copied" in page_text(client.get(first.headers["Location"]))
    again = client.post(url, data={"csrf_token": token, "month": month_text(month)})
    assert "nothing was copied" in page_text(client.get(again.headers["Location"]))
    bad = client.post(url, data={"csrf_token": token, "month": "1999-01"})
    assert "Choose a month that has quotas" in page_text(client.get(bad.headers["Location"]))
    target = db_session.scalars(select(Quota).where(Quota.month == next_month(month))).one()
    assert target.seats == 3 and target.used == 0


def test_the_dossier_audit_shows_seat_changes(app, client, db_session, world, login):
    from flask_babel import force_locale

    quota(db_session, world.agreement_a, seats=1)
    with app.app_context(), force_locale("en"):
        ask_seat(world)
    login(world.manager_a1)
    for url in (f"/companies/{world.company_a.id}", f"/companies/{world.company_a.id}/audit"):
        response = client.get(url)
        assert response.status_code == 200, url
    assert "+1" in page_text(client.get(f"/companies/{world.company_a.id}/audit"))
