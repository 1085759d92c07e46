"""The forecast against a hand-computed fixture: weighted pipeline, conversion, medians, closed totals."""

from datetime import date, datetime, timedelta

import pytest

from portal.pipeline import queries
from portal.pipeline.models import OpportunityStageChange
from tests import factories

D0 = datetime(2026, 3, 2, 8, 0)
START, END = date(2026, 3, 1), date(2026, 3, 31)


def _history(db_session, opportunity, moves):
    """moves: (from, to, days after D0)."""
    for source, target, days in moves:
        db_session.add(
            OpportunityStageChange(
                opportunity_id=opportunity.id,
                from_stage=source,
                to_stage=target,
                at=D0 + timedelta(days=days),
            )
        )
    db_session.flush()


@pytest.fixture()
def branch_b(db_session, world):
    """Branch B's pipeline (company_b, manager_b1):

    open:  1,000,000.00 x 50 % closing 2026-12-15 -> 500,000.00
             300,000.00 x 75 % closing 2026-12-01 -> 225,000.00
             200,000.00 x 10 % closing 2027-01-10 ->  20,000.00
             100,000.00 x 10 % closing 2027-01-20 ->  10,000.00  (Z: lead since D0)
    won:     400,000.00 (X: lead 2 d, qualified 4 d, proposal 10 d, won on D0+16)
    lost:    150,000.00 to a competitor (Y: lead 4 d, qualified 1 d, lost on D0+5)
    """
    c, m = world.company_b, world.manager_b1
    f = factories.opportunity
    f(db_session, c, m, stage="proposal", expected_revenue_fen=1_000_000_00, close_date=date(2026, 12, 15))
    f(db_session, c, m, stage="negotiation", expected_revenue_fen=300_000_00, close_date=date(2026, 12, 1))
    f(db_session, c, m, stage="lead", expected_revenue_fen=200_000_00, close_date=date(2027, 1, 10))
    z = f(db_session, c, m, stage="lead", expected_revenue_fen=100_000_00, close_date=date(2027, 1, 20))
    x = f(
        db_session,
        c,
        m,
        stage="won",
        expected_revenue_fen=400_000_00,
        stage_changed_at=D0 + timedelta(days=16),
    )
    y = f(
        db_session,
        c,
        m,
        stage="lost",
        lost_reason="competitor",
        expected_revenue_fen=150_000_00,
        stage_changed_at=D0 + timedelta(days=5),
    )
    _history(
        db_session,
        x,
        [(None, "lead", 0), ("lead", "qualified", 2), ("qualified", "proposal", 6), ("proposal", "won", 16)],
    )
    _history(db_session, y, [(None, "lead", 0), ("lead", "qualified", 4), ("qualified", "lost", 5)])
    _history(db_session, z, [(None, "lead", 0)])
    return world


def test_weighted_pipeline_by_month_branch_and_owner(db_session, branch_b):
    f = queries.forecast(branch_b.head_b, start=START, end=END)
    assert f.by_month == [
        ("2026-12", 1_300_000_00, 725_000_00),
        ("2027-01", 300_000_00, 30_000_00),
    ]
    assert (f.total_revenue_fen, f.total_weighted_fen) == (1_600_000_00, 755_000_00)
    assert f.by_branch == [(branch_b.branch_b.name_zh, 1_600_000_00, 755_000_00)]
    assert f.by_owner == [(branch_b.manager_b1.name, 1_600_000_00, 755_000_00)]


def test_conversion_and_median_days(db_session, branch_b):
    rows = {r["stage"]: r for r in queries.forecast(branch_b.head_b, start=START, end=END).conversion}
    assert (rows["lead"]["entered"], rows["lead"]["advanced"], rows["lead"]["rate"]) == (3, 2, 67)
    assert rows["lead"]["median_days"] == 3.0  # 2 and 4 days
    assert (rows["qualified"]["entered"], rows["qualified"]["advanced"], rows["qualified"]["rate"]) == (
        2,
        1,
        50,
    )
    assert rows["qualified"]["median_days"] == 2.5  # 4 and 1 days
    assert (rows["proposal"]["rate"], rows["proposal"]["median_days"]) == (100, 10.0)
    assert (rows["negotiation"]["entered"], rows["negotiation"]["rate"]) == (0, None)


def test_won_and_lost_totals_with_reasons(db_session, branch_b):
    f = queries.forecast(branch_b.head_b, start=START, end=END)
    assert (f.won_count, f.won_revenue_fen) == (1, 400_000_00)
    assert (f.lost_count, f.lost_revenue_fen) == (1, 150_000_00)
    assert f.lost_reasons == [("competitor", 1, 150_000_00)]
    # A period before any of it: nothing closed, nothing entered.
    empty = queries.forecast(branch_b.head_b, start=date(2025, 1, 1), end=date(2025, 12, 31))
    assert (empty.won_count, empty.lost_count) == (0, 0)
    assert all(r["entered"] == 0 for r in empty.conversion)


def test_scope_of_the_forecast(db_session, branch_b):
    # Branch A's head sees only the world's opportunity on company_a (1,000,000.00 x 10 %).
    a = queries.forecast(branch_b.head_a, start=START, end=END)
    assert (a.total_revenue_fen, a.total_weighted_fen) == (1_000_000_00, 100_000_00)
    everything = queries.forecast(branch_b.management, start=START, end=END)
    assert everything.total_weighted_fen == 855_000_00
    assert len(everything.by_branch) == 2


def test_forecast_page(client, login, branch_b):
    login(branch_b.head_b)
    client.get("/lang/en")
    page = client.get("/pipeline/forecast?from=2026-03-01&to=2026-03-31")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert "755,000" in html and "2026-12" in html
    assert "data:image/svg+xml;base64," in html
    assert "Went to a competitor" in html
    for bad in (
        "from=yesterday",
        "from=2026-04-01&to=2026-03-01",
        "from=1900-01-01&to=2026-01-01",
        "to=2026-02-30",
    ):
        response = client.get(f"/pipeline/forecast?{bad}")
        assert response.status_code == 200, bad
        assert "alert-warning" in response.get_data(as_text=True), bad
