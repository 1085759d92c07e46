"""PDFs prepared by a worker for someone waiting on a page (a booker's statement, a manager's
call list): the request never renders.

A prepared file is named by what it shows: the digest of its data (and language) is part of
its name, so a second request for the same data is served the file at once, and a change of
the data asks for a new file. The request looks for the file; if it is not there it joins the
run already preparing it or queues one, and answers a page that reloads itself until the file
is there. The task writes the file under a temporary name and renames it, so a reader never
sees half a PDF. Files older than KEEP_FOR are removed by the queue's daily sweep.
"""

import hashlib
import json
import os
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

from flask import current_app
from sqlalchemy import select

from portal import pdf
from portal.db import sqlite_begin
from portal.errors import DomainError
from portal.extensions import db
from portal.tasks import runs
from portal.tasks.models import TaskRun

KEEP_FOR = timedelta(days=2)


class RenderFailed(DomainError):
    """A render failed or ran out of time: the same data would fail again, so the run is failed
    at once (shown to admins, who may retry it) instead of being retried by the queue."""


@contextmanager
def render_failures() -> Iterator[None]:
    """Turn a failed render in the block into RenderFailed."""
    try:
        yield
    except pdf.RenderError as e:
        raise RenderFailed(str(e) or type(e).__name__) from e


@dataclass
class Prepared:
    """Where a request for a prepared file stands: ready (`path`), being prepared (`run_id`),
    or failed (`error`, with the run that failed)."""

    path: Path | None = None
    run_id: int | None = None
    error: str | None = None


def root() -> Path:
    return Path(current_app.config["PORTAL_DATA_DIR"]) / "prepared"


def file_for(kind: str, owner: int, key: dict) -> Path:
    """The file that shows `key` (plain data) for `owner` (a company or a user)."""
    digest = hashlib.sha256(json.dumps(key, sort_keys=True, default=str).encode()).hexdigest()[:40]
    return root() / kind / str(owner) / f"{digest}.pdf"


def write(path: Path, render: Callable[[Path], object]) -> None:
    """Render into a temporary file beside `path`, then rename it into place."""
    path.parent.mkdir(parents=True, exist_ok=True)
    partial = path.with_name(f"{path.stem}.{os.getpid()}.partial.pdf")
    try:
        render(partial)
        os.replace(partial, path)
    finally:
        partial.unlink(missing_ok=True)


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
    args = {**args, "path": str(path.relative_to(root()))}
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


def target(relative: str) -> Path:
    """A task's file from its args (a path below the prepared folder, never outside it)."""
    base = root().resolve()
    path = (base / relative).resolve()
    if base not in path.parents:
        raise ValueError(f"not a prepared file: {relative}")
    return path


def sweep(now: float | None = None) -> int:
    """Remove prepared files (and partial ones) older than KEEP_FOR; how many."""
    cutoff = (now or time.time()) - KEEP_FOR.total_seconds()
    removed = 0
    if not root().exists():
        return 0
    for path in root().rglob("*"):
        if path.is_file() and path.stat().st_mtime < cutoff:
            path.unlink(missing_ok=True)
            removed += 1
    return removed
