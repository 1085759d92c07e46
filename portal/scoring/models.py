"""ScoringConfig versions and ScoreSnapshot."""

from datetime import date, datetime
from decimal import Decimal

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.companies.models import ACTIVITY_STATUSES, TIERS
from portal.db import Base, choice, utcnow


class ScoringConfig(Base):
    """One saved version of the weights, tier shares and activity limits; the newest rules."""

    __tablename__ = "scoring_config"
    __table_args__ = (
        sa.CheckConstraint(
            "weight_revenue >= 0 AND weight_frequency >= 0 AND weight_premium >= 0"
            " AND weight_growth >= 0 AND weight_recency >= 0 AND weight_attainment >= 0",
            name="weights_nonneg",
        ),
        sa.CheckConstraint("share_platinum + share_gold + share_silver <= 100", name="shares_at_most_100"),
        sa.CheckConstraint("lost_days > active_days", name="day_limits_ordered"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    weight_revenue: Mapped[int] = mapped_column(default=30)
    weight_frequency: Mapped[int] = mapped_column(default=20)
    weight_premium: Mapped[int] = mapped_column(default=15)
    weight_growth: Mapped[int] = mapped_column(default=10)
    weight_recency: Mapped[int] = mapped_column(default=10)
    weight_attainment: Mapped[int] = mapped_column(default=15)
    share_platinum: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("5"))
    share_gold: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("15"))
    share_silver: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2), default=Decimal("30"))
    active_days: Mapped[int] = mapped_column(default=90)
    lost_days: Mapped[int] = mapped_column(default=365)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    note: Mapped[str | None] = mapped_column(sa.Text)


class ScoreSnapshot(Base):
    """A company's score on a date: raw components, percentiles, total, rank, tier, status."""

    __tablename__ = "score_snapshot"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "score_date"),
        sa.Index("ix_score_snapshot_date_rank", "score_date", "rank"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    score_date: Mapped[date]
    config_id: Mapped[int | None] = mapped_column(sa.ForeignKey("scoring_config.id"))
    revenue_fen: Mapped[int] = mapped_column(sa.BigInteger)
    segments: Mapped[int]
    premium_share: Mapped[Decimal] = mapped_column(sa.Numeric(7, 4))
    growth: Mapped[Decimal] = mapped_column(sa.Numeric(7, 4))
    recency_days: Mapped[int | None]
    attainment: Mapped[Decimal] = mapped_column(sa.Numeric(7, 4))
    pct_revenue: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    pct_frequency: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    pct_premium: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    pct_growth: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    pct_recency: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    pct_attainment: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    total: Mapped[Decimal] = mapped_column(sa.Numeric(5, 2))
    rank: Mapped[int]
    tier: Mapped[str] = mapped_column(choice(*TIERS, name="tier"))
    activity_status: Mapped[str] = mapped_column(choice(*ACTIVITY_STATUSES, name="activity_status"))
