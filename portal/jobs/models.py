"""JobRun and JobLock."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, choice, utcnow


class JobRun(Base):
    """One run of a scheduled job with its outcome and counts."""

    __tablename__ = "job_run"
    __table_args__ = (sa.Index("ix_job_run_name_started", "name", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
    outcome: Mapped[str] = mapped_column(
        choice("running", "ok", "failed", "skipped", name="job_outcome"), default="running"
    )
    counts: Mapped[dict | None] = mapped_column(sa.JSON)
    error: Mapped[str | None] = mapped_column(sa.Text)


class JobLock(Base):
    """A lock row per job name (SQLite); PostgreSQL uses advisory locks instead."""

    __tablename__ = "job_lock"

    name: Mapped[str] = mapped_column(sa.String(60), primary_key=True)
    holder: Mapped[str | None] = mapped_column(sa.String(100))
    acquired_at: Mapped[datetime | None]
    expires_at: Mapped[datetime | None]
