"""The engine reads whole months from the rollup and only the edges from the segments: its sums
must be identical to summing the segments directly, for any score date (month-ends, mid-month,
month starts, leap days), on SQLite and PostgreSQL."""

from datetime import date, timedelta

from portal.scoring import engine
from portal.scoring.engine import Rules, compute
from tests.segments.reference import edge_world, raw_aggregates


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
    edge_world(db_session)
    ids = engine.scored_company_ids()
    dates = SCORE_DATES + [date(2023, 12, 20) + timedelta(days=23 * i) for i in range(40)]
    for as_of in dates:
        assert _engine_aggregates(as_of) == raw_aggregates(db_session, as_of, ids), as_of


def test_compute_matches_the_reference_sums(db_session):
    edge_world(db_session)
    as_of = date(2025, 8, 17)
    reference = raw_aggregates(db_session, as_of, engine.scored_company_ids())
    for score in compute(as_of, Rules.defaults()):
        r = reference[score.company_id]
        assert (score.revenue_fen, score.segments) == (r["revenue"], r["segments"])
        assert score.recency_days == ((as_of - r["last"]).days if r["last"] else None)
