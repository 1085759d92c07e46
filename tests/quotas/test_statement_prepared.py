"""A booker's statement PDF is rendered by a task worker, never in the request: the request
serves the prepared file when it is there, else queues one run (or joins the one queued) and
answers a page that follows it. The same data is rendered once; changed data gets a new file."""

import os
import re
import time
from datetime import date

import pytest
from sqlalchemy import func, select

from portal.rendering import prepared
from portal.selfservice import statement
from portal.tasks import runs
from portal.tasks.models import TaskRun
from tests import factories
from tests.conftest import sign_in

URL = "/self/statement.pdf?month=2026-03"


def _runs(db_session) -> int:
    return db_session.scalar(select(func.count(TaskRun.id)).where(TaskRun.name == "statements.render"))


def _next_url(response) -> str:
    return (
        re.search(r'data-task-next="([^"]+)"', response.get_data(as_text=True)).group(1).replace("&amp;", "&")
    )


def test_the_request_queues_the_render_and_the_page_follows_it(
    app, client, db_session, world, login, renderer, no_worker
):
    factories.segment(db_session, world.company_a, date(2026, 3, 5), 1234_56)
    login(world.booker_a)
    first = client.get(URL)
    assert first.status_code == 202 and 'data-testid="statement-preparing"' in first.get_data(as_text=True)
    assert renderer.started == 0 and len(no_worker) == 1  # nothing rendered in the request
    again = client.get(_next_url(first))
    assert (
        again.status_code == 202 and len(no_worker) == 1 and _runs(db_session) == 1
    )  # joined, not queued twice
    with app.app_context():
        runs.execute(no_worker[0])  # the worker takes the run
    done = client.get(_next_url(again))
    assert done.status_code == 200 and done.data.startswith(b"%PDF") and renderer.started == 1
    assert done.headers["Cache-Control"] == "private, no-store"


def test_the_same_statement_is_rendered_once_and_new_data_renders_anew(
    client, db_session, world, login, renderer
):
    factories.segment(db_session, world.company_a, date(2026, 3, 5), 1234_56)
    login(world.booker_a)
    assert client.get(URL).status_code == 200 and client.get(URL).status_code == 200
    assert renderer.started == 1 and _runs(db_session) == 1
    factories.segment(db_session, world.company_a, date(2026, 3, 6), 1000_00)
    db_session.flush()
    assert client.get(URL).status_code == 200 and renderer.started == 2
    client.get("/lang/zh")
    assert client.get(URL).status_code == 200 and renderer.started == 3  # another language, another file


def test_a_failed_render_is_said_once_and_not_retried_by_the_page(
    app, client, db_session, world, login, no_worker, monkeypatch
):
    def broken(data, out_path, **kw):
        raise RuntimeError("the renderer crashed")

    monkeypatch.setattr(statement, "render_statement_pdf", broken)
    login(world.booker_a)
    first = client.get(URL)
    with app.app_context(), pytest.raises(RuntimeError):
        runs.execute(no_worker[0], final=True)
    answer = client.get(_next_url(first))
    assert answer.status_code == 302 and "/self/statement?month=2026-03" in answer.headers["Location"]
    page = client.get(answer.headers["Location"]).get_data(as_text=True)
    assert "The statement could not be produced" in page
    assert len(no_worker) == 1  # the page did not queue the failed render again


def test_another_companys_run_is_ignored(app, client, db_session, world, login, renderer, no_worker):
    other = app.test_client()
    sign_in(other, world.booker_b.email)
    theirs = other.get(URL)
    login(world.booker_a)
    probe = client.get(_next_url(theirs))  # company A names company B's run
    assert probe.status_code == 202 and len(no_worker) == 2  # its own run; B's is not followed
    assert f"run={no_worker[1]}" in _next_url(probe)


def test_the_task_refuses_a_path_outside_its_folder(app):
    with app.app_context(), pytest.raises(ValueError):
        prepared.target("../../etc/passwd")


def test_old_prepared_files_are_swept(app, tmp_path):
    with app.app_context():
        old = prepared.file_for("statements", 1, {"x": 1})
        fresh = prepared.file_for("statements", 1, {"x": 2})
        for path in (old, fresh):
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(b"%PDF")
        long_ago = time.time() - prepared.KEEP_FOR.total_seconds() - 60
        os.utime(old, (long_ago, long_ago))
        assert prepared.sweep() == 1
        assert not old.exists() and fresh.exists()
