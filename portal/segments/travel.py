"""A company's travel history: filtered segments, their totals and monthly figures, all
aggregated in SQL (GROUP BY month) with a fixed number of queries whatever the history holds."""

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

from sqlalchemy import case, extract, func, select

from portal.agreements.models import CABINS
from portal.extensions import db
from portal.segments.models import Segment

PREMIUM_CABINS = ("F", "C")


@dataclass(frozen=True)
class TravelFilter:
    """What the travel page is narrowed to (all optional)."""

    date_from: date | None = None
    date_to: date | None = None
    origin: str = ""
    destination: str = ""
    cabin: str = ""
    traveller: str = ""

    def conditions(self, company_id: int) -> list:
        """The WHERE conditions on Segment."""
        where = [Segment.company_id == company_id]
        if self.date_from:
            where.append(Segment.flight_date >= self.date_from)
        if self.date_to:
            where.append(Segment.flight_date <= self.date_to)
        if self.origin:
            where.append(Segment.origin == self.origin)
        if self.destination:
            where.append(Segment.destination == self.destination)
        if self.cabin in CABINS:
            where.append(Segment.cabin == self.cabin)
        if self.traveller:
            escaped = self.traveller.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
            where.append(Segment.traveller_name.ilike(f"%{escaped}%", escape="\\"))
        return where


@dataclass
class Totals:
    segments: int = 0
    revenue_fen: int = 0
    premium_revenue_fen: int = 0

    @property
    def average_fare_fen(self) -> int:
        return round(self.revenue_fen / self.segments) if self.segments else 0

    @property
    def premium_share(self) -> Decimal:
        """Share of revenue flown in first and business, 0–100 with one decimal."""
        if not self.revenue_fen:
            return Decimal(0)
        return (Decimal(self.premium_revenue_fen) * 100 / Decimal(self.revenue_fen)).quantize(Decimal("0.1"))


@dataclass
class Month:
    month: date
    segments: int = 0
    revenue_fen: int = 0


def totals(where: list) -> Totals:
    """Segments, revenue and premium revenue of the filtered segments (one query)."""
    premium = func.coalesce(
        func.sum(case((Segment.cabin.in_(PREMIUM_CABINS), Segment.net_revenue_fen), else_=0)), 0
    )
    row = db.session.execute(
        select(func.count(Segment.id), func.coalesce(func.sum(Segment.net_revenue_fen), 0), premium).where(
            *where
        )
    ).one()
    return Totals(int(row[0]), int(row[1]), int(row[2]))


def monthly(where: list, *, first: date | None = None, last: date | None = None) -> list[Month]:
    """Segments and revenue per calendar month (one GROUP BY query); with `first` and `last`,
    every month between them is listed, empty ones with zeros."""
    year = extract("year", Segment.flight_date)
    month = extract("month", Segment.flight_date)
    rows = db.session.execute(
        select(year, month, func.count(Segment.id), func.coalesce(func.sum(Segment.net_revenue_fen), 0))
        .where(*where)
        .group_by(year, month)
        .order_by(year, month)
    ).all()
    found = {(int(y), int(m)): Month(date(int(y), int(m), 1), int(n), int(r)) for y, m, n, r in rows}
    if not found and (first is None or last is None):
        return []
    if first is None:
        first = min(v.month for v in found.values())
    if last is None:
        last = max(v.month for v in found.values())
    result = []
    cursor = date(first.year, first.month, 1)
    while cursor <= last:
        result.append(found.get((cursor.year, cursor.month), Month(cursor)))
        cursor = date(cursor.year + cursor.month // 12, cursor.month % 12 + 1, 1)
    return result


def rows(where: list):
    """The filtered segments, newest first (a statement to paginate)."""
    return select(Segment).where(*where).order_by(Segment.flight_date.desc(), Segment.id.desc())


def routes(company_id: int) -> tuple[list[str], list[str]]:
    """The origins and destinations the company has flown (for the filter's choices)."""
    origins = db.session.scalars(
        select(Segment.origin).where(Segment.company_id == company_id).distinct().order_by(Segment.origin)
    ).all()
    destinations = db.session.scalars(
        select(Segment.destination)
        .where(Segment.company_id == company_id)
        .distinct()
        .order_by(Segment.destination)
    ).all()
    return list(origins), list(destinations)
