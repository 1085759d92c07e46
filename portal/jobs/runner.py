"""Run a registered job once: record the run, take the database lock, do the work, commit.

A job fires once even when several scheduler processes (or `jobs run` commands) start it at the
same time: on PostgreSQL the work transaction takes `pg_try_advisory_xact_lock` (released when
the transaction ends, also when the process dies); elsewhere a JobLock row is claimed with one
conditional UPDATE (or INSERT) with an expiry. A process that does not get the lock records the
run as skipped. The work of a job is one transaction, so a run killed half-way leaves nothing
behind, and what jobs create sits under unique keys, so a second run changes nothing.
"""

import logging
import os
import time
import traceback
import zlib
from datetime import date, datetime, timedelta

from sqlalchemy import insert, or_, select, text, update
from sqlalchemy.exc import IntegrityError

from portal import outbox
from portal.audit.trail import acting_as
from portal.db import utcnow
from portal.extensions import db
from portal.jobs.models import JobLock, JobRun
from portal.jobs.registry import JOBS, Job, JobContext
from portal.timeutil import local_today

log = logging.getLogger(__name__)

LOCK_TTL = timedelta(hours=1)  # a SQLite lock row of a dead process is free again after this
TEST_HOOK_ENV = "PORTAL_JOB_TEST_SLEEP"  # "name:seconds": sleep before committing (testing only)


class UnknownJob(KeyError):
    """No job of that name is registered."""


def _lock_key(name: str) -> int:
    return zlib.crc32(f"portal-job:{name}".encode())  # stable across processes


def _try_pg_lock(name: str) -> bool:
    return bool(
        db.session.execute(text("SELECT pg_try_advisory_xact_lock(:k)"), {"k": _lock_key(name)}).scalar()
    )


def _try_row_lock(name: str, holder: str) -> bool:
    """Claim the JobLock row in its own short transaction (SQLite and other databases)."""
    now = utcnow()
    claimed = db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, or_(JobLock.holder.is_(None), JobLock.expires_at < now))
        .values(holder=holder, acquired_at=now, expires_at=now + LOCK_TTL)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        exists = db.session.scalar(select(JobLock.name).where(JobLock.name == name))
        if exists is None:
            try:
                with db.session.begin_nested():
                    db.session.execute(
                        insert(JobLock).values(
                            name=name, holder=holder, acquired_at=now, expires_at=now + LOCK_TTL
                        )
                    )
                claimed = 1
            except IntegrityError:
                claimed = 0
    db.session.commit()
    return bool(claimed)


def _release_row_lock(name: str, holder: str) -> None:
    db.session.execute(
        update(JobLock)
        .where(JobLock.name == name, JobLock.holder == holder)
        .values(holder=None, expires_at=None)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def _test_hook(name: str, app) -> None:
    """Testing only: sleep inside the work transaction so a test can kill the process there."""
    spec = os.environ.get(TEST_HOOK_ENV)
    if not spec or not app.config.get("TESTING"):
        return
    job_name, _sep, seconds = spec.partition(":")
    if job_name == name:
        log.warning("test hook: job %s sleeps %s s before committing", name, seconds)
        time.sleep(float(seconds or 60))


def _close_abandoned(name: str, run_id: int, job: Job) -> None:
    """Runs left "running" by a process that died: holding the lock now proves they ended (a job
    with an `after` phase runs that outside the lock, so only runs older than LOCK_TTL count)."""
    stmt = update(JobRun).where(JobRun.name == name, JobRun.outcome == "running", JobRun.id < run_id)
    if job.after is not None:
        stmt = stmt.where(JobRun.started_at < utcnow() - LOCK_TTL)
    db.session.execute(
        stmt.values(
            outcome="failed", finished_at=utcnow(), error="abandoned: the process ended before finishing"
        ).execution_options(synchronize_session=False)
    )


def _finish(run_id: int, outcome: str, counts: dict | None, error: str | None = None) -> None:
    db.session.execute(
        update(JobRun)
        .where(JobRun.id == run_id)
        .values(outcome=outcome, finished_at=utcnow(), counts=counts, error=error)
        .execution_options(synchronize_session=False)
    )
    db.session.commit()


def run_job(name: str, *, today: date | None = None, now: datetime | None = None) -> JobRun:
    """Run the job `name` now (once across processes); the recorded JobRun."""
    from flask import current_app

    job: Job | None = JOBS.get(name)
    if job is None:
        raise UnknownJob(name)
    app = current_app._get_current_object()
    ctx = JobContext(today=today or local_today(), now=now or utcnow(), today_given=today is not None)
    db.session.rollback()
    run = JobRun(name=name, started_at=utcnow(), outcome="running")
    db.session.add(run)
    db.session.commit()
    run_id = run.id
    holder = outbox.holder()
    postgres = db.session.get_bind().dialect.name == "postgresql"
    row_locked = False
    try:
        if not postgres:
            row_locked = _try_row_lock(name, holder)
            if not row_locked:
                _finish(run_id, "skipped", None, "another process holds the lock")
                return db.session.get(JobRun, run_id)
        elif not _try_pg_lock(name):
            db.session.rollback()
            _finish(run_id, "skipped", None, "another process holds the lock")
            return db.session.get(JobRun, run_id)
        _close_abandoned(name, run_id, job)
        with acting_as(f"system:{name}"):
            counts = dict(job.work(ctx) or {})
            _test_hook(name, app)
            db.session.commit()  # the job's work is this one transaction (the PG lock ends here)
            if job.after is not None:
                counts.update(job.after(ctx) or {})
    except Exception as e:
        db.session.rollback()
        log.exception("job %s failed", name)
        _finish(run_id, "failed", None, "".join(traceback.format_exception_only(e)).strip()[:4000])
        return db.session.get(JobRun, run_id)
    finally:
        if row_locked:
            db.session.rollback()
            _release_row_lock(name, holder)
    _finish(run_id, "ok", counts)
    log.info("job %s: %s", name, counts)
    return db.session.get(JobRun, run_id)


def recent_runs(limit: int = 50) -> list[JobRun]:
    """The latest runs, newest first."""
    return list(
        db.session.scalars(select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit))
    )


def last_runs() -> dict[str, JobRun]:
    """The latest run of each job."""
    result: dict[str, JobRun] = {}
    for run in db.session.scalars(select(JobRun).order_by(JobRun.id.desc()).limit(500)):
        result.setdefault(run.name, run)
    return result
