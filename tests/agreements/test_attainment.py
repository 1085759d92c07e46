"""Attainment: agreement years, run-rate forecast, rebate tiers at their edges, the one query."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import event

from portal.agreements import attainment
from portal.agreements.attainment import Tier, YearWindow
from portal.extensions import db
from tests import factories

TIERS = [Tier(Decimal(80), Decimal(1)), Tier(Decimal(100), Decimal(2)), Tier(Decimal(120), Decimal(3))]
COMMITMENT = 100_000_00  # 100,000 CNY in fen


@pytest.mark.parametrize(
    ("forecast_fen", "threshold", "rebate_fen"),
    [
        (80_000_00, 80, 800_00),  # exactly 80 % reaches the first tier: 1 % of 80,000
        (79_990_00, None, 0),  # 79.99 % reaches none
        (79_999_99, None, 0),  # one fen short
        (99_999_99, 80, 1_000_00),  # 1 % of 99,999.99 rounds to 1,000.00
        (100_000_00, 100, 2_000_00),
        (119_990_00, 100, 2_399_80),
        (120_000_00, 120, 3_600_00),
        (500_000_00, 120, 15_000_00),
        (0, None, 0),
    ],
)
def test_rebate_at_the_edges_of_the_tiers(forecast_fen, threshold, rebate_fen):
    tier, amount = attainment.rebate(forecast_fen, COMMITMENT, TIERS)
    assert (tier.threshold if tier else None) == threshold
    assert amount == rebate_fen


def test_rebate_without_commitment_or_tiers():
    assert attainment.rebate(10_000_00, 0, TIERS) == (None, 0)
    assert attainment.rebate(10_000_00, COMMITMENT, []) == (None, 0)


def test_rebate_picks_highest_tier_whatever_the_order():
    assert attainment.reached_tier(130_000_00, COMMITMENT, list(reversed(TIERS))).threshold == 120


def test_forecast_is_run_rate_to_year_end():
    # 100 days into a 365-day year with 10,000.00 CNY: 10,000 / 100 × 365 = 36,500.00
    assert attainment.forecast(10_000_00, 100, 365) == 36_500_00
    assert attainment.forecast(7, 3, 365) == 852  # 851.67 rounds half up
    assert attainment.forecast(0, 50, 365) == 0
    assert attainment.forecast(5, 0, 365) == 0  # nothing elapsed: no forecast
    assert attainment.forecast(123, 365, 365) == 123  # the year is over: the actual


def test_agreement_year_windows():
    # A two-year agreement: the second year while it runs, the last once it ended.
    f, t = date(2025, 3, 15), date(2027, 3, 14)
    assert attainment.agreement_year(f, t, date(2026, 5, 1)) == YearWindow(
        date(2026, 3, 15), date(2027, 3, 14)
    )
    assert attainment.agreement_year(f, t, date(2026, 3, 14)) == YearWindow(
        date(2025, 3, 15), date(2026, 3, 14)
    )
    assert attainment.agreement_year(f, t, date(2026, 3, 15)).start == date(2026, 3, 15)
    assert attainment.agreement_year(f, t, date(2030, 1, 1)) == YearWindow(
        date(2026, 3, 15), date(2027, 3, 14)
    )
    assert attainment.agreement_year(f, t, date(2025, 3, 14)) is None
    # A short final year is cut at valid_to.
    assert attainment.agreement_year(date(2025, 1, 1), date(2026, 6, 30), date(2026, 2, 1)).days == 181
    # 29 February anniversaries fall on 28 February.
    assert attainment.add_years(date(2024, 2, 29), 1) == date(2025, 2, 28)


def test_compute_in_the_middle_of_the_year():
    result = attainment.compute(
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        today=date(2026, 4, 10),  # day 100 of 365
        revenue_fen=24_000_00,
        segments=40,
        commitment_revenue_fen=COMMITMENT,
        commitment_segments=200,
        tiers=TIERS,
    )
    assert result.elapsed_days == 100 and result.window.days == 365
    assert result.forecast_revenue_fen == 87_600_00  # 24,000 / 100 × 365
    assert result.forecast_segments == 146
    assert result.revenue_percent == Decimal("24.00")
    assert result.segments_percent == Decimal("20.00")
    assert result.forecast_percent == Decimal("87.60")
    assert result.tier.threshold == 80 and result.rebate_fen == 876_00
    assert result.progress == Decimal("24.00")


def test_progress_is_capped_for_the_bar():
    result = attainment.compute(
        valid_from=date(2026, 1, 1),
        valid_to=date(2026, 12, 31),
        today=date(2026, 12, 31),
        revenue_fen=2 * COMMITMENT,
        segments=0,
        commitment_revenue_fen=COMMITMENT,
        commitment_segments=0,
        tiers=TIERS,
    )
    assert result.revenue_percent == Decimal("200.00") and result.progress == 100
    assert result.segments_percent is None
    assert result.forecast_revenue_fen == 2 * COMMITMENT


def test_for_agreement_counts_the_year_in_one_query(app, db_session, world):
    today = date.today()
    agreement = world.agreement_a  # valid from today - 100 days, for a year
    assert agreement.incentive_tiers == []  # loaded before counting: only the aggregate is counted
    start = agreement.valid_from
    factories.segment(db_session, world.company_a, start, 10_000_00)
    factories.segment(db_session, world.company_a, today, 5_000_00, cabin="C")
    factories.segment(db_session, world.company_a, start - timedelta(days=1), 99_000_00)  # before
    factories.segment(db_session, world.company_a, today + timedelta(days=1), 99_000_00)  # not flown yet
    factories.segment(db_session, world.company_b, today, 99_000_00)  # another company
    db_session.flush()
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", count)
    try:
        result = attainment.for_agreement(agreement, today)
    finally:
        event.remove(engine, "before_cursor_execute", count)
    assert len(statements) == 1
    assert (result.revenue_fen, result.segments) == (15_000_00, 2)
    assert result.elapsed_days == 101
    assert result.forecast_revenue_fen == attainment.forecast(15_000_00, 101, result.window.days)
