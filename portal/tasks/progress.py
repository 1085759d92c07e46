"""What a progress display shows of a run: counts, share done and an estimate of time left."""

from dataclasses import dataclass

from portal.tasks.models import TaskRun
from portal.tasks.runs import progress_of


@dataclass(frozen=True)
class Progress:
    """A run's progress as pages show it (counts of rows, or of items such as reviews)."""

    read: int = 0
    rejected: int = 0
    written: int = 0
    total: int | None = None
    percent: int | None = None
    seconds_left: int | None = None


def estimate(done: int, total: int | None, elapsed: float | None) -> tuple[int | None, int | None]:
    """Percent done and seconds left at the rate so far (None while unknown)."""
    if not total:
        return None, None
    done = min(done, total)
    percent = int(100 * done / total)
    if not done or elapsed is None:
        return percent, None
    return percent, int(elapsed / done * (total - done))


def task_progress(run: TaskRun) -> Progress:
    """The progress a running task last reported (empty before it starts)."""
    if run.status not in ("queued", "running"):
        return Progress()
    values = progress_of(run.id)
    read = int(values.get("read") or 0)
    total = values.get("total")
    total = max(int(total), read) if total else None
    percent, left = estimate(read, total, values.get("elapsed"))
    return Progress(
        read=read,
        rejected=int(values.get("rejected") or 0),
        written=int(values.get("written") or 0),
        total=total,
        percent=percent,
        seconds_left=left,
    )
