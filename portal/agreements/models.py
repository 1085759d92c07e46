"""Agreement, its discounts, incentive tiers and status history."""

from datetime import date, datetime
from decimal import Decimal
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, choice, utcnow

if TYPE_CHECKING:
    from portal.auth.models import User
    from portal.companies.models import Company

AGREEMENT_STATUSES = ("draft", "pending_approval", "active", "expired", "terminated")
DISCOUNT_SCOPES = ("domestic", "international", "city_pair")
CABINS = ("F", "C", "W", "Y")  # first, business, premium economy, economy
# An event is a lifecycle transition ("status") or a change of a draft's terms ("terms").
AGREEMENT_EVENT_KINDS = ("status", "terms")
ENTITLEMENTS = (
    "priority_booking",
    "waitlist_priority",
    "lounge",
    "fast_track",
    "extra_baggage",
    "dedicated_hotline",
    "ticket_pickup",
    "checkin_help",
    "escort",
)


class Agreement(TimestampMixin, Base):
    """A corporate agreement: validity, commitment, entitlements; discounts and tiers below."""

    __tablename__ = "agreement"
    __table_args__ = (
        sa.CheckConstraint("valid_to > valid_from", name="valid_range"),
        sa.CheckConstraint("commitment_revenue_fen >= 0", name="commitment_revenue_nonneg"),
        sa.CheckConstraint("commitment_segments >= 0", name="commitment_segments_nonneg"),
        sa.Index("ix_agreement_company_status", "company_id", "status"),
        sa.Index("ix_agreement_status_valid_to", "status", "valid_to"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(sa.String(30), unique=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    status: Mapped[str] = mapped_column(choice(*AGREEMENT_STATUSES, name="agreement_status"), default="draft")
    valid_from: Mapped[date]
    valid_to: Mapped[date]
    # Annual commitment: revenue in fen (integer money) and flown segments.
    commitment_revenue_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    commitment_segments: Mapped[int] = mapped_column(default=0)
    priority_booking: Mapped[bool] = mapped_column(default=False)
    waitlist_priority: Mapped[bool] = mapped_column(default=False)
    lounge: Mapped[bool] = mapped_column(default=False)
    fast_track: Mapped[bool] = mapped_column(default=False)
    extra_baggage: Mapped[bool] = mapped_column(default=False)
    dedicated_hotline: Mapped[bool] = mapped_column(default=False)
    ticket_pickup: Mapped[bool] = mapped_column(default=False)
    checkin_help: Mapped[bool] = mapped_column(default=False)
    escort: Mapped[bool] = mapped_column(default=False)
    internal_notes: Mapped[str | None] = mapped_column(sa.Text)
    template_version: Mapped[str | None] = mapped_column(sa.String(30))
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    approved_at: Mapped[datetime | None]
    renewed_from_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreement.id"))

    company: Mapped["Company"] = relationship(back_populates="agreements")
    author: Mapped[Optional["User"]] = relationship(foreign_keys=[author_id])
    approved_by: Mapped[Optional["User"]] = relationship(foreign_keys=[approved_by_id])
    renewed_from: Mapped[Optional["Agreement"]] = relationship(remote_side=[id])
    discounts: Mapped[list["AgreementDiscount"]] = relationship(
        back_populates="agreement", cascade="all, delete-orphan", order_by="AgreementDiscount.id"
    )
    incentive_tiers: Mapped[list["IncentiveTier"]] = relationship(
        back_populates="agreement",
        cascade="all, delete-orphan",
        order_by="IncentiveTier.threshold_percent",
    )
    events: Mapped[list["AgreementEvent"]] = relationship(
        back_populates="agreement", order_by="AgreementEvent.at"
    )

    @property
    def entitlements(self) -> list[str]:
        return entitlements_of(self)


def entitlements_of(terms) -> list[str]:
    """The entitlements `terms` grant (an agreement, or a row with its columns), in ENTITLEMENTS order."""
    return [name for name in ENTITLEMENTS if getattr(terms, name)]


class AgreementDiscount(Base):
    """A negotiated discount on a route scope and cabin."""

    __tablename__ = "agreement_discount"
    __table_args__ = (
        sa.CheckConstraint("percent >= 0 AND percent <= 100", name="percent_range"),
        sa.CheckConstraint(
            "(scope = 'city_pair') = (origin IS NOT NULL AND destination IS NOT NULL)",
            name="city_pair_has_route",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement.id"), index=True)
    scope: Mapped[str] = mapped_column(choice(*DISCOUNT_SCOPES, name="discount_scope"))
    origin: Mapped[str | None] = mapped_column(sa.String(3))
    destination: Mapped[str | None] = mapped_column(sa.String(3))
    cabin: Mapped[str] = mapped_column(choice(*CABINS, name="cabin"))
    percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    agreement: Mapped[Agreement] = relationship(back_populates="discounts")


class IncentiveTier(Base):
    """Attainment threshold (percent of commitment) and the rebate percent it earns."""

    __tablename__ = "incentive_tier"
    __table_args__ = (
        sa.UniqueConstraint("agreement_id", "threshold_percent"),
        sa.CheckConstraint("threshold_percent > 0", name="threshold_positive"),
        sa.CheckConstraint("rebate_percent >= 0 AND rebate_percent <= 100", name="rebate_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement.id"))
    threshold_percent: Mapped[Decimal] = mapped_column(sa.Numeric(6, 2))
    rebate_percent: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))

    agreement: Mapped[Agreement] = relationship(back_populates="incentive_tiers")


class AgreementEvent(Base):
    """A line of an agreement's history: a lifecycle transition (kind "status"), or a change
    of its terms (kind "terms": the status stays, `changes` holds each changed term as
    {"before": ..., "after": ...} in plain JSON values)."""

    __tablename__ = "agreement_event"

    id: Mapped[int] = mapped_column(primary_key=True)
    agreement_id: Mapped[int] = mapped_column(sa.ForeignKey("agreement.id"), index=True)
    kind: Mapped[str] = mapped_column(
        choice(*AGREEMENT_EVENT_KINDS, name="agreement_event_kind"), default="status", server_default="status"
    )
    from_status: Mapped[str | None] = mapped_column(sa.String(20))
    to_status: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(sa.Text)
    changes: Mapped[dict | None] = mapped_column(sa.JSON)

    agreement: Mapped[Agreement] = relationship(back_populates="events")
    actor: Mapped[Optional["User"]] = relationship()
