"""Reminder: a due revisit or follow-up."""

from datetime import date, datetime
from typing import TYPE_CHECKING, Optional

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, choice

if TYPE_CHECKING:
    from portal.auth.models import User
    from portal.companies.models import Company

REMINDER_KINDS = ("revisit", "reactivation", "follow_up", "agreement_expiry")
REMINDER_STATUSES = ("open", "done", "snoozed", "cancelled")


class Reminder(TimestampMixin, Base):
    """Something an account manager must do for a company by a date."""

    __tablename__ = "reminder"
    __table_args__ = (
        # Jobs create reminders idempotently: one per company, kind and due date.
        sa.UniqueConstraint("company_id", "kind", "due_on"),
        sa.Index("ix_reminder_assignee_status_due", "assignee_id", "status", "due_on"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    company_id: Mapped[int] = mapped_column(sa.ForeignKey("company.id"))
    assignee_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    kind: Mapped[str] = mapped_column(choice(*REMINDER_KINDS, name="reminder_kind"))
    title: Mapped[str] = mapped_column(sa.String(200))
    due_on: Mapped[date]
    status: Mapped[str] = mapped_column(choice(*REMINDER_STATUSES, name="reminder_status"), default="open")
    snoozed_until: Mapped[date | None]
    snooze_reason: Mapped[str | None] = mapped_column(sa.Text)
    completed_at: Mapped[datetime | None]
    interaction_id: Mapped[int | None] = mapped_column(sa.ForeignKey("interaction.id"))
    escalated_at: Mapped[datetime | None]
    notified_at: Mapped[datetime | None]

    company: Mapped["Company"] = relationship()
    assignee: Mapped[Optional["User"]] = relationship()
