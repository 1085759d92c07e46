"""Alert: an early warning on a company (churn risk, roster compliance)."""

from datetime import date, datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, choice, utcnow

if TYPE_CHECKING:
    from portal.companies.models import Company

ALERT_KINDS = ("churn", "roster")
ALERT_LEVELS = ("warning", "flagged")


class Alert(Base):
    """One episode of a warning on a company.

    A churn episode starts the day a rule first holds (`episode` is that date) and stays open
    (`closed_on` NULL) while any rule holds; a roster episode is a month ("2026-10"). The unique
    key makes the daily job raise each episode once.
    """

    __tablename__ = "alert"
    __table_args__ = (
        sa.UniqueConstraint("company_id", "kind", "episode"),
        sa.Index("ix_alert_open", "kind", "closed_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"), index=True)
    kind: Mapped[str] = mapped_column(choice(*ALERT_KINDS, name="alert_kind"))
    episode: Mapped[str] = mapped_column(sa.String(10))
    level: Mapped[str] = mapped_column(choice(*ALERT_LEVELS, name="alert_level"), default="warning")
    # The rules that hold ("revenue_drop", "rank_fall", "turned_sleeping", "roster_share") and
    # their figures, so the reason reads in the reader's language.
    reason: Mapped[dict] = mapped_column(sa.JSON)
    revenue_at_stake_fen: Mapped[int] = mapped_column(sa.BigInteger, default=0)
    opened_on: Mapped[date]
    closed_on: Mapped[date | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    flagged_at: Mapped[datetime | None]  # told the branch heads (roster share above 60 %)

    company: Mapped["Company"] = relationship()
