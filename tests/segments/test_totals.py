"""One company's totals over a range of days read whole months from the rollup and the edge days
from the segments: they must equal summing the segments directly, for any range (inside one
month, across month and year ends, leap days, whole months only, nothing flown)."""

from datetime import date, timedelta

from sqlalchemy import func, select

from portal.segments.models import Segment
from portal.segments.totals import company_totals, totals_by_company
from tests.segments.reference import edge_world

RANGES = [
    (date(2024, 2, 12), date(2025, 2, 11)),  # an agreement year, both ends mid-month
    (date(2024, 3, 1), date(2025, 2, 28)),  # whole months only
    (date(2024, 2, 29), date(2024, 2, 29)),  # one leap day
    (date(2024, 2, 28), date(2024, 3, 1)),  # across a leap month's end
    (date(2024, 5, 2), date(2024, 5, 30)),  # inside one month, no whole month
    (date(2024, 5, 1), date(2024, 5, 31)),  # exactly one month
    (date(2024, 12, 31), date(2025, 1, 1)),  # across a year end
    (date(2022, 11, 1), date(2026, 3, 31)),  # everything
    (date(2021, 1, 1), date(2021, 12, 31)),  # before every segment
    (date(2025, 3, 1), date(2025, 2, 28)),  # an empty range
]


def _raw(session, company_id: int, first: date, last: date) -> tuple[int, int]:
    revenue, count = session.execute(
        select(func.coalesce(func.sum(Segment.net_revenue_fen), 0), func.count()).where(
            Segment.company_id == company_id, Segment.flight_date >= first, Segment.flight_date <= last
        )
    ).one()
    return int(revenue), int(count)


def test_company_totals_equal_the_segments_for_any_range(db_session):
    w = edge_world(db_session)
    ranges = RANGES + [
        (date(2023, 1, 17) + timedelta(days=29 * i), date(2024, 1, 16) + timedelta(days=31 * i))
        for i in range(20)
    ]
    for company in (w.company_a, w.company_a2, w.company_b):
        for first, last in ranges:
            assert company_totals(company.id, first, last) == _raw(db_session, company.id, first, last), (
                company.name_zh,
                first,
                last,
            )


def test_totals_by_company_equal_the_segments_for_any_range(db_session):
    """The grouped totals (a group's members) read the same as the segments, in one query."""
    w = edge_world(db_session)
    ids = [w.company_a.id, w.company_a2.id, w.company_b.id]
    for first, last in RANGES:
        expected = {i: _raw(db_session, i, first, last) for i in ids}
        assert totals_by_company(ids, first, last) == {i: t for i, t in expected.items() if t[1]}, (
            first,
            last,
        )
    assert totals_by_company([], RANGES[0][0], RANGES[0][1]) == {}
