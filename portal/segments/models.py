"""Segment: one flown flight coupon."""

from datetime import date

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.agreements.models import CABINS
from portal.db import Base, choice


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
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"))
    traveller_id: Mapped[int | None] = mapped_column(sa.ForeignKey("traveller.id"), index=True)
    traveller_name: Mapped[str] = mapped_column(sa.String(100))
    flight_number: Mapped[str] = mapped_column(sa.String(8))
    flight_date: Mapped[date]
    origin: Mapped[str] = mapped_column(sa.String(3))
    destination: Mapped[str] = mapped_column(sa.String(3))
    cabin: Mapped[str] = mapped_column(choice(*CABINS, name="cabin"))
    fare_class: Mapped[str] = mapped_column(sa.String(1))
    net_revenue_fen: Mapped[int] = mapped_column(sa.BigInteger)
    distance_km: Mapped[int]
    import_batch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("import_batch.id"))
