"""Reference computations read straight from the segments, to check the monthly rollup and the
scoring engine that reads it."""

from datetime import date, timedelta

from sqlalchemy import case, func, select

from portal.segments.models import PREMIUM_CABINS, Segment, SegmentMonth
from tests import factories

WINDOW_DAYS = 365


def summed_in_python(session) -> dict[tuple[int, date], tuple]:
    """Per (company, first of month): revenue, segments, premium revenue, last flight, from
    every segment with a company, added up in Python."""
    sums: dict[tuple[int, date], list] = {}
    stmt = select(Segment.company_id, Segment.flight_date, Segment.cabin, Segment.net_revenue_fen).where(
        Segment.company_id.is_not(None)
    )
    for company_id, day, cabin, revenue in session.execute(stmt):
        row = sums.setdefault((company_id, day.replace(day=1)), [0, 0, 0, day])
        row[0] += revenue
        row[1] += 1
        row[2] += revenue if cabin in PREMIUM_CABINS else 0
        row[3] = max(row[3], day)
    return {key: tuple(row) for key, row in sums.items()}


def stored(session) -> dict[tuple[int, date], tuple]:
    """The rollup's rows, in the same shape."""
    session.flush()
    return {
        (r.company_id, r.month): (r.revenue_fen, r.segments, r.premium_revenue_fen, r.last_flight)
        for r in session.scalars(select(SegmentMonth))
    }


def assert_rollup_is_fresh(session) -> None:
    """The rollup equals the segments summed again."""
    assert stored(session) == summed_in_python(session)


def _as_date(value) -> date | None:
    return date.fromisoformat(value) if isinstance(value, str) else value


def _window_sums(session, first: date, last: date) -> dict[int, tuple]:
    premium = func.sum(case((Segment.cabin.in_(PREMIUM_CABINS), Segment.net_revenue_fen), else_=0))
    stmt = (
        select(
            Segment.company_id,
            func.sum(Segment.net_revenue_fen),
            func.count(),
            premium,
            func.max(Segment.flight_date),
        )
        .where(Segment.flight_date >= first, Segment.flight_date <= last, Segment.company_id.is_not(None))
        .group_by(Segment.company_id)
    )
    return {row[0]: tuple(row[1:]) for row in session.execute(stmt)}


def raw_aggregates(session, as_of: date, company_ids: list[int]) -> dict[int, dict]:
    """The scoring engine's per-company sums computed from the segments alone (the engine before
    the rollup): window revenue, segments and premium revenue, the previous year's revenue, and
    the last flight on or before `as_of` of each of `company_ids` and of every company that flew
    in the two years."""
    start = as_of - timedelta(days=WINDOW_DAYS)
    window = _window_sums(session, start + timedelta(days=1), as_of)
    previous = _window_sums(session, start - timedelta(days=WINDOW_DAYS - 1), start)
    last_flights = dict(
        session.execute(
            select(Segment.company_id, func.max(Segment.flight_date))
            .where(Segment.flight_date <= as_of, Segment.company_id.is_not(None))
            .group_by(Segment.company_id)
        ).all()
    )
    result = {}
    for company_id in window.keys() | previous.keys() | set(company_ids):
        revenue, segments, premium, _ = window.get(company_id, (0, 0, 0, None))
        previous_revenue = previous.get(company_id, (0,))[0]
        result[company_id] = {
            "revenue": int(revenue or 0),
            "segments": int(segments or 0),
            "premium": int(premium or 0),
            "previous": int(previous_revenue or 0),
            "last": _as_date(last_flights.get(company_id)),
        }
    return result


CABINS = ("F", "C", "W", "Y")


def edge_world(session):
    """Segments on the first and last day of every month, on leap days, every ninth day, and
    some without a company; one company that flew only long ago, one that never flew."""
    w = factories.small_world(session)
    edges, steady, old = w.company_a, w.company_a2, w.company_b
    factories.company(session, w.office_a, w.manager_a1, name_zh="从未飞行有限公司")
    n = 0
    month = date(2022, 11, 1)
    while month < date(2026, 4, 1):
        following = date(month.year + month.month // 12, month.month % 12 + 1, 1)
        for day in (month, following - timedelta(days=1)):
            n += 1
            factories.segment(session, edges, day, 1_000_00 + n * 37, cabin=CABINS[n % 4])
            factories.segment(session, None, day, 5_000_00)
        month = following
    for day in (date(2024, 2, 29), date(2024, 2, 28), date(2024, 3, 1), date(2025, 2, 28)):
        factories.segment(session, edges, day, 2_345_00, cabin="F")
    day = date(2022, 12, 3)
    while day < date(2026, 3, 1):
        n += 1
        factories.segment(session, steady, day, 500_00 + n, cabin=CABINS[n % 3])
        day += timedelta(days=9)
    factories.segment(session, old, date(2022, 12, 31), 800_00)
    factories.segment(session, old, date(2023, 1, 1), 900_00, cabin="C")
    session.flush()
    return w
