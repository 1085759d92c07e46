"""ImportBatch: one imported file and its outcome."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, choice, utcnow


class ImportBatch(Base):
    """One import run of a file; rejected rows are reported against it."""

    __tablename__ = "import_batch"

    id: Mapped[int] = mapped_column(primary_key=True)
    kind: Mapped[str] = mapped_column(choice("bookings", "companies", name="import_kind"))
    filename: Mapped[str] = mapped_column(sa.String(255))
    sha256: Mapped[str] = mapped_column(sa.String(64), index=True)
    status: Mapped[str] = mapped_column(
        choice("running", "done", "failed", name="import_status"), default="running"
    )
    dry_run: Mapped[bool] = mapped_column(default=False)
    rows_total: Mapped[int] = mapped_column(default=0)
    rows_imported: Mapped[int] = mapped_column(default=0)
    rows_rejected: Mapped[int] = mapped_column(default=0)
    report: Mapped[list | None] = mapped_column(sa.JSON)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    finished_at: Mapped[datetime | None]
