"""Keeps SegmentMonth (segments summed per company and month) equal to the segments.

Whoever writes segments refreshes the rows it touched: changes made through the ORM by a
flush hook, bulk writers (the demo seed, the bookings import, a company merge) by calling a
refresh_* function. A refresh deletes the affected rows and sums them again from the
segments, set-based; it flushes and never commits. A bulk writer whose rows were all new may
instead add their sums to the stored rows (MonthSums), without summing whole months again.
On PostgreSQL refreshes and additions take one advisory lock until their transaction ends:
two imports summing the same month at once would otherwise insert the same rows, and the
later one would fail on the primary key.
"""

import zlib
from collections import defaultdict
from collections.abc import Iterable, Sequence
from datetime import date

import sqlalchemy as sa
from sqlalchemy import and_, case, delete, event, func, insert, inspect, or_, select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.engine import Connection
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.expression import ColumnElement, FunctionElement

from portal.extensions import db
from portal.segments.models import PREMIUM_CABINS, Segment, SegmentMonth
from portal.timeutil import first_of_month, next_month

PAIRS_PER_STATEMENT = 200  # companies per refresh statement of the flush hook
COMPANIES_PER_STATEMENT = 2_000  # companies a month refresh names (bound parameters)
LOCK_KEY = zlib.crc32(b"portal:segment_month")  # stable across processes
_PENDING = "segment_month_pending"


class month_of(FunctionElement):
    """The first day of a date's month, as a DATE of the database."""

    type = sa.Date()
    name = "month_of"
    inherit_cache = True


@compiles(month_of, "sqlite")
def _month_of_sqlite(element, compiler, **kw) -> str:
    return f"date({compiler.process(element.clauses, **kw)}, 'start of month')"


@compiles(month_of, "postgresql")
def _month_of_postgresql(element, compiler, **kw) -> str:
    return f"CAST(date_trunc('month', {compiler.process(element.clauses, **kw)}) AS DATE)"


def refresh_all() -> None:
    """Sum every segment again (after a bulk load)."""
    _refresh(db.session, sa.true(), sa.true())


def refresh_companies(company_ids: Iterable[int]) -> None:
    """Sum again every month of these companies (segments moved between companies)."""
    ids = sorted({i for i in company_ids if i is not None})
    if ids:
        _refresh(db.session, SegmentMonth.company_id.in_(ids), Segment.company_id.in_(ids))


def refresh_months(months: Iterable[date], company_ids: Iterable[int] | None = None) -> None:
    """Sum again these months (any day of the month names it) of every company, or only of
    `company_ids` (the companies a batch wrote to: far fewer rows to sum than whole months)."""
    starts = sorted({first_of_month(m) for m in months})
    if not starts:
        return
    rollup_where, segment_where = SegmentMonth.month.in_(starts), _flown_in(starts)
    ids = sorted({i for i in company_ids if i is not None}) if company_ids is not None else []
    if 0 < len(ids) <= COMPANIES_PER_STATEMENT:  # more: whole months, in one plain statement
        rollup_where = and_(rollup_where, SegmentMonth.company_id.in_(ids))
        segment_where = and_(segment_where, Segment.company_id.in_(ids))
    _refresh(db.session, rollup_where, segment_where)


def _flown_in(starts: list[date]) -> ColumnElement[bool]:
    """Segments flown in the months starting on `starts` (sorted): one date range per run of
    consecutive months, so the flight_date index serves it."""
    ranges: list[list[date]] = []
    for start in starts:
        if ranges and ranges[-1][1] == start:
            ranges[-1][1] = next_month(start)
        else:
            ranges.append([start, next_month(start)])
    return or_(*(and_(Segment.flight_date >= a, Segment.flight_date < b) for a, b in ranges))


def _refresh(session: Session, rollup_where, segment_where, connection: Connection | None = None) -> None:
    """Delete the rollup rows matching `rollup_where`, then insert the sums of the segments
    matching `segment_where`; both conditions must describe the same (company, month) rows."""
    if connection is None:
        session.flush()  # pending ORM segments first; their own refresh runs in the hook
        connection = session.connection()
    _lock(connection)
    table = SegmentMonth.__table__
    month = month_of(Segment.flight_date)
    premium = case((Segment.cabin.in_(PREMIUM_CABINS), Segment.net_revenue_fen), else_=0)
    sums = (
        select(
            Segment.company_id,
            month,
            func.sum(Segment.net_revenue_fen),
            func.count(),
            func.sum(premium),
            func.max(Segment.flight_date),
        )
        .where(Segment.company_id.is_not(None), segment_where)
        .group_by(Segment.company_id, month)
    )
    connection.execute(delete(table).where(rollup_where))
    connection.execute(
        insert(table).from_select(
            ["company_id", "month", "revenue_fen", "segments", "premium_revenue_fen", "last_flight"], sums
        )
    )


def _lock(connection: Connection) -> None:
    if connection.dialect.name == "postgresql":
        # Waits for the refreshes of other transactions to commit: each statement after it
        # then sees their rows (READ COMMITTED), so deleting and summing again is whole.
        connection.execute(sa.text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


class MonthSums:
    """The sums by (company, month) of the rows a bulk writer of segments wrote (tuples whose
    values are in `columns` order, each with a company, a flight date and a net revenue).

    When every one of those rows was new, `add_to_rollup` adds the sums to the stored rows in
    one statement; otherwise `refresh` sums their months again from the segments."""

    def __init__(self, columns: Sequence[str]):
        self.at = [columns.index(c) for c in ("company_id", "flight_date", "cabin", "net_revenue_fen")]
        self.sums: dict[tuple[int, date], list] = {}  # -> [revenue, segments, premium, last flight]
        self.months: dict[date, date] = {}  # day -> the first of its month: days repeat

    def add(self, rows: Iterable[Sequence]) -> None:
        company_at, day_at, cabin_at, revenue_at = self.at
        sums, months = self.sums, self.months
        for row in rows:
            day, revenue = row[day_at], row[revenue_at]
            month = months.get(day)
            if month is None:
                month = months[day] = first_of_month(day)
            entry = sums.get((row[company_at], month))
            if entry is None:
                entry = sums[(row[company_at], month)] = [0, 0, 0, day]
            entry[0] += revenue
            entry[1] += 1
            if row[cabin_at] in PREMIUM_CABINS:
                entry[2] += revenue
            if day > entry[3]:
                entry[3] = day

    def add_to_rollup(self) -> None:
        """Add the sums to SegmentMonth (a missing row is inserted); flushes."""
        if not self.sums:
            return
        session = db.session
        session.flush()
        connection = session.connection()
        _lock(connection)
        table = SegmentMonth.__table__
        upsert = {"postgresql": pg_insert, "sqlite": sqlite_insert}[connection.dialect.name](table)
        new = upsert.excluded
        connection.execute(
            upsert.on_conflict_do_update(
                index_elements=["company_id", "month"],
                set_={
                    "revenue_fen": table.c.revenue_fen + new.revenue_fen,
                    "segments": table.c.segments + new.segments,
                    "premium_revenue_fen": table.c.premium_revenue_fen + new.premium_revenue_fen,
                    "last_flight": case(
                        (new.last_flight > table.c.last_flight, new.last_flight), else_=table.c.last_flight
                    ),
                },
            ),
            [
                {
                    "company_id": company_id,
                    "month": month,
                    "revenue_fen": revenue,
                    "segments": segments,
                    "premium_revenue_fen": premium,
                    "last_flight": last,
                }
                for (company_id, month), (revenue, segments, premium, last) in sorted(self.sums.items())
            ],
        )

    def refresh(self) -> None:
        """Sum the months of these rows again, for their companies."""
        refresh_months({month for _, month in self.sums}, {company_id for company_id, _ in self.sums})


def _refresh_pairs(session: Session, connection: Connection, pairs: set[tuple[int, date]]) -> None:
    """Sum again the given (company id, first of month) rows."""
    by_company: dict[int, list[date]] = defaultdict(list)
    for company_id, month in sorted(pairs):
        by_company[company_id].append(month)
    companies = list(by_company.items())
    for i in range(0, len(companies), PAIRS_PER_STATEMENT):
        chunk = companies[i : i + PAIRS_PER_STATEMENT]
        _refresh(
            session,
            or_(*(and_(SegmentMonth.company_id == c, SegmentMonth.month.in_(ms)) for c, ms in chunk)),
            or_(*(and_(Segment.company_id == c, _flown_in(ms)) for c, ms in chunk)),
            connection,
        )


def _touched(obj: Segment) -> set[tuple[int, date]]:
    """The (company, month) rows a new, changed or deleted segment adds to or leaves."""
    state = inspect(obj)
    companies = {obj.company_id, *state.attrs.company_id.history.deleted}
    days = {obj.flight_date, *state.attrs.flight_date.history.deleted}
    return {(c, first_of_month(d)) for c in companies if c is not None for d in days if d is not None}


def _before_flush(session: Session, flush_context, instances) -> None:
    # Old values are still readable here (after the flush, deleted rows are gone).
    pairs: set[tuple[int, date]] = set()
    for obj in (*session.new, *session.deleted):
        if isinstance(obj, Segment):
            pairs |= _touched(obj)
    for obj in session.dirty:
        if isinstance(obj, Segment) and session.is_modified(obj):
            pairs |= _touched(obj)
    if pairs:
        session.info.setdefault(_PENDING, set()).update(pairs)


def _after_flush(session: Session, flush_context) -> None:
    pairs = session.info.pop(_PENDING, None)
    if pairs:
        _refresh_pairs(session, session.connection(), pairs)


def install() -> None:
    """Hook the ORM refresh into every session (idempotent)."""
    if event.contains(Session, "before_flush", _before_flush):
        return
    event.listen(Session, "before_flush", _before_flush)
    event.listen(Session, "after_flush", _after_flush)
