"""AuditEvent."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class AuditEvent(Base):
    """One change to a domain row, or one refused access; never updated or deleted."""

    __tablename__ = "audit_event"
    __table_args__ = (
        sa.Index("ix_audit_event_entity", "entity", "entity_id"),
        sa.Index("ix_audit_event_company_at", "company_id", "at"),
        sa.Index("ix_audit_event_at", "at"),
        sa.Index("ix_audit_event_batch", "batch"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
    actor_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    actor_label: Mapped[str] = mapped_column(sa.String(254))  # email or "system:<job>"
    action: Mapped[str] = mapped_column(sa.String(30))  # create, update, delete, refused, ...
    entity: Mapped[str] = mapped_column(sa.String(50))
    entity_id: Mapped[int | None]
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"))
    before: Mapped[dict | None] = mapped_column(sa.JSON)
    after: Mapped[dict | None] = mapped_column(sa.JSON)
    ip: Mapped[str | None] = mapped_column(sa.String(45))
    path: Mapped[str | None] = mapped_column(sa.String(500))
    # Events written by one bulk change (a move of companies, a staff handover) share a batch.
    batch: Mapped[str | None] = mapped_column(sa.String(32))
