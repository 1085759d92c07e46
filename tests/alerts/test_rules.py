"""Early warnings: the churn rules (boundaries: exactly 60 % of a year before, exactly 20 % of
the ranks), one alert per episode, roster compliance (exactly 30 % and 60 %), the daily job."""

from datetime import date

import pytest
from sqlalchemy import select

from portal.alerts import operations as rules
from portal.alerts.models import Alert
from portal.jobs.runner import run_job
from portal.notifications.models import Notification
from tests import factories

TODAY = date(2026, 12, 7)  # last three whole months: Sep-Nov 2026; a year before: Sep-Nov 2025


def snapshot(session, company, day: date, rank: int, status: str = "active"):
    factories.snapshot(session, company, day, rank, status=status)


def alerts(session, company, kind="churn"):
    stmt = select(Alert).where(Alert.company_id == company.id, Alert.kind == kind)
    return list(session.scalars(stmt.order_by(Alert.id)))


def revenue(session, company, before: int, recent: int):
    factories.segment(session, company, date(2025, 10, 15), before)
    factories.segment(session, company, date(2026, 10, 15), recent)
    session.flush()


@pytest.mark.parametrize(
    ("before", "recent"),
    [(100_000, 60_000), (0, 0)],
    ids=["revenue_at_exactly_60_percent_of_a_year_before", "without_revenue_a_year_before"],
)
def test_no_churn_alert(db_session, world, before, recent):
    revenue(db_session, world.company_a, before, recent)
    rules.raise_churn_alerts(TODAY)
    assert alerts(db_session, world.company_a) == []


def test_revenue_just_below_60_percent_raises_one_alert_with_its_reason(db_session, world):
    revenue(db_session, world.company_a, 100_000, 59_999)
    counts = rules.raise_churn_alerts(TODAY)
    [alert] = alerts(db_session, world.company_a)
    assert counts["churn_opened"] == 1
    assert alert.reason["rules"] == ["revenue_drop"]
    assert (alert.reason["recent_fen"], alert.reason["year_before_fen"]) == (59_999, 100_000)
    assert alert.episode == TODAY.isoformat() and alert.closed_on is None
    assert alert.revenue_at_stake_fen == 59_999  # the last twelve whole months


def test_one_alert_per_episode_closed_when_no_rule_holds_and_a_new_episode_later(db_session, world):
    revenue(db_session, world.company_a, 100_000, 10_000)
    rules.raise_churn_alerts(TODAY)
    rules.raise_churn_alerts(TODAY)  # the job run twice
    rules.raise_churn_alerts(date(2026, 12, 8))  # the next day, still at risk
    [alert] = alerts(db_session, world.company_a)
    assert alert.closed_on is None
    factories.segment(db_session, world.company_a, date(2026, 11, 3), 60_000)  # recovered
    db_session.flush()
    assert rules.raise_churn_alerts(date(2026, 12, 9))["churn_closed"] == 1
    assert alerts(db_session, world.company_a)[0].closed_on == date(2026, 12, 9)
    # January: Oct-Dec 2026 against Oct-Dec 2025, at risk again: a second episode.
    factories.segment(db_session, world.company_a, date(2025, 12, 15), 500_000)
    db_session.flush()
    rules.raise_churn_alerts(date(2027, 1, 5))
    first, second = alerts(db_session, world.company_a)
    assert first.closed_on == date(2026, 12, 9)
    assert second.episode == "2027-01-05" and second.closed_on is None


def _ranked(session, world, n: int):
    """n companies ranked on 2026-09-01 and 2026-12-01 (company_a among them)."""
    others = [factories.company(session, world.office_a) for _ in range(n - 1)]
    return others


def test_a_fall_of_exactly_20_percent_of_the_ranks_within_a_quarter_raises_an_alert(db_session, world):
    others = _ranked(db_session, world, 10)
    snapshot(db_session, world.company_a, date(2026, 9, 1), 1)
    snapshot(db_session, world.company_a, date(2026, 12, 1), 3)  # 2 places of 10 ranked: 20 %
    for i, c in enumerate(others):
        snapshot(db_session, c, date(2026, 12, 1), 1 if i == 0 else i + 3)
    rules.raise_churn_alerts(TODAY)
    [alert] = alerts(db_session, world.company_a)
    assert alert.reason["rules"] == ["rank_fall"]
    assert (alert.reason["best_rank"], alert.reason["rank"], alert.reason["ranked"]) == (1, 3, 10)


def test_a_fall_below_20_percent_of_the_ranks_raises_nothing(db_session, world):
    others = _ranked(db_session, world, 11)
    snapshot(db_session, world.company_a, date(2026, 9, 1), 1)
    snapshot(db_session, world.company_a, date(2026, 12, 1), 3)  # 2 of 11: 18 %
    for i, c in enumerate(others):
        snapshot(db_session, c, date(2026, 12, 1), 1 if i == 0 else i + 3)
    rules.raise_churn_alerts(TODAY)
    assert alerts(db_session, world.company_a) == []


def test_turning_sleeping_raises_an_alert_and_a_long_sleeper_does_not(db_session, world):
    snapshot(db_session, world.company_a, date(2026, 11, 1), 1, "active")
    snapshot(db_session, world.company_a, date(2026, 12, 1), 1, "sleeping")
    snapshot(db_session, world.company_a2, date(2026, 11, 1), 2, "sleeping")
    snapshot(db_session, world.company_a2, date(2026, 12, 1), 2, "sleeping")
    rules.raise_churn_alerts(TODAY)
    [alert] = alerts(db_session, world.company_a)
    assert alert.reason["rules"] == ["turned_sleeping"]
    assert alerts(db_session, world.company_a2) == []


# --- roster compliance --------------------------------------------------------------------------


def roster_month(session, company, on_roster: int, off_roster: int):
    """Segments in November 2026: some by a roster traveller (by FF number), some by others."""
    ff = factories.traveller(session, company, name="张三", ff_number="CA000000001").ff_number
    for i in range(on_roster):
        day = date(2026, 11, 2 + i)
        factories.segment(session, company, day, 10_000, traveller_name="ZHANG/SAN", ff_number=ff)
    for i in range(off_roster):
        factories.segment(session, company, date(2026, 11, 2 + i), 10_000, traveller_name=f"外人{i}")
    session.flush()


def test_exactly_30_percent_off_the_roster_raises_nothing(db_session, world):
    roster_month(db_session, world.company_a, 7, 3)
    rules.raise_roster_alerts(TODAY)
    assert alerts(db_session, world.company_a, "roster") == []


def test_above_30_percent_is_a_warning_on_the_company_not_flagged(db_session, world):
    roster_month(db_session, world.company_a, 6, 4)
    rules.raise_roster_alerts(TODAY)
    [alert] = alerts(db_session, world.company_a, "roster")
    assert (alert.level, alert.episode, alert.flagged_at) == ("warning", "2026-11", None)
    assert (alert.reason["off"], alert.reason["total"]) == (4, 10)


def test_exactly_60_percent_is_a_warning_and_above_is_flagged_to_the_branch_head_once(db_session, world):
    roster_month(db_session, world.company_a, 4, 6)
    rules.raise_roster_alerts(TODAY)
    [alert] = alerts(db_session, world.company_a, "roster")
    assert alert.level == "warning"
    factories.segment(db_session, world.company_a, date(2026, 11, 20), 10_000, traveller_name="外人X")
    db_session.flush()  # 7 of 11 off the roster: 64 %
    assert rules.raise_roster_alerts(TODAY)["roster_flagged"] == 1
    rules.raise_roster_alerts(date(2026, 12, 8))
    [alert] = alerts(db_session, world.company_a, "roster")
    assert alert.level == "flagged" and alert.flagged_at is not None
    told = db_session.scalars(select(Notification).where(Notification.kind == "roster_flagged")).all()
    assert [n.user_id for n in told] == [world.head_a.id]
    assert "7" in told[0].message and "11" in told[0].message


def test_roster_matches_by_frequent_flyer_number_else_by_name(db_session, world):
    company = world.company_a
    factories.traveller(db_session, company, name="李四", ff_number="CA000000009")
    factories.traveller(db_session, company, name="王五", ff_number=None)
    on = [
        dict(traveller_name="LI/SI", ff_number="CA000000009"),  # by number, another spelling
        dict(traveller_name="李四"),  # no number on the coupon: by name
        dict(traveller_name="王五", ff_number="CA777777777"),  # the roster entry has no number
    ]
    off = [
        dict(traveller_name="李四", ff_number="CA123456789"),  # someone else's number
        dict(traveller_name="赵六"),
    ]
    for i, kw in enumerate(on + off):
        factories.segment(db_session, company, date(2026, 11, 3 + i), 10_000, **kw)
    db_session.flush()
    assert rules.roster_shares(date(2026, 11, 1), [company.id]) == {company.id: (2, 5)}


def test_the_daily_job_raises_each_alert_once(app, db_session, world):
    revenue(db_session, world.company_a, 100_000, 10_000)
    roster_month(db_session, world.company_b, 1, 9)
    db_session.commit()
    first = run_job("early_warnings", today=TODAY).counts
    second = run_job("early_warnings", today=TODAY).counts
    assert first["churn_opened"] == 1 and first["roster_opened"] == 1 and first["roster_flagged"] == 1
    assert second["churn_opened"] == 0 and second["roster_opened"] == 0 and second["roster_flagged"] == 0
    assert len(alerts(db_session, world.company_a)) == 1
    assert len(alerts(db_session, world.company_b, "roster")) == 1
