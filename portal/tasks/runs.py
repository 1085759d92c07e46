"""Task runs: declare a task, queue a run, execute it in a worker, record its outcome, show its
progress, bring back runs whose worker died, and retry failed ones.

Guarantees (issue 21): a run is claimed with one conditional UPDATE (queued -> running), so a
message delivered twice or a retry racing a recovery runs it once; each task is idempotent
itself (an import is one transaction and a re-import changes nothing, reviews are claimed row
by row, outbox rows are claimed row by row); failures are retried with exponential back-off and
then shown to admins as failed with a retry button; a worker killed mid-task leaves the row
running with its holder (host:pid), and the next worker on that host (at start, then every
minute) or any worker after STALE_AFTER puts it back in the queue. Progress is kept in the
queue's own key-value store, not the portal database: an import writes its rows inside one long
transaction, and on SQLite no other connection may write meanwhile.
"""

import logging
import os
import socket
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta

from flask import Flask, has_app_context
from sqlalchemy import or_, select, update

from portal import outbox
from portal.db import sqlite_begin, utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.tasks import huey
from portal.tasks.models import TaskRun
from portal.web import request_id

log = logging.getLogger(__name__)

STALE_AFTER = timedelta(hours=2)  # a run "running" this long on another host: its worker died
MAX_ATTEMPTS = 5  # a run whose worker died this often (a file that kills it) is failed instead
RETRIES = 3  # retries after a failure, with back-off: 30 s, 60 s, 120 s
RETRY_DELAY = 30
RETRY_BACKOFF = 2

TASKS: dict[str, "Task"] = {}
_app: dict[str, Flask] = {}


def bind_app(app: Flask) -> None:
    """The app whose context a worker thread enters to run a task."""
    _app["app"] = app


holder = outbox.holder  # this process, as recorded on the runs it claims


@dataclass
class Task:
    """A declared task: its name, what it does, and the queue's wrapper that sends messages."""

    name: str
    work: Callable
    wrapper: object


@dataclass
class RunContext:
    """What a task's work receives: its run id and a way to report progress."""

    run_id: int

    def progress(self, **values) -> None:
        """Publish progress (counts, totals) for pages to show; cheap, outside the database."""
        report_progress(self.run_id, **values)


def task(name: str, *, retries: int = RETRIES, retry_delay: int = RETRY_DELAY):
    """Declare `work(ctx, **args)` as the task `name`: a thin entry point that calls services
    and owns its commits; it returns a small JSON-able result or None."""

    def decorator(work: Callable) -> Task:
        @huey.task(
            retries=retries, retry_delay=retry_delay, retry_backoff=RETRY_BACKOFF, context=True, name=name
        )
        def entry(run_id: int, task=None):
            final = task is None or not task.retries
            in_app_context(lambda: execute(run_id, final=final))

        declared = Task(name, work, entry)
        TASKS[name] = declared
        return declared

    return decorator


def in_app_context(fn: Callable) -> None:
    """Call `fn` in an app context: the caller's, or the bound app's (a worker thread)."""
    if has_app_context():
        fn()
        return
    with _app["app"].app_context():
        try:
            fn()
        finally:
            db.session.remove()


def enqueue(name: str, *, author_id: int | None = None, **args) -> TaskRun:
    """Add a queued run of task `name` (flushes; the caller commits, then calls `dispatch`)."""
    if name not in TASKS:
        raise KeyError(name)
    run = TaskRun(
        name=name,
        args=args,
        status="queued",
        attempts=0,
        author_id=author_id,
        request_id=request_id.current(),
    )
    db.session.add(run)
    db.session.flush()
    return run


def dispatch(run_id: int) -> None:
    """Send a committed queued run to the workers (in tests: run it now)."""
    with sqlite_begin("BEGIN"):
        name = db.session.scalar(select(TaskRun.name).where(TaskRun.id == run_id))
        db.session.commit()  # hold no transaction while the task runs (at once, in tests)
    TASKS[name].wrapper(run_id)


def submit(name: str, *, author_id: int | None = None, **args) -> int:
    """Queue a run, commit, dispatch it; its id. For callers with nothing else to commit."""
    run_id = enqueue(name, author_id=author_id, **args).id
    db.session.commit()
    dispatch(run_id)
    return run_id


def _set(run_id: int, *conditions, **values) -> int:
    done = db.session.execute(
        update(TaskRun)
        .where(TaskRun.id == run_id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return done


def execute(run_id: int, *, final: bool = True) -> None:
    """Claim the run and do its work; record done, failed, or queued again for a retry."""
    db.session.rollback()
    if not _set(
        run_id,
        TaskRun.status == "queued",
        status="running",
        holder=holder(),
        attempts=TaskRun.attempts + 1,
        started_at=utcnow(),
        error=None,
    ):
        log.info("task run %s is not queued (done, or another worker has it)", run_id)
        return
    run = db.session.get(TaskRun, run_id)
    declared, args, queued_by = TASKS[run.name], dict(run.args or {}), run.request_id
    db.session.commit()
    try:
        with request_id.bound(queued_by):
            result = declared.work(RunContext(run_id), **args)
    except DomainError as e:  # the work itself is refused (a bad file): a retry cannot help
        db.session.rollback()
        _set(
            run_id,
            status="failed",
            holder=None,
            error=str(e)[:4000],
            result={"retryable": False},
            finished_at=utcnow(),
        )
        return
    except Exception as e:
        db.session.rollback()
        log.exception("task run %s (%s) failed", run_id, run.name)
        error = "".join(traceback.format_exception_only(e)).strip()[:4000]
        _set(
            run_id,
            status="failed" if final else "queued",
            holder=None,
            error=error,
            finished_at=utcnow() if final else None,
        )
        raise  # the queue retries it after its back-off
    _set(run_id, status="done", holder=None, result=result, finished_at=utcnow())


def report_progress(run_id: int, **values) -> None:
    """Keep the latest progress of a run (with the time it was written) in the queue's store."""
    huey.put(f"progress:{run_id}", {**values, "at": time.time()})


def progress_of(run_id: int) -> dict:
    """The latest progress a run reported, or {}."""
    return huey.get(f"progress:{run_id}", peek=True) or {}


def _pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def recover_abandoned(*, include_alive_local: bool = False) -> list[int]:
    """Put back in the queue the runs left running by a dead worker: on this host, those whose
    process is gone; on any host, those running longer than STALE_AFTER. Commits and
    dispatches; the ids requeued. A run that died MAX_ATTEMPTS times is failed instead."""
    host = socket.gethostname()
    with sqlite_begin("BEGIN"):  # a read: never queue behind a long import's write (SQLite)
        candidates = db.session.execute(
            select(TaskRun.id, TaskRun.holder, TaskRun.attempts).where(
                TaskRun.status == "running",
                or_(TaskRun.holder.like(f"{host}:%"), TaskRun.started_at < utcnow() - STALE_AFTER),
            )
        ).all()
        db.session.commit()
    requeued = []
    for run_id, run_holder, attempts in candidates:
        name, _sep, pid = (run_holder or "").rpartition(":")
        if name == host and pid.isdigit() and _pid_alive(int(pid)) and not include_alive_local:
            continue
        last = attempts >= MAX_ATTEMPTS
        if _set(
            run_id,
            TaskRun.status == "running",
            TaskRun.holder == run_holder,
            status="failed" if last else "queued",
            holder=None,
            error="interrupted: the worker ended before finishing",
            finished_at=utcnow() if last else None,
        ):
            log.warning(
                "task run %s: its worker %s ended; %s", run_id, run_holder, "failed" if last else "requeued"
            )
            if not last:
                requeued.append(run_id)
                dispatch(run_id)
    return requeued


def may_retry(run: TaskRun) -> bool:
    """Whether a retry can help: the run failed, and not because its input was refused."""
    return run.status == "failed" and (run.result or {}).get("retryable", True)


def retry(run: TaskRun) -> bool:
    """Queue a failed run again (flushes, audited; the caller commits, then dispatches). False
    when `may_retry` says no."""
    if not may_retry(run):
        return False
    run.status, run.error, run.result, run.finished_at, run.attempts = "queued", None, None, None, 0
    db.session.flush()
    return True


def recent(limit: int = 100, *, status: str | None = None) -> list[TaskRun]:
    """The latest runs, newest first (optionally of one status)."""
    stmt = select(TaskRun).order_by(TaskRun.id.desc()).limit(limit)
    if status:
        stmt = stmt.where(TaskRun.status == status)
    return list(db.session.scalars(stmt))
