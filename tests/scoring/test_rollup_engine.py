"""The engine reads whole months from the rollup and only the edges from the segments: its sums
must be identical to summing the segments directly, for any score date (month-ends, mid-month,
month starts, leap days), on SQLite and PostgreSQL."""

from datetime import date, timedelta

from portal.scoring import engine
from portal.scoring.engine import Rules, compute
from tests import factories
from tests.segments.reference import raw_aggregates

CABINS = ("F", "C", "W", "Y")


def _edge_world(session):
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


def _engine_aggregates(as_of: date) -> dict[int, dict]:
    """What compute() reads: the sums and last flights, assembled as it does."""
    ids = engine.scored_company_ids()
    aggregates = engine._aggregates(as_of)
    last_flights = {company_id: a["last"] for company_id, a in aggregates.items()}
    last_flights |= engine._last_flights(as_of, [i for i in ids if i not in aggregates])
    empty = {"revenue": 0, "segments": 0, "premium": 0, "previous": 0}
    return {
        company_id: {**{k: v for k, v in aggregates.get(company_id, empty).items() if k != "last"},
                     "last": last_flights.get(company_id)}
        for company_id in aggregates.keys() | set(ids)
    }  # fmt: skip


SCORE_DATES = [
    date(2024, 2, 29),
    date(2024, 2, 28),
    date(2024, 3, 1),
    date(2025, 2, 28),  # the window starts on 2024-03-01, a month start after a leap day
    date(2025, 3, 1),
    date(2025, 2, 27),
    date(2024, 12, 31),
    date(2025, 1, 1),
    date(2025, 12, 31),  # the window is exactly the calendar year
    date(2025, 6, 15),
    date(2025, 6, 30),
    date(2025, 7, 1),
    date(2026, 1, 15),
    date(2026, 3, 31),
    date(2023, 1, 31),
    date(2022, 11, 30),
    date(2027, 6, 30),  # everything older than two years
    date(2021, 1, 1),  # before every segment
]


def test_engine_sums_equal_the_segments_for_any_score_date(db_session):
    _edge_world(db_session)
    ids = engine.scored_company_ids()
    dates = SCORE_DATES + [date(2023, 12, 20) + timedelta(days=23 * i) for i in range(40)]
    for as_of in dates:
        assert _engine_aggregates(as_of) == raw_aggregates(db_session, as_of, ids), as_of


def test_compute_matches_the_reference_sums(db_session):
    _edge_world(db_session)
    as_of = date(2025, 8, 17)
    reference = raw_aggregates(db_session, as_of, engine.scored_company_ids())
    for score in compute(as_of, Rules.defaults()):
        r = reference[score.company_id]
        assert (score.revenue_fen, score.segments) == (r["revenue"], r["segments"])
        assert score.recency_days == ((as_of - r["last"]).days if r["last"] else None)
