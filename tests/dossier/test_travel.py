"""The travel history on SQLite and PostgreSQL: the dossier section, the page's filters and
totals against hand-computed figures, monthly aggregates, bad filter input, the CSV export,
access, and a fixed number of queries however many segments there are."""

import csv
import io
import re
from datetime import date, timedelta

import pytest

from portal.segments import travel
from portal.timeutil import local_today
from tests import factories


def html(response) -> str:
    return response.get_data(as_text=True)


@pytest.fixture()
def flown(db_session, world):
    """Five segments of company A (and one of company B that must never count)."""
    c = world.company_a
    factories.segment(db_session, c, date(2026, 1, 5), 100_000, "Y", traveller_name="张伟", origin="PEK")
    factories.segment(
        db_session, c, date(2026, 1, 20), 300_000, "C", traveller_name="王芳", destination="CAN"
    )
    factories.segment(db_session, c, date(2026, 3, 2), 500_000, "F", traveller_name="张伟")
    factories.segment(db_session, c, date(2026, 3, 9), 50_000, "Y", traveller_name="=HYPERLINK(1)")
    factories.segment(
        db_session, c, date(2025, 6, 1), 70_000, "W", traveller_name="李娜", origin="SHA", destination="PEK"
    )
    factories.segment(db_session, world.company_b, date(2026, 1, 6), 999_999, "F")
    db_session.flush()
    return c


def test_totals_and_months(ctx, flown):
    where = travel.TravelFilter(date_from=date(2026, 1, 1), date_to=date(2026, 3, 31)).conditions(flown.id)
    t = travel.totals(where)
    assert (t.segments, t.revenue_fen, t.premium_revenue_fen) == (4, 950_000, 800_000)
    assert t.average_fare_fen == 237_500
    assert str(t.premium_share) == "84.2"  # 800,000 / 950,000
    months = travel.monthly(where, first=date(2026, 1, 1), last=date(2026, 3, 31))
    assert [(m.month, m.segments, m.revenue_fen) for m in months] == [
        (date(2026, 1, 1), 2, 400_000),
        (date(2026, 2, 1), 0, 0),
        (date(2026, 3, 1), 2, 550_000),
    ]


@pytest.mark.parametrize(
    ("filters", "segments", "revenue_fen"),
    [
        ({}, 5, 1_020_000),
        ({"cabin": "Y"}, 2, 150_000),
        ({"traveller": "张"}, 2, 600_000),
        ({"destination": "CAN"}, 1, 300_000),
        ({"origin": "SHA", "destination": "PEK"}, 1, 70_000),
        ({"date_to": date(2025, 12, 31)}, 1, 70_000),
        ({"traveller": "%"}, 0, 0),
    ],
)
def test_filters(ctx, flown, filters, segments, revenue_fen):
    t = travel.totals(travel.TravelFilter(**filters).conditions(flown.id))
    assert (t.segments, t.revenue_fen) == (segments, revenue_fen)


def test_page_shows_filtered_totals_and_charts(client, world, login, flown):
    login(world.manager_a1)
    response = client.get(
        f"/companies/{flown.id}/travel?date_from=2026-01-01&date_to=2026-03-31&traveller=张伟"
    )
    assert response.status_code == 200
    page = html(response)
    assert 'data-testid="total-segments">2<' in page
    assert 'data-testid="total-revenue">6,000.00<' in page
    assert 'data-testid="average-fare">3,000.00<' in page
    assert 'data-testid="premium-share">83.3%<' in page  # 500,000 of 600,000
    assert 'data-testid="revenue-chart"' in page and "data:image/svg+xml;base64," in page
    assert "王芳" not in page


@pytest.mark.parametrize(
    "query",
    [
        "date_from=2026-13-45",
        "date_to=yesterday",
        "origin=PEKING",
        "destination=%3Cscript%3E",
        "cabin=Z",
        "traveller=" + "x" * 500,
        "date_from=2026-03-01&date_to=2026-01-01",
        "page=-3",
        "page=abc",
        "company_id=99",
    ],
)
def test_bad_filters_are_4xx_or_explained(client, world, login, flown, query):
    login(world.manager_a1)
    response = client.get(f"/companies/{flown.id}/travel?{query}")
    assert response.status_code in (200, 400, 404)
    if response.status_code == 200 and not query.startswith(("page", "company")):
        assert "invalid-feedback" in html(response)
    csv_response = client.get(f"/companies/{flown.id}/travel.csv?{query}")
    assert csv_response.status_code in (200, 400, 404)


def test_csv_export(client, world, login, flown):
    login(world.manager_a1)
    response = client.get(f"/companies/{flown.id}/travel.csv?cabin=Y")
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert response.headers["Content-Disposition"].startswith("attachment;")
    assert response.data.startswith("\ufeff".encode())
    rows = list(csv.reader(io.StringIO(response.data.decode("utf-8-sig"))))
    assert rows[0][0] == "Date"
    body = rows[1:]
    assert [r[0] for r in body] == ["2026-03-09", "2026-01-05"]
    assert body[0][6] == "'=HYPERLINK(1)"  # a formula is neutralised
    assert body[1][9] == "1000.00"


def test_the_travel_tab_without_filters_totals_every_flight(app, client, world, login, db_session):
    with app.app_context():
        today = local_today()
    factories.segment(db_session, world.company_a, today - timedelta(days=3), 120_000, "C")
    factories.segment(db_session, world.company_a, today - timedelta(days=400), 999_000, "Y")
    db_session.flush()
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}/travel"))
    assert re.search(r'data-testid="total-segments">2<', page)
    assert "11,190.00" in page  # 1,200 + 9,990 CNY
    assert 'data-testid="revenue-chart"' in page


def test_empty_history(client, world, login):
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}/travel"))
    assert "No flights recorded yet." in page and "Segments arrive with the bookings import." in page
    filtered = html(client.get(f"/companies/{world.company_a.id}/travel?origin=PEK"))
    assert "No flights match these filters." in filtered


def test_access(client, world, login, flown):
    login(world.manager_b1)
    assert client.get(f"/companies/{flown.id}/travel").status_code == 403
    assert client.get(f"/companies/{flown.id}/travel.csv").status_code == 403
    client.post("/logout", data={"csrf_token": factories.csrf_from(client.get("/account/password"))})
    login(world.booker_b)
    assert client.get(f"/companies/{flown.id}/travel").status_code == 404
    assert client.get(f"/companies/{flown.id}/travel.csv").status_code == 404


def test_query_count_is_constant(app, client, world, login, db_session):
    from tests.test_query_counts import counting_statements

    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/travel?date_from=2020-01-01"

    def count() -> int:
        db_session.expire_all()
        with app.app_context(), counting_statements() as statements:
            assert client.get(url).status_code == 200
        return len(statements)

    factories.segment(db_session, world.company_a, date(2024, 1, 3), 1000)
    db_session.flush()
    small = count()
    for i in range(60):
        factories.segment(db_session, world.company_a, date(2024, 1, 3) + timedelta(days=11 * i), 1000 + i)
    db_session.flush()
    assert count() == small
