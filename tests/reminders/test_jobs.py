"""Jobs: runs recorded with their outcome, idempotent work, the database lock; on PostgreSQL three
`jobs run` processes at once create each reminder exactly once, and a run killed mid-way leaves
nothing half-written and the next run completes the work."""

import os
import signal
import subprocess
import sys
import time
from datetime import date, datetime, timedelta
from pathlib import Path

import pytest
from click.testing import CliRunner
from sqlalchemy import func, select, update

from portal.extensions import db
from portal.jobs import registry
from portal.jobs.models import JobLock, JobRun
from portal.jobs.runner import UnknownJob, run_job
from portal.reminders.models import Reminder
from tests import factories
from tests.conftest import drop_pg_database, make_app

ROOT = Path(__file__).resolve().parents[2]
DAY = date(2026, 6, 1)


def _due_world(session, count: int):
    """`count` gold companies last visited 60 days before DAY (each due for a revisit on DAY)."""
    branch = factories.branch(session)
    office = factories.office(session, branch)
    manager = factories.user(session, "account_manager", office)
    factories.user(session, "branch_head", office)
    for _ in range(count):
        company = factories.company(session, office, manager, tier="gold", created_at=datetime(2024, 1, 1))
        factories.interaction(session, company, kind="visit", occurred_at=datetime(2026, 4, 2, 4, 0))
    return manager


def _count(model, *where) -> int:
    return db.session.scalar(select(func.count()).select_from(model).where(*where))


def test_run_is_recorded_and_idempotent(app, db_session):
    with app.test_request_context():
        _due_world(db_session, 3)
        db_session.commit()
        first = run_job("revisits", today=DAY)
        assert (first.outcome, first.counts["revisits"]) == ("ok", 3)
        assert first.finished_at is not None
        second = run_job("revisits", today=DAY + timedelta(days=1))
        assert (second.outcome, second.counts["revisits"]) == ("ok", 0)
        assert _count(Reminder) == 3
        assert run_job("agreements", today=DAY).outcome == "ok"
        with pytest.raises(UnknownJob):
            run_job("nope")


def test_a_failing_job_is_recorded_and_leaves_nothing(app, db_session, monkeypatch):
    def half_then_fail(ctx):
        from portal.reminders.operations import generate_revisits

        generate_revisits(ctx.today)
        raise RuntimeError("boom")

    job = registry.JOBS["revisits"]
    monkeypatch.setitem(registry.JOBS, "revisits", registry.Job("revisits", "t", "cron", {}, half_then_fail))
    with app.test_request_context():
        _due_world(db_session, 2)
        db_session.commit()
        run = run_job("revisits", today=DAY)
        assert run.outcome == "failed" and "boom" in run.error
        assert _count(Reminder) == 0
        monkeypatch.setitem(registry.JOBS, "revisits", job)
        assert run_job("revisits", today=DAY).counts["revisits"] == 2


def test_lock_held_elsewhere_skips_the_run(app, db_session):
    if db_session.get_bind().dialect.name == "postgresql":
        _advisory_lock_held_elsewhere_skips_the_run(app, db_session)
        return
    with app.test_request_context():
        _due_world(db_session, 1)
        db_session.add(
            JobLock(
                name="revisits", holder="other:1", acquired_at=datetime.now(), expires_at=datetime(2999, 1, 1)
            )
        )
        db_session.commit()
        run = run_job("revisits", today=DAY)
        assert run.outcome == "skipped" and _count(Reminder) == 0
        # A lock whose holder died expires; then the job runs.
        db_session.execute(update(JobLock).values(expires_at=datetime(2000, 1, 1)))
        db_session.commit()
        assert run_job("revisits", today=DAY).counts["revisits"] == 1
        assert db_session.get(JobLock, "revisits").holder is None


def _advisory_lock_held_elsewhere_skips_the_run(app, db_session):
    """PostgreSQL: another session holding the job's advisory lock makes this run skip."""
    from sqlalchemy import text

    from portal.extensions import db
    from portal.jobs.runner import _lock_key

    with app.test_request_context():
        _due_world(db_session, 1)
        db_session.commit()
        with app.app_context(), db.engine.connect() as other:
            other.execute(text("SELECT pg_advisory_lock(:k)"), {"k": _lock_key("revisits")})
            try:
                run = run_job("revisits", today=DAY)
                assert run.outcome == "skipped" and _count(Reminder) == 0
            finally:
                other.execute(text("SELECT pg_advisory_unlock(:k)"), {"k": _lock_key("revisits")})
        assert run_job("revisits", today=DAY).counts["revisits"] == 1


def test_cli_jobs_list_and_run(app, db_session):
    runner = CliRunner()
    with app.test_request_context():
        result = app.test_cli_runner().invoke(args=["jobs", "list"])
        assert result.exit_code == 0 and "revisits" in result.output and "waitlist" in result.output
        result = app.test_cli_runner().invoke(args=["jobs", "run", "nope"])
        assert result.exit_code != 0 and "No job named" in result.output
    assert runner  # the CLI runner above is Flask's


def test_scheduler_registers_every_job(app):
    from portal.jobs.scheduler import build_scheduler

    scheduler = build_scheduler(app)
    jobs = {job.id: job for job in scheduler.get_jobs()}
    assert set(jobs) == {job.name for job in registry.available_jobs()}
    assert str(scheduler.timezone) == "Asia/Shanghai"
    for job in jobs.values():
        assert (job.coalesce, job.max_instances, job.misfire_grace_time) == (True, 1, 3600)
    assert "hour='6'" in str(jobs["revisits"].trigger)


# --- several processes against one PostgreSQL database ------------------------------------------


@pytest.fixture()
def pg_world(fresh_database, tmp_path):
    """A committed PostgreSQL database with 25 companies due for a revisit on DAY."""
    url = fresh_database("postgresql")
    app = make_app(url, tmp_path / "data")
    with app.app_context():
        _due_world(db.session, 25)
        db.session.commit()
    try:
        yield app, url
    finally:
        with app.app_context():
            db.session.remove()
            db.engine.dispose()
        drop_pg_database(url)


def _start(url: str, data_dir, *, hook: str | None = None) -> subprocess.Popen:
    env = {**os.environ, "PORTAL_ENV": "testing", "DATABASE_URL": url, "PORTAL_DATA_DIR": str(data_dir)}
    env.pop("PORTAL_JOB_TEST_SLEEP", None)
    if hook:
        env["PORTAL_JOB_TEST_SLEEP"] = hook
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "flask",
            "--app",
            "wsgi",
            "jobs",
            "run",
            "revisits",
            "--today",
            DAY.isoformat(),
        ],
        cwd=ROOT,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def test_three_processes_create_each_reminder_once(pg_world, tmp_path):
    app, url = pg_world
    # Each process sleeps 5 s inside its work transaction, so the three overlap even when a
    # loaded machine starts one of them seconds after the others.
    procs = [_start(url, tmp_path, hook="revisits:5") for _ in range(3)]
    try:
        outputs = [p.communicate(timeout=90) for p in procs]
    finally:
        for p in procs:
            if p.poll() is None:
                p.kill()
                p.wait()
    assert all(p.returncode == 0 for p in procs), outputs
    with app.app_context():
        assert _count(Reminder, Reminder.kind == "revisit") == 25
        pairs = db.session.execute(
            select(Reminder.company_id, Reminder.due_on).group_by(Reminder.company_id, Reminder.due_on)
        ).all()
        assert len(pairs) == 25
        outcomes = sorted(db.session.scalars(select(JobRun.outcome).where(JobRun.name == "revisits")))
        assert outcomes == ["ok", "skipped", "skipped"]
        counts = db.session.scalar(select(JobRun.counts).where(JobRun.outcome == "ok"))
        assert counts["revisits"] == 25
    # Once more: nothing new.
    again = _start(url, tmp_path)
    again.communicate(timeout=60)
    with app.app_context():
        assert _count(Reminder) == 25


def test_killed_run_leaves_nothing_and_the_next_run_completes(pg_world, tmp_path):
    app, url = pg_world
    proc = _start(url, tmp_path, hook="revisits:60")
    try:
        deadline = time.monotonic() + 60
        seen = ""
        while "test hook" not in seen and time.monotonic() < deadline:
            line = proc.stderr.readline()
            if not line:
                break
            seen += line
        assert "test hook" in seen, seen
        with app.app_context():
            # The work is written (inside its transaction) but nobody else sees it.
            assert _count(Reminder) == 0
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.wait()
    with app.app_context():
        assert _count(Reminder) == 0
        assert db.session.scalars(select(JobRun.outcome)).all() == ["running"]  # the run it never finished
    # The lock died with the process: the next run takes it and completes the work.
    after = _start(url, tmp_path)
    out, err = after.communicate(timeout=60)
    assert after.returncode == 0, err
    assert "revisits: ok" in out
    with app.app_context():
        assert _count(Reminder, Reminder.kind == "revisit") == 25
        runs = db.session.execute(select(JobRun.outcome, JobRun.error).order_by(JobRun.id)).all()
        assert [r.outcome for r in runs] == ["failed", "ok"]
        assert runs[0].error.startswith("abandoned")
