"""Review: a generated account or portfolio review PDF."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, choice, utcnow


class Review(Base):
    """A PDF review of a company or the portfolio (optionally one branch) for a period."""

    __tablename__ = "review"
    __table_args__ = (
        sa.CheckConstraint(
            "(kind = 'account') = (company_id IS NOT NULL)", name="account_review_has_company"
        ),
        sa.Index("ix_review_company_period", "company_id", "period"),
        # Set while the review is queued or running, cleared when it ends: the same review asked
        # for twice at once is one row, which the second request joins (portal/reviews/admission.py).
        sa.Index("uq_review_in_flight_key", "in_flight_key", unique=True),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice("account", "portfolio", name="review_kind"))
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"))
    branch_id: Mapped[int | None] = mapped_column(sa.ForeignKey("branch.id"))
    period: Mapped[str] = mapped_column(sa.String(7))  # 2026Q3 or 2026
    # An account review of a parent company can add a section on its subsidiaries.
    include_subsidiaries: Mapped[bool] = mapped_column(default=False, server_default=sa.false())
    status: Mapped[str] = mapped_column(
        choice("queued", "running", "done", "failed", name="review_status"), default="queued"
    )
    progress: Mapped[int] = mapped_column(default=0)
    stored_name: Mapped[str | None] = mapped_column(sa.String(100), unique=True)
    size_bytes: Mapped[int | None] = mapped_column(sa.BigInteger)
    error: Mapped[str | None] = mapped_column(sa.Text)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    in_flight_key: Mapped[str | None] = mapped_column(sa.String(60))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]  # when its render began (running)
    finished_at: Mapped[datetime | None]
