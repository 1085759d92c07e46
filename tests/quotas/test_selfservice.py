"""The booker's self-service pages: the quota dashboard, requests (with bad input on every
field), cancellation, travellers, travel history, statements and feedback."""

import re
import subprocess
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.companies.models import Interaction, Traveller
from portal.notifications.models import Notification
from portal.quotas.models import PriorityRequest, Quota
from portal.quotas.queries import month_text
from tests import factories
from tests.conftest import sign_in
from tests.quotas.helpers import (
    flight_day,
    local_today,
    month_after,
    page_text,
    priority_request,
    quota,
    submit_form,
)


def _request_data(world, **kw):
    values = dict(
        traveller_id=str(world.traveller_a.id),
        flight_number="CA1501",
        flight_date=flight_day().isoformat(),
        origin="PEK",
        destination="SHA",
        cabin="Y",
    )
    values.update(kw)
    return values


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count(model.id)))


def test_home_shows_this_and_next_months_balances(client, db_session, world, login):
    quota(db_session, world.agreement_a, month=local_today().replace(day=1), seats=3, used=3)
    quota(db_session, world.agreement_a, seats=5)
    quota(db_session, world.agreement_b, seats=7, origin="SHA", destination="PEK")  # company B's
    login(world.booker_a)
    html = page_text(client.get("/self/"))
    balances = re.search(r'data-testid="quota-balances">(.*?)</table>', html, re.S).group(1)
    assert balances.count("PEK–SHA") == 2 and "SHA–PEK" not in balances
    assert "Join the waitlist" in balances and "/self/requests/new?" in balances
    assert 'data-testid="manager-card"' in html and world.manager_a1.name in html


def test_a_request_is_confirmed_then_the_next_waitlisted(client, db_session, world, login):
    q = quota(db_session, world.agreement_a, seats=1)
    login(world.booker_a)
    first = submit_form(client, "/self/requests/new", **_request_data(world))
    assert first.status_code == 302 and first.headers["Location"] == "/self/requests"
    listing = page_text(client.get("/self/requests"))
    assert "Confirmed: a seat on CA1501" in listing
    other = factories.traveller(db_session, world.company_a, name="周婷")
    second = submit_form(client, "/self/requests/new", **_request_data(world, traveller_id=str(other.id)))
    assert second.status_code == 302
    listing = page_text(client.get("/self/requests"))
    assert "is waitlisted" in listing and "place 1" in listing
    db_session.expire_all()
    assert db_session.get(Quota, q.id).used == 1
    kinds = db_session.scalars(
        select(Notification.kind).where(Notification.user_id == world.booker_a.id)
    ).all()
    assert sorted(kinds) == ["quota_confirmed", "quota_waitlisted"]


def test_a_new_traveller_in_the_request_form(client, db_session, world, login):
    quota(db_session, world.agreement_a, seats=1)
    login(world.booker_a)
    data = _request_data(world, traveller_id="new", new_traveller_name="", new_traveller_ff="")
    missing = submit_form(client, "/self/requests/new", **data)
    assert missing.status_code == 200 and "Enter the new traveller's name" in page_text(missing)
    data.update(new_traveller_name="吴磊", new_traveller_ff="ca 778899")
    done = submit_form(client, "/self/requests/new", **data)
    assert done.status_code == 302
    made = db_session.scalars(select(Traveller).where(Traveller.name == "吴磊")).one()
    assert (made.company_id, made.ff_number) == (world.company_a.id, "CA778899")
    assert db_session.scalars(select(PriorityRequest)).one().traveller_id == made.id


def test_a_refused_request_does_not_keep_its_new_traveller(client, db_session, world, login):
    login(world.booker_a)  # no quota at all
    data = _request_data(world, traveller_id="new", new_traveller_name="钱七")
    response = submit_form(client, "/self/requests/new", **data)
    assert response.status_code == 200 and "no quota for PEK–SHA" in page_text(response)
    assert db_session.scalar(select(Traveller.id).where(Traveller.name == "钱七")) is None


@pytest.mark.parametrize(
    ("changes", "message"),
    [
        ({"cabin": "Z"}, "Not a valid choice"),
        ({"flight_date": "2020-01-01"}, "This date is in the past."),
        ({"flight_date": "31/12/2026"}, "Not a valid date value."),
        ({"flight_number": "XX"}, "A flight number like CA1501."),
        ({"flight_number": ""}, "Enter the flight number"),
        ({"flight_number": "CA1301"}, "CA1301 flies PEK–CAN."),
        ({"origin": "北京"}, "A three-letter IATA code"),
        ({"destination": "PEK"}, "The destination must differ from the origin."),
        ({"flight_number": "MU5101"}, "enter its departure time"),
        ({"departure_time": "25:99", "flight_number": "MU5101"}, "Not a valid time value."),
        ({"origin": "PEK", "destination": "CAN", "flight_number": "CA1301"}, "has no quota for PEK–CAN"),
        ({"traveller_id": "999999"}, "Not a valid choice"),
    ],
)
def test_request_form_bad_input_is_shown_not_a_500(client, db_session, world, login, changes, message):
    quota(db_session, world.agreement_a, seats=3)
    login(world.booker_a)
    response = submit_form(client, "/self/requests/new", **_request_data(world, **changes))
    assert response.status_code == 200
    assert message in page_text(response)
    assert _count(db_session, PriorityRequest) == 0


def test_the_cut_off_shows_on_the_form(client, db_session, world, login):
    login(world.booker_a)
    # CA1501 leaves at 14:15 Beijing time: today's has left or leaves within 24 hours.
    late = submit_form(
        client, "/self/requests/new", **_request_data(world, flight_date=local_today().isoformat())
    )
    assert late.status_code == 200
    assert "in the past" in page_text(late) or "close 24 hours before departure" in page_text(late)


def test_cancel_frees_the_seat_for_the_next_in_line(client, db_session, world, login):
    q = quota(db_session, world.agreement_a, seats=1)
    other = factories.traveller(db_session, world.company_a)
    login(world.booker_a)
    submit_form(client, "/self/requests/new", **_request_data(world))
    submit_form(client, "/self/requests/new", **_request_data(world, traveller_id=str(other.id)))
    first, second = db_session.scalars(select(PriorityRequest).order_by(PriorityRequest.id)).all()
    page = client.get("/self/requests")
    response = client.post(
        f"/self/requests/{first.id}/cancel", data={"csrf_token": factories.csrf_from(page)}
    )
    assert response.status_code == 302
    html = page_text(client.get("/self/requests"))
    assert "Its seat went to the next request on the waitlist." in html
    db_session.expire_all()
    assert (first.status, second.status, db_session.get(Quota, q.id).used) == ("cancelled", "confirmed", 1)
    again = client.post(f"/self/requests/{first.id}/cancel", data={"csrf_token": factories.csrf_from(page)})
    assert "Cancelled already" in page_text(client.get(again.headers["Location"]))


def test_travellers_create_and_edit_without_document_numbers(client, db_session, world, login):
    world.traveller_a.id_document_type = "passport"
    world.traveller_a.id_document_encrypted = "gAAAA-secret-token"
    world.traveller_a.id_document_masked = "E1******78"
    db_session.flush()
    login(world.booker_a)
    listing = page_text(client.get("/self/travellers"))
    assert world.traveller_a.name in listing and "E1******78" in listing
    assert "gAAAA" not in listing and world.traveller_b.name not in listing
    created = submit_form(
        client,
        "/self/travellers/new",
        name="孙八",
        name_en="SUN/BA",
        ff_number="CA 123 456",
        seat_preference="aisle",
        meal_preference="none",
    )
    assert created.status_code == 302
    made = db_session.scalars(select(Traveller).where(Traveller.name == "孙八")).one()
    assert (made.company_id, made.ff_number, made.seat_preference) == (
        world.company_a.id,
        "CA123456",
        "aisle",
    )
    duplicate = submit_form(
        client,
        "/self/travellers/new",
        name="孙九",
        ff_number="CA123456",
        seat_preference="none",
        meal_preference="none",
    )
    assert duplicate.status_code == 200 and "has this frequent-flyer number" in page_text(duplicate)
    bad = submit_form(client, "/self/travellers/new", name="", seat_preference="sofa", meal_preference="none")
    assert (
        bad.status_code == 200
        and "This field is required." in page_text(bad)
        and "Not a valid choice" in page_text(bad)
    )
    edited = submit_form(
        client,
        f"/self/travellers/{world.traveller_a.id}",
        name="改名",
        name_en="",
        ff_number="",
        seat_preference="window",
        meal_preference="vegetarian",
    )
    assert edited.status_code == 302
    db_session.expire_all()
    assert (world.traveller_a.name, world.traveller_a.meal_preference) == ("改名", "vegetarian")
    assert world.traveller_a.id_document_masked == "E1******78"  # the manager's, untouched


def test_travel_history_filters_and_pages(client, db_session, world, login):
    month = date(2026, 3, 1)
    for day in range(1, 31):
        factories.segment(db_session, world.company_a, month.replace(day=day), 100_00)
    factories.segment(
        db_session, world.company_a, date(2026, 3, 5), 900_00, cabin="C", origin="PEK", destination="CAN"
    )
    factories.segment(db_session, world.company_a, date(2026, 2, 5), 100_00)
    factories.segment(db_session, world.company_b, date(2026, 3, 5), 100_00, traveller_name="乙公司旅客")
    db_session.flush()
    login(world.booker_a)
    html = page_text(client.get("/self/history?month=2026-03"))
    assert "31 flown segments" in html and "乙公司旅客" not in html
    assert 'href="/self/history?month=2026-03&amp;page=2"' in html
    second = page_text(client.get("/self/history?month=2026-03&page=2"))
    assert "31 flown segments" in second and second.count('<td class="font-monospace">CA1501</td>') == 6
    assert "1 flown segment" in page_text(client.get("/self/history?cabin=C&destination=can"))
    assert "32 flown segments" in page_text(client.get("/self/history?origin=PEK"))
    bad = client.get("/self/history?month=2026-99&origin=北京&cabin=Q&page=abc")
    assert bad.status_code == 200
    assert "A month as YYYY-MM" in page_text(bad) and "A three-letter IATA code" in page_text(bad)


def _statement_world(db_session, world):
    factories.segment(db_session, world.company_a, date(2026, 3, 5), 1234_56, traveller_name="张三")
    factories.segment(
        db_session, world.company_a, date(2026, 3, 9), 2000_00, cabin="C", traveller_name="=cmd|x"
    )
    factories.segment(db_session, world.company_a, date(2026, 4, 1), 999_00)
    factories.segment(db_session, world.company_b, date(2026, 3, 9), 555_55)
    db_session.flush()


def test_statement_csv(client, db_session, world, login):
    _statement_world(db_session, world)
    login(world.booker_a)
    page = page_text(client.get("/self/statement?month=2026-03"))
    assert "3,234.56" in page and 'data-testid="statement-pdf"' in page
    response = client.get("/self/statement.csv?month=2026-03")
    assert response.status_code == 200 and response.mimetype == "text/csv"
    assert 'filename="statement-2026-03.csv"' in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")
    lines = raw.decode("utf-8-sig").splitlines()
    assert lines[0].startswith("Date,Flight,From,To,Cabin")
    assert len(lines) == 4  # header, two segments, total
    assert "张三" in lines[1] and lines[1].endswith(",1234.56")
    assert ",'=cmd|x," in lines[2]  # a formula is defused
    assert lines[3].startswith("Total,2 segments") and lines[3].endswith(",3234.56")
    assert "555.55" not in raw.decode("utf-8-sig")


def test_statement_bad_month(client, db_session, world, login):
    login(world.booker_a)
    page = client.get("/self/statement?month=March")
    assert page.status_code == 200 and "A month as YYYY-MM" in page_text(page)
    for url in ("/self/statement.csv?month=2026-3", "/self/statement.pdf?month=x"):
        response = client.get(url)
        assert response.status_code == 302
        assert "A month as YYYY-MM" in page_text(client.get(response.headers["Location"]))


def _pdf_text(raw: bytes, tmp_path) -> tuple[str, str]:
    path = tmp_path / "statement.pdf"
    path.write_bytes(raw)
    text = subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, check=True
    ).stdout
    fonts = subprocess.run(["pdffonts", str(path)], capture_output=True, check=True, text=True).stdout
    return text.decode(), fonts


def test_statement_pdf(client, db_session, world, login, tmp_path):
    _statement_world(db_session, world)
    login(world.booker_a)
    response = client.get("/self/statement.pdf?month=2026-03")
    assert response.status_code == 200 and response.mimetype == "application/pdf"
    assert 'filename="statement-2026-03.pdf"' in response.headers["Content-Disposition"]
    text, fonts = _pdf_text(response.get_data(), tmp_path)
    assert world.company_a.name_zh in text
    assert "3,234.56" in text and "Total" in text and "Monthly statement 2026-03" in text
    assert "张三" in text and "555.55" not in text
    # Every font is embedded, the CJK one among them.
    rows = [line for line in fonts.splitlines()[2:] if line.strip()]
    assert rows and all(re.search(r"\s(yes)\s+(yes|no)\s+(yes|no)\s+\d+\s+\d+\s*$", r) for r in rows), fonts
    assert "WenQuanYi" in fonts


def test_statement_pdf_in_chinese(client, db_session, world, login, tmp_path):
    _statement_world(db_session, world)
    login(world.booker_a)
    client.get("/lang/zh")
    text, _fonts = _pdf_text(client.get("/self/statement.pdf?month=2026-03").get_data(), tmp_path)
    assert world.company_a.name_zh in text and "3,234.56" in text


def test_feedback_lands_on_the_timeline(app, client, db_session, world, login):
    login(world.booker_a)
    empty = submit_form(client, "/self/feedback", summary="   ")
    assert empty.status_code == 200 and "Write your feedback." in page_text(empty)
    sent = submit_form(client, "/self/feedback", summary="候补确认很快，谢谢！<b>x</b>")
    assert sent.status_code == 302
    row = db_session.scalars(select(Interaction).where(Interaction.kind == "feedback")).one()
    assert (row.company_id, row.author_id) == (world.company_a.id, world.booker_a.id)
    assert "&lt;b&gt;x&lt;/b&gt;" in page_text(client.get("/self/feedback"))
    note = db_session.scalars(
        select(Notification).where(
            Notification.user_id == world.manager_a1.id, Notification.kind == "feedback_received"
        )
    ).one()
    assert note.link == f"/companies/{world.company_a.id}/timeline"
    # The manager finds it on the company's timeline.
    staff = app.test_client()
    assert sign_in(staff, world.manager_a1.email).status_code == 302
    assert "候补确认很快" in page_text(staff.get(note.link))


def test_month_text_and_pages_in_chinese(client, db_session, world, login):
    quota(db_session, world.agreement_a, seats=2)
    priority_request(
        db_session, db_session.scalars(select(Quota)).one(), world.traveller_a, status="waitlisted"
    )
    login(world.booker_a)
    client.get("/lang/zh")
    for url in (
        "/self/",
        "/self/requests",
        "/self/requests/new",
        "/self/travellers",
        "/self/history",
        "/self/statement",
        "/self/feedback",
        f"/self/travellers/{world.traveller_a.id}",
    ):
        assert client.get(url).status_code == 200, url
    assert month_text(month_after()) in page_text(client.get("/self/"))
