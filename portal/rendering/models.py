"""RenderSlot: one PDF render in progress, holding a numbered slot of its pool."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, utcnow


class RenderSlot(Base):
    """A render running now in some process: the pool (e.g. one company's statements) and which
    of its numbered slots it holds. The unique (pool, slot) key makes "at most N at once" hold
    across processes; the row is deleted when the render ends, or expires if its process died."""

    __tablename__ = "render_slot"
    __table_args__ = (sa.UniqueConstraint("pool", "slot"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    pool: Mapped[str] = mapped_column(sa.String(60))
    slot: Mapped[int]
    started_at: Mapped[datetime] = mapped_column(default=utcnow)
