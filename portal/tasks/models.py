"""TaskRun: one piece of long work handed to the task queue, as admins see it."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from portal.db import Base, choice, utcnow

TASK_STATUSES = ("queued", "running", "done", "failed")


class TaskRun(Base):
    """A task's record: what to do (name, args), where it stands, its attempts and outcome.

    The queue's message carries only the id; the row is the truth. A worker claims the row
    (queued -> running) with a conditional UPDATE, so a message delivered twice runs once."""

    __tablename__ = "task_run"
    __table_args__ = (sa.Index("ix_task_run_status_id", "status", "id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(60))
    args: Mapped[dict] = mapped_column(sa.JSON)
    status: Mapped[str] = mapped_column(choice(*TASK_STATUSES, name="task_status"), default="queued")
    attempts: Mapped[int] = mapped_column(default=0)
    holder: Mapped[str | None] = mapped_column(sa.String(100))  # host:pid of the worker running it
    error: Mapped[str | None] = mapped_column(sa.Text)
    result: Mapped[dict | None] = mapped_column(sa.JSON)
    author_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))
    # The request that queued it: the run's log lines carry its id (portal.web.request_id).
    request_id: Mapped[str | None] = mapped_column(sa.String(128))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    started_at: Mapped[datetime | None]
    finished_at: Mapped[datetime | None]
