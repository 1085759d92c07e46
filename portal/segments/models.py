"""Segment: one flown flight coupon; SegmentMonth: their sums per company and month."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.agreements.models import CABINS
from portal.db import Base, choice

PREMIUM_CABINS = ("F", "C")  # first and business: the premium share of scoring
# The columns of a flown coupon that every bulk writer of segments fills, in the order they
# write them (the demo seed adds the id first; an import adds its batch and the frequent flyer).
FLOWN_COLUMNS = (
    "ticket_number",
    "coupon_number",
    "company_id",
    "traveller_id",
    "traveller_name",
    "flight_number",
    "flight_date",
    "origin",
    "destination",
    "cabin",
    "fare_class",
    "net_revenue_fen",
    "distance_km",
)


class Segment(Base):
    """One flown coupon; identified by ticket and coupon number so re-imports change nothing."""

    __tablename__ = "segment"
    __table_args__ = (
        sa.UniqueConstraint("ticket_number", "coupon_number"),
        sa.Index("ix_segment_company_date", "company_id", "flight_date"),
        sa.Index("ix_segment_flight_date", "flight_date"),
        sa.CheckConstraint("coupon_number BETWEEN 1 AND 4", name="coupon_range"),
        sa.CheckConstraint("distance_km >= 0", name="distance_nonneg"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    ticket_number: Mapped[str] = mapped_column(sa.String(14))
    coupon_number: Mapped[int] = mapped_column(sa.SmallInteger)
    # active_history: a change must know the old company and date, whose month sums it leaves.
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"), active_history=True)
    traveller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("traveller.id"), index=True)
    traveller_name: Mapped[str] = mapped_column(sa.String(100))
    # The frequent-flyer number on the coupon, when the booking carried one (roster compliance).
    ff_number: Mapped[str | None] = mapped_column(sa.String(20))
    flight_number: Mapped[str] = mapped_column(sa.String(8))
    flight_date: Mapped[date] = mapped_column(active_history=True)
    origin: Mapped[str] = mapped_column(sa.String(3))
    destination: Mapped[str] = mapped_column(sa.String(3))
    cabin: Mapped[str] = mapped_column(choice(*CABINS, name="cabin"))
    fare_class: Mapped[str] = mapped_column(sa.String(1))
    net_revenue_fen: Mapped[int] = mapped_column(sa.BigInteger)
    distance_km: Mapped[int]
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"))


class SegmentMonth(Base):
    """The sums of one company's flown segments in one month, so scoring reads a row per month
    instead of every coupon. Kept equal to the segments by portal.segments.rollup; only
    segments with a company count."""

    __tablename__ = "segment_month"

    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), primary_key=True)
    month: Mapped[date] = mapped_column(primary_key=True)  # the first day of the month
    revenue_fen: Mapped[int] = mapped_column(sa.BigInteger)
    segments: Mapped[int]
    premium_revenue_fen: Mapped[int] = mapped_column(sa.BigInteger)  # PREMIUM_CABINS
    last_flight: Mapped[date]
