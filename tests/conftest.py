"""Fixtures: an app per database (SQLite and PostgreSQL), a rolled-back session per test.

Every test that asks for `app`, `db_session` or `client` runs once on SQLite and once on
PostgreSQL. PostgreSQL tests are skipped when no server answers at 127.0.0.1:5432, unless
REQUIRE_POSTGRES=1 (CI), where that is a failure.
"""

import os
import select as io_select
import shutil
import signal
import socket
import subprocess
import threading
import time
import uuid
from contextlib import contextmanager
from pathlib import Path

import psycopg
import pytest
from flask_babel import force_locale
from flask_migrate import upgrade
from sqlalchemy.orm import scoped_session, sessionmaker

from portal import create_app
from portal.extensions import db as _db
from tests import factories

PG_ADMIN_DSN = os.environ.get("TEST_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
REQUIRE_POSTGRES = os.environ.get("REQUIRE_POSTGRES") == "1"
REQUIRE_BROWSER = os.environ.get("REQUIRE_BROWSER") == "1"


# Tests of tens of seconds each (real processes, races, seeded worlds, the form walk, the
# browser), longest first. They run before the rest: at the end of a `pytest -n 2` run one
# worker would otherwise still be busy with them while the other has nothing left to do.
SLOW_FIRST = (
    "tests/quotas/test_race.py",
    "tests/test_hostile_forms.py::test_hostile_values_on_every_form",
    "tests/test_several_instances.py",
    "tests/reminders/test_jobs.py::test_three_processes_create_each_reminder_once",
    "tests/reminders/test_jobs.py::test_killed_run_leaves_nothing_and_the_next_run_completes",
    "tests/tasks/test_worker.py",
    "tests/test_seed.py",
    "tests/imports/test_interrupt.py",
    "tests/test_processes.py",
    "tests/browser/",
    "tests/test_backup.py",
    "tests/reviews/test_limits_race.py",
    "tests/test_production.py",
    "tests/test_migrations.py",
)


@pytest.hookimpl(trylast=True)  # after pytest has grouped the tests by their session database
def pytest_collection_modifyitems(items):
    """Move the SLOW_FIRST tests to the front, keeping every other test where it was (the tests
    on the session's databases stay grouped by backend, each database built once per worker)."""

    def rank(item) -> int:
        for i, prefix in enumerate(SLOW_FIRST):
            if item.nodeid.startswith(prefix):
                return i
        return len(SLOW_FIRST)

    items.sort(key=rank)


def postgres_available() -> str | None:
    """None when PostgreSQL answers, else the reason it does not."""
    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return None
    except psycopg.Error as e:
        return f"PostgreSQL at 127.0.0.1:5432 is not reachable: {e}".strip()


def create_pg_database(prefix: str = "portal_test", admin_dsn: str = PG_ADMIN_DSN) -> str:
    """A new, empty throwaway database; returns its SQLAlchemy URL. (The benchmarks make theirs
    here too, with their own admin connection.)"""
    name = f"{prefix}_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def copy_pg_database(template_url: str) -> str:
    """A new database made as a copy of the one at `template_url` (nobody may be connected to
    it); returns its SQLAlchemy URL."""
    template = template_url.rsplit("/", 1)[1]
    name = f"portal_test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}" TEMPLATE "{template}"')
    return f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def drop_pg_database(url: str, admin_dsn: str = PG_ADMIN_DSN) -> None:
    """Drop a database made by create_pg_database, ending its connections first."""
    name = url.rsplit("/", 1)[1]
    with psycopg.connect(admin_dsn, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def skip_or_fail_without_postgres() -> None:
    """Skip (or, when REQUIRE_POSTGRES=1, fail) when PostgreSQL is not there."""
    reason = postgres_available()
    if reason:
        if REQUIRE_POSTGRES:
            pytest.fail(f"REQUIRE_POSTGRES=1 but {reason}")
        pytest.skip(f"{reason} (set REQUIRE_POSTGRES=1 to make this a failure)")


def make_database_url(kind: str, tmp_path_factory) -> str:
    """A fresh database of `kind` ("sqlite" or "postgresql")."""
    if kind == "sqlite":
        return f"sqlite:///{tmp_path_factory.mktemp('db') / 'portal.db'}"
    skip_or_fail_without_postgres()
    return create_pg_database()


def make_app(database_url: str, data_dir, **overrides):
    """A testing app on `database_url`, its schema built by the migrations."""
    app = create_app(
        "testing", SQLALCHEMY_DATABASE_URI=database_url, PORTAL_DATA_DIR=str(data_dir), **overrides
    )
    with app.app_context():
        upgrade()
    return app


def fire_at_once(calls) -> list:
    """Make each call (returning a response) in its own thread, all released at once; their
    status codes in order (an exception's repr where a call raised)."""
    barrier = threading.Barrier(len(calls))
    codes: list = [None] * len(calls)

    def run(i, call):
        barrier.wait()
        try:
            codes[i] = call().status_code
        except Exception as e:  # shown in the caller's assertion
            codes[i] = repr(e)

    threads = [threading.Thread(target=run, args=(i, c)) for i, c in enumerate(calls)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(120)
    return codes


def reports_of(processes, results, timeout: float) -> list:
    """Start the processes and take one report from each off the `results` queue (waiting up
    to `timeout` seconds for each); then wait for them to end, killing any that hang."""
    for process in processes:
        process.start()
    try:
        return [results.get(timeout=timeout) for _ in processes]
    finally:
        for process in processes:
            process.join(timeout=30)
            if process.is_alive():
                process.kill()


def wait_for_output(process: subprocess.Popen, text: bytes, timeout: float = 60) -> None:
    """Read the process's stderr (a pipe) until `text` appears; fail, showing what came, when
    it ends first or takes longer than `timeout` seconds."""
    deadline = time.monotonic() + timeout
    seen = b""
    while text not in seen:
        assert time.monotonic() < deadline, seen.decode(errors="replace")[-3000:]
        ready, _, _ = io_select.select([process.stderr], [], [], 1)
        if ready:
            chunk = os.read(process.stderr.fileno(), 4096)
            assert chunk or process.poll() is None, seen.decode(errors="replace")[-3000:]
            seen += chunk


def end_process(process: subprocess.Popen | None) -> None:
    """Kill the process if it still runs, and close its stderr pipe (for a test's cleanup)."""
    if process is None:
        return
    if process.poll() is None:
        process.kill()
        process.wait(timeout=10)
    if not process.stderr.closed:
        process.stderr.close()


@contextmanager
def task_worker(app, workers: int = 4):
    """A real task worker (Huey consumer threads) for an app made with TASKS_IMMEDIATE=False, in
    this process; afterwards tasks run at once again, as in every other test."""
    from portal import tasks
    from portal.tasks import huey

    handlers = {sig: signal.getsignal(sig) for sig in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP)}
    tasks.init_app(app)
    consumer = huey.create_consumer(workers=workers, periodic=False)
    consumer.start()
    try:
        yield consumer
    finally:
        consumer.stop(graceful=True)
        for sig, handler in handlers.items():
            signal.signal(sig, handler)
        huey.immediate = True
        huey.storage = huey.create_storage()


@pytest.fixture(scope="session", params=["sqlite", "postgresql"])
def database_url(request, tmp_path_factory):
    """One throwaway database per backend for the whole run."""
    url = make_database_url(request.param, tmp_path_factory)
    yield url
    if url.startswith("postgresql"):
        drop_pg_database(url)


@pytest.fixture(scope="session")
def fresh_database(tmp_path_factory):
    """fresh_database(kind): the URL of a new database of `kind` ("sqlite" or "postgresql")
    already migrated to head, for a test that needs a database of its own. Each is a copy of a
    template this process migrated once: copying takes a fraction of the migrations' time.
    (tests/test_migrations.py runs the migrations themselves on empty databases.) Every
    PostgreSQL copy left is dropped when the run ends."""
    templates = {}
    copies = []

    def fresh(kind: str) -> str:
        if kind not in templates:
            template = make_database_url(kind, tmp_path_factory)
            templates[kind] = template
            with make_app(template, tmp_path_factory.mktemp("data")).app_context():
                _db.engine.dispose()  # no connection left: PostgreSQL copies only an idle template
        if kind == "sqlite":
            copy = tmp_path_factory.mktemp("db") / "portal.db"
            shutil.copyfile(templates[kind].removeprefix("sqlite:///"), copy)
            return f"sqlite:///{copy}"
        copies.append(copy_pg_database(templates[kind]))
        return copies[-1]

    yield fresh
    for url in [*copies, *templates.values()]:
        if url.startswith("postgresql"):
            drop_pg_database(url)


@pytest.fixture(scope="session")
def app(database_url, tmp_path_factory):
    """The app on the session's database, migrated to head."""
    app = make_app(database_url, tmp_path_factory.mktemp("data"))
    yield app
    with app.app_context():
        _db.engine.dispose()


class _TestSession(scoped_session):
    """The test's session outlives each request: Flask-SQLAlchemy's teardown must not end it."""

    def remove(self):
        pass

    def end(self):
        scoped_session.remove(self)


@pytest.fixture()
def db_session(app):
    """A session inside an outer transaction that is rolled back after the test.

    Commits in the code under test only release savepoints (SQLAlchemy's "joining a session
    into an external transaction" recipe), so every test starts from the same database. No
    app context stays pushed, so each request gets its own (and its own `g`), as in production.
    """
    with app.app_context():
        connection = _db.engine.connect()
    outer = connection.begin()
    original = _db.session
    _db.session = _TestSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"))
    try:
        yield _db.session
    finally:
        _db.session.end()
        _db.session = original
        outer.rollback()
        connection.close()
        # Prepared PDFs are named by the data they show: they go with the test's rows.
        shutil.rmtree(Path(app.config["PORTAL_DATA_DIR"]) / "prepared", ignore_errors=True)


@pytest.fixture()
def client(app, db_session):
    """A test client whose requests run inside the test's transaction."""
    return app.test_client()


@pytest.fixture()
def world(db_session):
    """A small, known world: two branches, staff of every role, three companies, two bookers."""
    return factories.small_world(db_session)


def sign_in(client, email: str, password: str = factories.PASSWORD):
    """Sign in through the real form (CSRF token included); returns the response."""
    page = client.get("/login")
    token = factories.csrf_from(page)
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token})


@pytest.fixture()
def pages_in_english():
    """Whether `login` switches the pages to English; an area whose tests read English pages
    sets it to True in its conftest."""
    return False


@pytest.fixture()
def login(client, pages_in_english):
    """Call login(user) to sign the test client in as that user."""

    def _login(user, password: str = factories.PASSWORD):
        response = sign_in(client, user.email, password)
        assert response.status_code == 302, response.get_data(as_text=True)[:500]
        if pages_in_english:
            client.get("/lang/en")
        return response

    return _login


@pytest.fixture()
def ctx(app, db_session):
    """A request context for calling services directly, with messages in English (the tests
    read them; tests/test_i18n.py checks the Chinese catalogue)."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture()
def no_worker(monkeypatch):
    """Task runs are queued but no worker has taken them yet: the ids sent to the queue."""
    from portal.tasks import runs

    sent = []
    monkeypatch.setattr(runs, "dispatch", sent.append)
    return sent


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What an aiosmtpd server on 127.0.0.1 received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture()
def smtp():
    """A real SMTP server on a free loopback port; stopped after the test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.controller = controller
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()
