"""A real worker process (`flask --app wsgi worker`) on the embedded SQLite queue, killed with
SIGKILL in the middle of an uploaded import: nothing of the import is written, and the next worker
runs the task again, fully (on SQLite and PostgreSQL). The scale-out queue on the local Redis."""

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from huey.storage import RedisStorage
from sqlalchemy import func, select

from portal.db import sqlite_begin
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.imports.uploads import queue_upload
from portal.segments.models import Segment
from portal.tasks import huey, runs
from portal.tasks.models import TaskRun
from tests import factories
from tests.conftest import (
    drop_pg_database,
    end_process,
    make_app,
    task_worker,
    wait_for_output,
)
from tests.imports.files import ZH_HEADER, booking, csv_bytes
from tests.imports.helpers import kill_mid_import

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))
ROWS = 12_000  # more than two chunks
REDIS_URL = os.environ.get("TEST_REDIS_URL", "redis://127.0.0.1:6379/15")


def _worker(env: dict) -> subprocess.Popen:
    return subprocess.Popen(
        [FLASK, "--app", "wsgi", "worker", "--workers", "1"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


def _stop(process: subprocess.Popen | None) -> None:
    """Ask the worker to stop (SIGINT); kill it if it has not within 20 s."""
    if process is not None and process.poll() is None:
        process.send_signal(signal.SIGINT)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            pass
    end_process(process)


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_a_worker_killed_mid_import_leaves_nothing_and_the_task_runs_again(kind, fresh_database, tmp_path):
    url = fresh_database(kind)
    data_dir = tmp_path / "data"
    app = make_app(url, data_dir, TASKS_IMMEDIATE=False)  # the queue: data/tasks.db
    env = dict(
        os.environ,
        DATABASE_URL=url,
        PORTAL_ENV="testing",
        PORTAL_DATA_DIR=str(data_dir),
        PORTAL_TASKS_IMMEDIATE="0",
    )
    first = second = None
    try:
        with app.test_request_context():
            world = factories.small_world(db.session)
            code, admin_id = world.company_a.credit_code, world.admin.id
            db.session.commit()
            rows = [ZH_HEADER] + [booking(code, f"996{i:010d}") for i in range(ROWS)]
            run_id = queue_upload(
                "bookings", csv_bytes(rows), "big.csv", author_id=admin_id, dry_run=False
            ).id
            db.session.commit()
            runs.dispatch(run_id)  # into the SQLite queue; no worker runs yet

        first = _worker(dict(env, PORTAL_IMPORT_TEST_DELAY="60"))
        wait_for_output(first, b"chunk written")  # the first chunk is written, not committed
        with app.app_context(), sqlite_begin("BEGIN"):  # reads, beside the import's writes
            run = db.session.get(TaskRun, run_id)
            assert (run.status, run.attempts) == ("running", 1)
            assert run.holder.endswith(f":{first.pid}")
            progress = runs.progress_of(run_id)  # published by the worker, read by the web
            assert progress["read"] >= 5000 and progress["total"] == ROWS and progress["written"] >= 5000
            db.session.rollback()
        kill_mid_import(app, first)
        with app.app_context():
            assert db.session.get(TaskRun, run_id).status == "running"  # until a worker notices
            db.session.rollback()

        second = _worker(env)  # at start it requeues the dead worker's run, then runs it
        deadline = time.monotonic() + 120
        with app.app_context(), sqlite_begin("BEGIN"):
            while True:
                run = db.session.get(TaskRun, run_id)
                if run.status in ("done", "failed"):
                    break
                if time.monotonic() > deadline:
                    second.kill()
                    raise AssertionError(f"not run again: {run.status} {second.stderr.read()[-4000:]}")
                db.session.rollback()
                time.sleep(0.5)
            assert (run.status, run.attempts, run.error) == ("done", 2, None)
            assert run.result["rows_imported"] == ROWS
            assert db.session.scalar(select(func.count()).select_from(Segment)) == ROWS
            batches = db.session.execute(select(ImportBatch.id, ImportBatch.status)).all()
            assert batches == [(run.result["batch_id"], "done")]
            db.session.rollback()
            db.engine.dispose()
    finally:
        end_process(first)
        _stop(second)
        huey.immediate = True  # every other test runs tasks at once
        huey.storage = huey.create_storage()
        if url.startswith("postgresql"):
            drop_pg_database(url)


def test_the_scale_out_queue_on_redis_carries_an_import(fresh_database, tmp_path):
    """With PORTAL_TASK_BROKER=redis://..., web and workers share the Redis queue (and progress)."""
    url = fresh_database("sqlite")
    app = make_app(url, tmp_path / "data", TASKS_IMMEDIATE=False, TASK_BROKER=REDIS_URL)
    try:
        with task_worker(app, workers=1):
            huey.flush()  # this test's database of the local Redis starts empty
            with app.test_request_context():
                world = factories.small_world(db.session)
                data = csv_bytes([ZH_HEADER, booking(world.company_a.credit_code, "9950000000001")])
                run_id = queue_upload("bookings", data, "r.csv", author_id=world.admin.id, dry_run=False).id
                db.session.commit()
                runs.dispatch(run_id)
                assert isinstance(huey.storage, RedisStorage)
            deadline = time.monotonic() + 30
            with app.app_context():
                while db.session.scalar(select(TaskRun.status).where(TaskRun.id == run_id)) != "done":
                    assert time.monotonic() < deadline
                    db.session.rollback()
                    time.sleep(0.2)
                assert db.session.scalar(select(func.count()).select_from(Segment)) == 1
                assert runs.progress_of(run_id)["written"] == 1  # progress kept in Redis
                db.session.rollback()
                db.engine.dispose()
            huey.flush()
    finally:
        huey.immediate = True
        huey.storage = huey.create_storage()
