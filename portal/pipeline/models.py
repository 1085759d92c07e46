"""Opportunity and its stage history."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, choice, utcnow

if TYPE_CHECKING:
    from portal.agreements.models import Agreement
    from portal.auth.models import User
    from portal.companies.models import Company

OPPORTUNITY_KINDS = ("new_account", "renewal", "upsell")
STAGES = ("lead", "qualified", "proposal", "negotiation", "won", "lost")
LOST_REASONS = ("price", "competitor", "no_budget", "no_need", "timing", "other")
OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")
# The probability an opportunity gets when it enters a stage (editable afterwards).
DEFAULT_PROBABILITY = {"lead": 10, "qualified": 25, "proposal": 50, "negotiation": 75, "won": 100, "lost": 0}


class Opportunity(TimestampMixin, Base):
    """A chance to win a prospect or grow an account."""

    __tablename__ = "opportunity"
    __table_args__ = (
        sa.CheckConstraint("probability >= 0 AND probability <= 100", name="probability_range"),
        sa.CheckConstraint("expected_revenue_fen >= 0", name="revenue_nonneg"),
        sa.CheckConstraint("(stage = 'lost') = (lost_reason IS NOT NULL)", name="lost_has_reason"),
        sa.Index("ix_opportunity_owner_stage", "owner_id", "stage"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), index=True)
    title: Mapped[str] = mapped_column(sa.String(200))
    kind: Mapped[str] = mapped_column(choice(*OPPORTUNITY_KINDS, name="opportunity_kind"))
    stage: Mapped[str] = mapped_column(choice(*STAGES, name="opportunity_stage"), default="lead")
    lost_reason: Mapped[str | None] = mapped_column(choice(*LOST_REASONS, name="lost_reason"))
    expected_revenue_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    probability: Mapped[int] = mapped_column(default=10)
    close_date: Mapped[date | None]
    owner_id: Mapped[int] = mapped_column(sa.ForeignKey("user.id"))
    next_step: Mapped[str | None] = mapped_column(sa.Text)
    next_step_on: Mapped[date | None]
    agreement_id: Mapped[int | None] = mapped_column(sa.ForeignKey("agreement.id"))
    stage_changed_at: Mapped[datetime] = mapped_column(default=utcnow)

    company: Mapped["Company"] = relationship()
    owner: Mapped["User"] = relationship(foreign_keys=[owner_id])
    agreement: Mapped[Optional["Agreement"]] = relationship()
    stage_changes: Mapped[list["OpportunityStageChange"]] = relationship(
        order_by="(OpportunityStageChange.at, OpportunityStageChange.id)", viewonly=True
    )

    @property
    def is_open(self) -> bool:
        return self.stage in OPEN_STAGES

    @property
    def weighted_fen(self) -> int:
        """Expected revenue times probability, in fen (rounded down)."""
        return self.expected_revenue_fen * self.probability // 100


class OpportunityStageChange(Base):
    """A move of an opportunity from one stage to another."""

    __tablename__ = "opportunity_stage_change"

    id: Mapped[int] = mapped_column(primary_key=True)
    opportunity_id: Mapped[int] = mapped_column(sa.ForeignKey("opportunity.id"), index=True)
    from_stage: Mapped[str | None] = mapped_column(sa.String(20))
    to_stage: Mapped[str] = mapped_column(sa.String(20))
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    at: Mapped[datetime] = mapped_column(default=utcnow)

    actor: Mapped[Optional["User"]] = relationship()
