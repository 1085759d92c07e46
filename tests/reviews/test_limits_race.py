"""Bounded renders under real concurrency: twenty threads, each with its own client and database
connection, fire at once on a committed database; reviews render in a real task worker.
The renderer entry points are replaced by counting stand-ins that take a moment, so renders
overlap if the limits let them."""

import html
import re
import threading
import time

import pytest
from sqlalchemy import delete, func, select

from portal.extensions import db
from portal.rendering.models import RenderSlot
from portal.reviews import generation
from portal.reviews.models import Review
from portal.selfservice import statement
from portal.tasks.models import TaskRun
from tests import factories
from tests.conftest import (
    drop_pg_database,
    fire_at_once,
    make_app,
    sign_in,
    task_worker,
)
from tests.reviews.helpers import CountingRenderer

pytestmark = pytest.mark.slow

THREADS = 20


@pytest.fixture(params=["sqlite", "postgresql"])
def committed(request, fresh_database, tmp_path_factory):
    """An app on its own database (real commits, seen by every connection) and its world."""
    url = fresh_database(request.param)
    app = make_app(
        url,
        tmp_path_factory.mktemp("data"),
        REVIEWS_MAX_PER_USER=2,
        REVIEWS_MAX_RUNNING=2,
        REVIEWS_MAX_WAITING=20,
        STATEMENTS_MAX_PER_COMPANY=1,
        TASKS_IMMEDIATE=False,  # reviews render in a real task worker
    )
    with app.app_context():
        world = factories.small_world(db.session)
        ids = {
            name: getattr(world, name).id
            for name in ("manager_a1", "head_a", "company_a", "company_b", "booker_a", "booker_b")
        }
        emails = {
            name: getattr(world, name).email for name in ("manager_a1", "head_a", "booker_a", "booker_b")
        }
        db.session.commit()
        db.session.remove()
    with task_worker(app):
        yield app, ids, emails
    with app.app_context():
        db.engine.dispose()
    if url.startswith("postgresql"):
        drop_pg_database(url)


def _client(app, email):
    client = app.test_client()
    sign_in(client, email)
    return client


def _generate_request(client, company_id, period):
    token = factories.csrf_from(client.get(f"/companies/{company_id}/reviews"))
    data = {"csrf_token": token, "kind": "account", "company_id": company_id, "period": period}
    return lambda: client.post("/reviews/generate", data=data)


def _wait_until_rendered(app, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            left = db.session.scalar(
                select(func.count(Review.id)).where(Review.status.in_(("queued", "running")))
            )
            db.session.rollback()
            if not left:
                return
            time.sleep(0.1)
    raise AssertionError("reviews still in flight")


def test_twenty_concurrent_generate_requests_stay_within_the_bounds(committed, monkeypatch):
    app, ids, emails = committed
    gate = threading.Event()  # renders last until every request has been answered
    renderer = CountingRenderer(seconds=0.2, gate=gate)
    monkeypatch.setattr(generation, "render_context", renderer)
    company = ids["company_a"]
    # Ten requests by one manager for ten different reviews, ten by a branch head for one review.
    requests = [
        _generate_request(_client(app, emails["manager_a1"]), company, f"{2022 + i // 4}Q{i % 4 + 1}")
        for i in range(THREADS // 2)
    ] + [_generate_request(_client(app, emails["head_a"]), company, "2026Q3") for _ in range(THREADS // 2)]
    codes = fire_at_once(requests)
    gate.set()
    manager, head = codes[: THREADS // 2], codes[THREADS // 2 :]
    assert sorted(manager) == [302] * 2 + [429] * 8  # two per user
    assert head == [302] * (THREADS // 2)  # one admitted, nine joined it
    _wait_until_rendered(app)
    assert renderer.started == 3  # one render per admitted review, none for the joins
    assert renderer.peak == 2  # never more than REVIEWS_MAX_RUNNING at once
    with app.app_context():
        rows = db.session.execute(select(Review.author_id, Review.status)).all()
    assert sorted(rows) == sorted(
        [(ids["manager_a1"], "done"), (ids["manager_a1"], "done"), (ids["head_a"], "done")]
    )


def _poll_until_pdf(client, url, timeout=60.0):
    """Follow the preparing page (202, naming the run) until the PDF is served."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        response = client.get(url)
        if response.status_code == 200:
            return response
        assert response.status_code == 202, response.status_code
        url = _again(response)
        time.sleep(0.1)
    raise AssertionError("statement still being prepared")


def _wait_until_runs_end(app, name, timeout=60.0) -> None:
    deadline = time.monotonic() + timeout
    with app.app_context():
        while time.monotonic() < deadline:
            left = db.session.scalar(
                select(func.count(TaskRun.id)).where(
                    TaskRun.name == name, TaskRun.status.in_(("queued", "running"))
                )
            )
            db.session.rollback()
            if not left:
                return
            time.sleep(0.1)
    raise AssertionError(f"{name} runs still in flight")


def _again(response) -> str:
    page = response.get_data(as_text=True)
    return html.unescape(re.search(r'data-task-next="([^"]+)"', page).group(1))


def test_concurrent_statement_downloads_render_each_statement_once(committed, monkeypatch):
    """Statements render in the task worker: concurrent downloads of one statement join one
    render (202, then the file), and one company's renders never hold up another's."""
    app, ids, emails = committed
    renderers = {
        ids["company_a"]: CountingRenderer(seconds=0.5),
        ids["company_b"]: CountingRenderer(seconds=0.5),
    }
    monkeypatch.setattr(
        statement,
        "render_statement_pdf",
        lambda data, out_path, **kw: renderers[data["company"]["id"]](data, out_path),
    )
    url = "/self/statement.pdf?month=2026-03"
    a = [_client(app, emails["booker_a"]) for _ in range(THREADS - 4)]
    b = [_client(app, emails["booker_b"]) for _ in range(4)]
    codes = fire_at_once([lambda c=c: c.get(url) for c in a + b])
    assert set(codes) <= {200, 202, 429}
    for client in (a[0], b[0]):
        assert _poll_until_pdf(client, url).data.startswith(b"%PDF")
    _wait_until_runs_end(app, "statements.render")
    assert renderers[ids["company_a"]].started == 1 and renderers[ids["company_b"]].started == 1
    assert renderers[ids["company_a"]].peak == 1 and renderers[ids["company_b"]].peak == 1
    with app.app_context():
        assert db.session.scalar(select(func.count(RenderSlot.id))) == 0  # every slot released
        db.session.execute(delete(RenderSlot))
        db.session.commit()
