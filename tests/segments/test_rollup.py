"""The monthly rollup (SegmentMonth) stays equal to the segments after every kind of write,
on SQLite and PostgreSQL: ORM adds, changes and deletes, the bookings import, a company merge
and the explicit refreshes."""

from datetime import date

from sqlalchemy import delete, update

from portal.companies import merge
from portal.imports.tasks import run_import
from portal.segments import rollup
from portal.segments.models import SegmentMonth
from tests import factories
from tests.imports.files import ZH_HEADER, booking, csv_bytes
from tests.segments.reference import assert_rollup_is_fresh, stored


def test_orm_adds_changes_and_deletes(world, db_session):
    a, b = world.company_a, world.company_b
    s1 = factories.segment(db_session, a, date(2026, 1, 31), 1_000_00, cabin="F")
    s2 = factories.segment(db_session, a, date(2026, 2, 1), 2_000_00, cabin="C")
    s3 = factories.segment(db_session, b, date(2024, 2, 29), 3_000_00)
    factories.segment(db_session, None, date(2026, 2, 1), 9_000_00)  # no company: not counted
    db_session.flush()
    assert_rollup_is_fresh(db_session)
    assert stored(db_session)[(a.id, date(2026, 1, 1))] == (1_000_00, 1, 1_000_00, date(2026, 1, 31))

    s1.flight_date = date(2026, 2, 28)  # to another month
    s2.company_id = b.id  # to another company
    s3.net_revenue_fen, s3.cabin, s3.fare_class = 4_000_00, "C", "J"
    db_session.flush()
    assert_rollup_is_fresh(db_session)
    assert (a.id, date(2026, 1, 1)) not in stored(db_session)

    # Old values of expired rows are still found (the columns keep their active history).
    db_session.commit()
    s1.company_id = None
    s3.flight_date = date(2024, 3, 1)
    db_session.flush()
    assert_rollup_is_fresh(db_session)

    db_session.commit()
    db_session.delete(s2)
    db_session.delete(s3)
    db_session.flush()
    assert_rollup_is_fresh(db_session)
    assert stored(db_session) == {}


def test_refresh_functions_rebuild_what_they_name(world, db_session):
    a, b = world.company_a, world.company_b
    for day in (date(2025, 12, 31), date(2026, 1, 1), date(2026, 1, 15), date(2026, 3, 31)):
        factories.segment(db_session, a, day, 1_000_00, cabin="C")
        factories.segment(db_session, b, day, 500_00)
    db_session.flush()
    table = SegmentMonth.__table__
    wiped = delete(table)
    drift = update(table).values(revenue_fen=1)

    db_session.execute(wiped)
    rollup.refresh_all()
    assert_rollup_is_fresh(db_session)

    db_session.execute(drift.where(table.c.month.in_([date(2026, 1, 1), date(2026, 3, 1)])))
    rollup.refresh_months([date(2026, 1, 20), date(2026, 3, 31)])
    assert_rollup_is_fresh(db_session)

    db_session.execute(drift.where(table.c.company_id == b.id))
    rollup.refresh_companies([b.id])
    assert_rollup_is_fresh(db_session)


def test_bookings_import_refreshes_the_months_it_wrote(ctx, world, db_session):
    a, b = world.company_a, world.company_b
    factories.segment(db_session, a, date(2026, 3, 5), 7_000_00)
    db_session.commit()
    rows = [
        ZH_HEADER,
        booking(a.credit_code, "9990000000001", day="2026-03-01", revenue="1000"),
        booking(a.credit_code, "9990000000002", day="2026-03-31", cabin="F", fare="F", revenue="5000"),
        booking(b.credit_code, "9990000000003", day="2026-04-01", revenue="800"),
        booking(b.credit_code, "9990000000004", day="2025-12-31", cabin="C", fare="J", revenue="3000"),
        booking(a.credit_code, "bad ticket", day="2026-05-01"),  # rejected: no month touched
    ]
    dry = run_import("bookings", csv_bytes(rows), "bookings.csv", dry_run=True)
    assert dry.rows_imported == 4
    assert_rollup_is_fresh(db_session)
    outcome = run_import("bookings", csv_bytes(rows), "bookings.csv")
    assert (outcome.rows_imported, outcome.rows_rejected) == (4, 1)
    assert_rollup_is_fresh(db_session)
    assert stored(db_session)[(a.id, date(2026, 3, 1))] == (13_000_00, 3, 5_000_00, date(2026, 3, 31))
    again = run_import("bookings", csv_bytes(rows), "bookings.csv")
    assert again.rows_existing == 4
    assert_rollup_is_fresh(db_session)


def test_merge_moves_the_monthly_sums(ctx, world, db_session):
    survivor, absorbed = world.company_a2, world.company_a
    factories.segment(db_session, absorbed, date(2026, 3, 1), 100_00)
    factories.segment(db_session, absorbed, date(2026, 4, 30), 200_00, cabin="F")
    factories.segment(db_session, survivor, date(2026, 3, 31), 400_00)
    db_session.commit()
    merge.merge_companies(survivor, absorbed)
    db_session.commit()
    assert_rollup_is_fresh(db_session)
    months = stored(db_session)
    assert months[(survivor.id, date(2026, 3, 1))] == (500_00, 2, 0, date(2026, 3, 31))
    assert not [key for key in months if key[0] == absorbed.id]
