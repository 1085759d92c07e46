"""The request's side of prepared PDFs (portal/rendering/prepared.py): serve the file when it is
there, else join the run preparing it or queue one. This is an edge: it commits."""

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import select

from portal.db import sqlite_begin
from portal.extensions import db
from portal.rendering import prepared
from portal.tasks import runs
from portal.tasks.models import TaskRun


@dataclass
class Prepared:
    """Where a request for a prepared file stands: ready (`path`), being prepared (`run_id`),
    or failed (`error`, with the run that failed)."""

    path: Path | None = None
    run_id: int | None = None
    error: str | None = None


def _run_of(task: str, args: dict, run_id: int | None) -> TaskRun | None:
    """The run the page was told about (only if it prepares these very args), else the run
    queued or running for them now."""
    if run_id is not None:
        run = db.session.get(TaskRun, run_id)
        if run is not None and run.name == task and run.args == args:
            return run
    active = db.session.scalars(
        select(TaskRun).where(TaskRun.name == task, TaskRun.status.in_(("queued", "running")))
    ).all()
    return next((run for run in active if run.args == args), None)


def prepare(
    task: str,
    path: Path,
    args: dict,
    *,
    author_id: int,
    run_id: int | None = None,
    refuse_new: Callable[[], None] | None = None,
) -> Prepared:
    """The file at `path` if it is there; else the run of `task` preparing it with `args` (the
    run the page was told about, one already queued for the same file, or a new one; the task
    receives `path` among its args). `refuse_new` may raise before a new run is queued (e.g.
    while the owner's render slots are all taken). Commits when it queues."""
    args = {**args, "path": prepared.relative(path)}
    if path.exists():
        return Prepared(path=path)
    db.session.commit()  # end the read; on SQLite the look-and-queue below holds the write lock
    with sqlite_begin("BEGIN IMMEDIATE"):
        run = _run_of(task, args, run_id)
        created = run is None or run.status == "done"
        if created:
            if refuse_new is not None:
                refuse_new()
            run = runs.enqueue(task, author_id=author_id, **args)
        run_id = run.id
        db.session.commit()
    if created:
        runs.dispatch(run_id)  # the tests run it now; else a worker
    if path.exists():
        return Prepared(path=path)
    run = db.session.get(TaskRun, run_id)
    status, error = run.status, run.error
    db.session.commit()
    if status == "failed":
        return Prepared(run_id=run_id, error=error or "")
    return Prepared(run_id=run_id)
