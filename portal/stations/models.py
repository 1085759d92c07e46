"""Station, VipNotice and ServiceRequest."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, choice, utcnow

# Per-trip services a priority request may ask for, each allowed by one agreement entitlement.
SERVICES = ("ticket_pickup", "checkin_help", "escort", "lounge", "fast_track", "extra_baggage")
SERVICE_ENTITLEMENT = {
    "ticket_pickup": "ticket_pickup",
    "checkin_help": "checkin_help",
    "escort": "escort",
    "lounge": "lounge",
    "fast_track": "fast_track",
    "extra_baggage": "extra_baggage",
}


class Station(TimestampMixin, Base):
    """An airport whose staff serve key travellers departing from it; its distribution list
    (one address a line) receives the daily VIP service notice."""

    __tablename__ = "station"

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(sa.String(3), unique=True)
    name: Mapped[str] = mapped_column(sa.String(100))
    distribution: Mapped[str] = mapped_column(sa.Text, default="")

    @property
    def addresses(self) -> list[str]:
        return [line.strip() for line in self.distribution.splitlines() if line.strip()]


class VipNotice(Base):
    """The VIP service notice of one station and service day (seq 0), or an amendment (seq 1,
    2, ...) listing only what changed since. `entries` is the snapshot that was sent."""

    __tablename__ = "vip_notice"
    __table_args__ = (sa.UniqueConstraint("station_id", "service_date", "seq"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    station_id: Mapped[int] = mapped_column(sa.ForeignKey("station.id"))
    service_date: Mapped[date]
    seq: Mapped[int]
    entries: Mapped[list] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    pdf_path: Mapped[str | None] = mapped_column(sa.String(300))  # under PORTAL_DATA_DIR
    mailed_at: Mapped[datetime | None]

    station: Mapped[Station] = relationship()

    @property
    def is_amendment(self) -> bool:
        return self.seq > 0


class ServiceRequest(Base):
    """One per-trip service asked on a priority request; station staff mark it done."""

    __tablename__ = "service_request"
    __table_args__ = (sa.UniqueConstraint("request_id", "service"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(sa.ForeignKey("priority_request.id"), index=True)
    service: Mapped[str] = mapped_column(choice(*SERVICES, name="service"))
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
