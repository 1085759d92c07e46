"""Recommendation rules, each at its boundary (pure functions: no database, no PDF)."""

from decimal import Decimal

import pytest

from portal.reviews import recommendations as rec
from portal.reviews.periods import parse


def data(**overrides) -> dict:
    base = {
        "kpis": {"premium_share_change": None, "growth_percent": None},
        "score": {"tier": "silver", "activity_status": "active"},
        "attainment": None,
        "complaints": {"open_past_due": 0},
        "revisits": {"days_since_last": 10},
    }
    for key, value in overrides.items():
        base[key] = (
            base[key] | value if isinstance(base.get(key), dict) and isinstance(value, dict) else value
        )
    return base


def codes(d) -> list[str]:
    return [f["code"] for f in rec.recommend(d)]


def test_nothing_to_recommend():
    assert rec.recommend(data()) == []


@pytest.mark.parametrize(
    ("status", "expected"), [("sleeping", True), ("declining", False), ("active", False)]
)
def test_sleeping_gets_reactivation_visit(status, expected):
    assert (rec.sleeping(data(score={"activity_status": status})) is not None) is expected


@pytest.mark.parametrize(("change", "expected"), [("5.0", True), ("4.9", False), ("12", True), ("-6", False)])
def test_premium_rising_five_points(change, expected):
    found = rec.premium_rising(data(kpis={"premium_share_change": Decimal(change)}))
    assert (found is not None) is expected


@pytest.mark.parametrize(
    ("forecast", "elapsed", "expected"),
    [("99.9", "50.0", True), ("100.0", "50.0", False), ("99.9", "49.9", False), ("60", "90", True)],
)
def test_attainment_risk_at_mid_year(forecast, elapsed, expected):
    att = {"forecast_percent": Decimal(forecast), "elapsed_percent": Decimal(elapsed)}
    assert (rec.attainment_risk(data(attainment=att)) is not None) is expected


def test_attainment_risk_needs_an_agreement():
    assert rec.attainment_risk(data(attainment=None)) is None
    assert rec.attainment_risk(data(attainment={"forecast_percent": None, "elapsed_percent": None})) is None


@pytest.mark.parametrize(("overdue", "expected"), [(0, False), (1, True)])
def test_overdue_complaints_escalate(overdue, expected):
    found = rec.complaints_overdue(data(complaints={"open_past_due": overdue}))
    assert (found is not None) is expected
    if expected:
        assert found["count"] == 1 and found["priority"] == 1


@pytest.mark.parametrize(
    ("growth", "expected"), [("-20.0", False), ("-20.1", True), ("5", False), (None, False)]
)
def test_decline_over_twenty_percent_gets_retention_call(growth, expected):
    value = Decimal(growth) if growth is not None else None
    assert (rec.declining(data(kpis={"growth_percent": value})) is not None) is expected


@pytest.mark.parametrize(
    ("tier", "days", "expected"),
    [("platinum", 60, False), ("platinum", 61, True), ("platinum", None, True), ("gold", 200, False)],
)
def test_top_tier_without_revisit_in_sixty_days(tier, days, expected):
    found = rec.top_tier_unvisited(data(score={"tier": tier}, revisits={"days_since_last": days}))
    assert (found is not None) is expected


def test_most_urgent_first():
    d = data(
        score={"tier": "platinum", "activity_status": "sleeping"},
        kpis={"premium_share_change": Decimal(8), "growth_percent": Decimal(-30)},
        complaints={"open_past_due": 2},
        revisits={"days_since_last": None},
    )
    assert codes(d) == [
        "reactivation_visit",
        "escalate_complaints",
        "retention_call",
        "top_tier_visit",
        "upgrade_offer",
    ]


def test_periods():
    q = parse("2026q1")
    assert (q.code, q.start.isoformat(), q.end.isoformat()) == ("2026Q1", "2026-01-01", "2026-03-31")
    assert q.previous().code == "2025Q4" and parse("2026Q4").end.isoformat() == "2026-12-31"
    assert parse("2026").previous().code == "2025" and len(parse("2026").months()) == 12
    for bad in ("2026Q5", "26Q1", "2026-Q1", "", "1999", "2026Q0"):
        with pytest.raises(ValueError):
            parse(bad)
