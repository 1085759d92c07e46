"""Quota and PriorityRequest."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.agreements.models import CABINS
from portal.db import Base, choice, partial_index, utcnow

if TYPE_CHECKING:
    from portal.agreements.models import Agreement
    from portal.auth.models import User
    from portal.companies.models import Traveller
    from portal.stations.models import ServiceRequest

REQUEST_STATUSES = ("confirmed", "waitlisted", "cancelled", "expired")
LIVE_STATUSES = ("confirmed", "waitlisted")
LIVE_CONDITION = "status IN ('confirmed', 'waitlisted')"
WAITLISTED_CONDITION = "status = 'waitlisted'"


class Quota(Base):
    """Seats protected for one agreement on one route, cabin and month."""

    __tablename__ = "quota"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "origin", "destination", "cabin", "month"),
        sa.CheckConstraint("seats >= 0", name="seats_nonneg"),
        sa.CheckConstraint("used >= 0 AND used <= seats", name="used_within_seats"),
        sa.Index("ix_quota_month", "month"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement.id"))
    origin: Mapped[str] = mapped_column(sa.String(3))
    destination: Mapped[str] = mapped_column(sa.String(3))
    cabin: Mapped[str] = mapped_column(choice(*CABINS, name="cabin"))
    month: Mapped[date]  # first day of the month
    seats: Mapped[int]
    # Confirmed requests; claimed only by `UPDATE ... SET used = used + 1 WHERE used < seats`.
    used: Mapped[int] = mapped_column(default=0)

    agreement: Mapped["Agreement"] = relationship()


class PriorityRequest(Base):
    """A request for a protected seat: confirmed while seats remain, otherwise waitlisted."""

    __tablename__ = "priority_request"
    __table_args__ = (
        sa.Index("ix_priority_request_quota_status", "quota_id", "status", "requested_at"),
        sa.Index("ix_priority_request_company_requested", "company_id", "requested_at"),
        # The waitlist, a small share of all requests: the home lists a portfolio's by departure.
        partial_index(
            "ix_priority_request_waitlisted", "company_id", "departure_at", where=WAITLISTED_CONDITION
        ),
        # The last guard against double booking: one traveller holds at most one live request
        # (confirmed or waitlisted) per flight and date. Cancelled and expired ones may repeat.
        partial_index(
            "uq_priority_request_live_traveller_flight",
            "traveller_id",
            "flight_number",
            "flight_date",
            where=LIVE_CONDITION,
            unique=True,
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    quota_id: Mapped[int] = mapped_column(sa.ForeignKey("quota.id"))
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    traveller_id: Mapped[int] = mapped_column(sa.ForeignKey("traveller.id"), index=True)
    requested_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    flight_number: Mapped[str] = mapped_column(sa.String(8))
    flight_date: Mapped[date]
    departure_at: Mapped[datetime]  # UTC
    origin: Mapped[str] = mapped_column(sa.String(3))
    destination: Mapped[str] = mapped_column(sa.String(3))
    cabin: Mapped[str] = mapped_column(choice(*CABINS, name="cabin"))
    status: Mapped[str] = mapped_column(choice(*REQUEST_STATUSES, name="request_status"))
    # Waitlist order: company tier (0 = platinum first), then request time.
    priority: Mapped[int] = mapped_column(default=3)
    requested_at: Mapped[datetime] = mapped_column(default=utcnow)
    confirmed_at: Mapped[datetime | None]
    cancelled_at: Mapped[datetime | None]
    expired_at: Mapped[datetime | None]

    quota: Mapped[Quota] = relationship()
    traveller: Mapped["Traveller"] = relationship()
    requested_by: Mapped[Optional["User"]] = relationship()
    # The per-trip services asked for with the request (recorded by portal.stations.services).
    services: Mapped[list["ServiceRequest"]] = relationship(viewonly=True, order_by="ServiceRequest.id")
