"""Read helpers of the review pages and commands: the queue, and the monthly batch's progress."""

from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func, select

from portal.db import utcnow
from portal.extensions import db
from portal.reviews.models import Review
from portal.tasks.progress import estimate
from portal.timeutil import local_to_utc


def queued_count() -> int:
    """Reviews waiting for a render slot."""
    return db.session.scalar(select(func.count(Review.id)).where(Review.status == "queued"))


@dataclass(frozen=True)
class BatchProgress:
    """This month's batch of reviews (those the system queued): how far it is."""

    total: int
    done: int
    failed: int
    percent: int
    seconds_left: int | None

    @property
    def in_flight(self) -> int:
        return self.total - self.done - self.failed


def batch_progress(today: date) -> BatchProgress | None:
    """The progress of this month's batch, or None when none was queued this month."""
    month_start = local_to_utc(datetime(today.year, today.month, 1))
    rows = db.session.execute(
        select(Review.status, func.count(Review.id), func.min(Review.created_at))
        .where(Review.author_id.is_(None), Review.created_at >= month_start)
        .group_by(Review.status)
    ).all()
    if not rows:
        return None
    counts = {status: n for status, n, _first in rows}
    first = min(started for _status, _n, started in rows)
    total = sum(counts.values())
    finished = counts.get("done", 0) + counts.get("failed", 0)
    percent, left = estimate(finished, total, (utcnow() - first).total_seconds())
    return BatchProgress(total, counts.get("done", 0), counts.get("failed", 0), percent or 0, left)
