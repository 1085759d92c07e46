"""OutboundEmail: one queued mail (the outbox)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class OutboundEmail(Base):
    """A mail waiting to be sent, being sent, sent or given up on.

    `dedupe_key` makes enqueuing idempotent (one digest per manager and day, one mail per
    notification, one escalation per reminder). A sender claims a row with a conditional UPDATE
    (`claimed_at`, `claimed_by`) before talking SMTP, so two senders never send the same mail.
    """

    __tablename__ = "outbound_email"
    __table_args__ = (sa.Index("ix_outbound_email_pending", "sent_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    dedupe_key: Mapped[str] = mapped_column(sa.String(120), unique=True)
    kind: Mapped[str] = mapped_column(sa.String(40))
    user_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"), index=True)
    to_address: Mapped[str] = mapped_column(sa.String(254))
    subject: Mapped[str] = mapped_column(sa.String(300))
    body_text: Mapped[str] = mapped_column(sa.Text)
    # [{"filename", "content_type", "content"}] with text content (the .ics entries), or
    # {"filename", "content_type", "path"} naming a file under PORTAL_DATA_DIR (a PDF).
    attachments: Mapped[list | None] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error: Mapped[str | None] = mapped_column(sa.Text)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    sent_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]  # gave up after MAIL_MAX_ATTEMPTS
