"""Task runs on both databases, tasks run at once or by calling the worker's function directly:
failures retried then shown to admins with a retry button, runs of a dead worker requeued,
progress on the import page, "Run now" and review requests handed to the queue."""

import io
import socket

import pytest
from sqlalchemy import func, select

from portal import files
from portal.extensions import db
from portal.imports import tasks as import_tasks
from portal.imports.models import ImportBatch
from portal.jobs.models import JobRun
from portal.tasks import runs
from portal.tasks.models import TaskRun
from portal.web import request_id
from tests import factories
from tests.imports.files import ZH_HEADER, booking, csv_bytes


def _queued_import(app, world, rows: int = 3) -> TaskRun:
    """A committed, queued (not dispatched) import of `rows` valid bookings."""
    from portal.imports.uploads import queue_upload

    code = world.company_a.credit_code
    data = csv_bytes([ZH_HEADER] + [booking(code, f"99700000{i:05d}") for i in range(rows)])
    with app.test_request_context():
        run = queue_upload("bookings", data, "b.csv", author_id=world.admin.id, dry_run=False)
        db.session.commit()
    return run


def test_a_failing_task_is_retried_then_failed_and_an_admin_retries_it(
    app, client, world, login, db_session, monkeypatch
):
    run = _queued_import(app, world)
    calls = []

    def broken(*args, **kwargs):
        calls.append(1)
        raise ConnectionError("database went away")

    monkeypatch.setattr(import_tasks, "run_import", broken)
    with app.test_request_context():
        with pytest.raises(ConnectionError):  # raised to the queue, which retries after a back-off
            runs.execute(run.id, final=False)
        db_session.refresh(run)
        assert (run.status, run.attempts, run.finished_at) == ("queued", 1, None)
        assert "database went away" in run.error
        with pytest.raises(ConnectionError):
            runs.execute(run.id, final=True)  # the last attempt
        db_session.refresh(run)
        assert (run.status, run.attempts) == ("failed", 2)
        assert runs.may_retry(run)
    assert len(calls) == 2
    login(world.admin)
    page = client.get("/admin/tasks?status=failed").get_data(as_text=True)
    assert f'id="task-{run.id}"' in page and "database went away" in page
    assert f"/admin/tasks/{run.id}/retry" in page
    monkeypatch.undo()
    token = factories.csrf_from(client.get("/admin/tasks"))
    response = client.post(f"/admin/tasks/{run.id}/retry", data={"csrf_token": token})
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/imports/tasks/{run.id}")
    db_session.refresh(run)
    assert run.status == "done" and run.result["rows_imported"] == 3  # tests run tasks at once
    again = client.post(f"/admin/tasks/{run.id}/retry", data={"csrf_token": token})
    assert again.status_code == 302
    db_session.refresh(run)
    assert run.status == "done"  # only a failed run is retried


def test_a_run_is_claimed_once(app, world, db_session):
    run = _queued_import(app, world)
    with app.test_request_context():
        runs.execute(run.id)
        runs.execute(run.id)  # the same message delivered twice
        db_session.refresh(run)
        assert (run.status, run.attempts) == ("done", 1)
        assert db_session.scalar(select(func.count()).select_from(ImportBatch)) == 1


def test_a_refused_file_fails_at_once_without_a_retry_button(app, client, world, login, db_session):
    from portal.imports.uploads import queue_upload

    # The header is fine (checked on upload); the file then turns out to be unreadable.
    data = csv_bytes([ZH_HEADER, booking(world.company_a.credit_code, "9970000000001")])
    with app.test_request_context():
        run = queue_upload("bookings", data, "b.csv", author_id=world.admin.id, dry_run=False)
        db.session.commit()
        files.stored_path(run.args["stored_name"]).write_bytes(b"\x00\x01binary")
        runs.execute(run.id, final=False)
        db_session.refresh(run)
        assert run.status == "failed" and not runs.may_retry(run)
        assert not files.stored_path(run.args["stored_name"]).exists()
    login(world.admin)
    page = client.get(f"/admin/imports/tasks/{run.id}").get_data(as_text=True)
    assert 'data-testid="task-error"' in page and run.error
    assert f"/admin/tasks/{run.id}/retry" not in page


def test_a_run_left_by_a_dead_worker_is_queued_again(app, world, db_session):
    run = _queued_import(app, world)
    with app.test_request_context():
        db_session.execute(
            TaskRun.__table__.update()
            .where(TaskRun.id == run.id)
            .values(status="running", attempts=1, holder=f"{socket.gethostname()}:999999999")
        )
        db_session.commit()
        alive = runs.holder()  # this process: its runs are not touched
        other = _queued_import(app, world, rows=1)
        db_session.execute(
            TaskRun.__table__.update()
            .where(TaskRun.id == other.id)
            .values(status="running", attempts=1, holder=alive)
        )
        db_session.commit()
        assert runs.recover_abandoned() == [run.id]
        db_session.refresh(run)
        db_session.refresh(other)
        assert (run.status, run.attempts, run.result["rows_imported"]) == ("done", 2, 3)
        assert other.status == "running"


def test_the_import_page_shows_progress_then_the_report(app, client, world, login, db_session):
    run = _queued_import(app, world)
    login(world.admin)
    client.get("/lang/en")
    with app.test_request_context():
        db_session.execute(
            TaskRun.__table__.update().where(TaskRun.id == run.id).values(status="running", attempts=1)
        )
        db_session.commit()
        runs.report_progress(run.id, read=5000, rejected=7, written=4000, total=10_000, elapsed=10.0)
    page = client.get(f"/admin/imports/tasks/{run.id}").get_data(as_text=True)
    assert "data-task-pending" in page and "js/progress.js" in page
    assert "5000 / ~10000 (50%)" in page and "4000" in page
    assert "about 10 s" in page  # 5000 rows in 10 s, 5000 to go
    db_session.execute(
        TaskRun.__table__.update().where(TaskRun.id == run.id).values(status="queued", attempts=0)
    )
    db_session.commit()
    with app.test_request_context():
        runs.execute(run.id)
    response = client.get(f"/admin/imports/tasks/{run.id}")
    batch = db_session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc())).first()
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/admin/imports/{batch.id}")


def test_an_upload_is_imported_by_a_task(client, world, login, db_session):
    login(world.admin)
    data = csv_bytes([ZH_HEADER, booking(world.company_a.credit_code, "9970000000099")])
    token = factories.csrf_from(client.get("/admin/imports"))
    response = client.post(
        "/admin/imports",
        data={"csrf_token": token, "kind": "bookings", "file": (io.BytesIO(data), "x.csv")},
        content_type="multipart/form-data",
    )
    run = db_session.scalars(select(TaskRun).order_by(TaskRun.id.desc())).first()
    assert response.headers["Location"].endswith(f"/admin/imports/tasks/{run.id}")
    assert (run.name, run.status, run.result["rows_imported"]) == ("imports.run", "done", 1)


def test_run_now_hands_the_job_to_the_queue(client, world, login, db_session):
    login(world.admin)
    token = factories.csrf_from(client.get("/reminders/jobs"))
    response = client.post("/reminders/jobs/run", data={"csrf_token": token, "name": "revisits"})
    assert response.status_code == 302
    run = db_session.scalars(select(TaskRun).where(TaskRun.name == "jobs.run")).one()
    assert run.args == {"job": "revisits"} and run.author_id == world.admin.id
    job_run = db_session.get(JobRun, run.result["job_run_id"])
    assert (run.status, job_run.name, job_run.outcome) == ("done", "revisits", "ok")


def test_the_reviews_page_shows_the_monthly_batch_progress(client, world, login, db_session):
    from portal.reviews.models import Review

    for status in ("done", "failed", "queued", "queued"):
        db_session.add(Review(kind="portfolio", period="2026Q3", status=status, progress=0))
    db_session.commit()
    login(world.admin)
    client.get("/lang/en")
    page = client.get("/reviews/").get_data(as_text=True)
    assert 'data-testid="batch-progress"' in page
    assert "1 of 4 reviews ready, 1 failed, 2 still to render" in page


SEEN_REQUEST_IDS: list = []


@runs.task("tests.request_id_probe")
def _request_id_probe(ctx):
    SEEN_REQUEST_IDS.append(request_id.current())


def test_a_task_logs_under_the_id_of_the_request_that_queued_it(app, db_session):
    SEEN_REQUEST_IDS.clear()

    with app.test_request_context(headers={"X-Request-ID": "rid-queued-9"}):
        with request_id.bound("rid-queued-9"):
            run = runs.enqueue("tests.request_id_probe")
        db_session.commit()  # inside the test's outer transaction
        assert run.request_id == "rid-queued-9"
    with app.app_context():
        runs.execute(run.id)
    assert SEEN_REQUEST_IDS == ["rid-queued-9"]
