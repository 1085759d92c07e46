"""Survey: one survey mailed to one contact; SurveyResponse: its answers."""

from datetime import datetime
from typing import TYPE_CHECKING

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, choice, utcnow

if TYPE_CHECKING:
    from portal.companies.models import Company, Contact

SURVEY_REASONS = ("quarterly", "complaint")
RATINGS = ("rating_booking", "rating_service", "rating_manager")
DETRACTOR_MAX = 6  # NPS 0-6 detractors, 7-8 passives, 9-10 promoters
PROMOTER_MIN = 9


class Survey(Base):
    """A survey sent to a contact for an occasion (a quarter, a resolved complaint).

    The mailed link carries a signed random token; only its SHA-256 is kept (`token_hash`).
    `answered_at` is claimed by a conditional UPDATE, so a link answers once.
    """

    __tablename__ = "survey"
    __table_args__ = (
        # One survey per contact and occasion ("2026Q4", "complaint-17"): sending is idempotent.
        sa.UniqueConstraint("contact_id", "occasion"),
        sa.Index("ix_survey_company_sent", "company_id", "sent_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    contact_id: Mapped[int] = mapped_column(sa.ForeignKey("contact.id"))
    reason: Mapped[str] = mapped_column(choice(*SURVEY_REASONS, name="survey_reason"))
    occasion: Mapped[str] = mapped_column(sa.String(40))
    interaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("interaction.id"))
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]

    company: Mapped["Company"] = relationship()
    contact: Mapped["Contact"] = relationship()


class SurveyResponse(Base):
    """The answers to a survey: NPS 0-10, three ratings 1-5 and a comment."""

    __tablename__ = "survey_response"
    __table_args__ = (
        sa.CheckConstraint("nps BETWEEN 0 AND 10", name="nps_range"),
        *(sa.CheckConstraint(f"{r} BETWEEN 1 AND 5", name=f"{r}_range") for r in RATINGS),
        sa.Index("ix_survey_response_company_answered", "company_id", "answered_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(sa.ForeignKey("survey.id"), unique=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    nps: Mapped[int] = mapped_column(sa.SmallInteger)
    rating_booking: Mapped[int] = mapped_column(sa.SmallInteger)
    rating_service: Mapped[int] = mapped_column(sa.SmallInteger)
    rating_manager: Mapped[int] = mapped_column(sa.SmallInteger)
    comment: Mapped[str | None] = mapped_column(sa.Text)
    language: Mapped[str] = mapped_column(sa.String(5))
    answered_at: Mapped[datetime] = mapped_column(default=utcnow)

    survey: Mapped[Survey] = relationship()
