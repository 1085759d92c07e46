"""Several instances, proven (issue 21): two app instances (gunicorn), two schedulers and two task
workers run as real processes against one PostgreSQL database, one data folder, one Redis queue
and one SMTP server on 127.0.0.1, as a deployment with a load balancer would run them.

Through both instances at once:
1. priority requests for one quota, more than its seats: never oversold, the rest waitlisted, a
   traveller requested twice (once on each instance) gets one request;
2. one day's revisit job, started on both at once (each run goes through the job's database
   lock, as the schedulers' runs do), then the digest and the mail jobs: each reminder is made
   once and every manager receives one digest; no mail is sent twice;
3. the same review requested on both at once: one review, rendered once;
4. an import uploaded on one instance whose worker is killed (SIGKILL) mid-way: the other worker
   takes it over (its periodic recovery) and finishes it, each coupon imported once;
5. an API client's calls, alternately to each instance: its rate limit counts them all (the
   counters live in Redis), so the calls beyond it are refused whichever instance answers.

The schedulers run throughout (their every-minute jobs fire in both, under the lock).
PostgreSQL only; skipped without it unless REQUIRE_POSTGRES=1. One test, so pytest-xdist keeps
it in one worker.
"""

import email
import os
import re
import signal
import subprocess
import sys
import time
from collections import Counter
from datetime import datetime, timedelta
from datetime import time as clock
from email import policy
from pathlib import Path

import pytest
import redis
import requests
from aiosmtpd.controller import Controller
from sqlalchemy import func, select

from portal.api.clients import create_client
from portal.companies.models import Company
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.jobs.models import JobRun
from portal.mail.models import OutboundEmail
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.reminders.operations import cadence_days, revisit_bases
from portal.reviews.models import Review
from portal.segments.models import Segment
from portal.tasks.models import TaskRun
from portal.timeutil import local_today
from tests import factories
from tests.conftest import (
    Inbox,
    drop_pg_database,
    fire_at_once,
    free_port,
    make_app,
)
from tests.imports.files import ZH_HEADER, booking, csv_bytes
from tests.quotas.helpers import flight_day, quota

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parent.parent
VENV_BIN = Path(sys.executable).parent
REDIS_URL = os.environ.get("TEST_SEVERAL_REDIS_URL", "redis://127.0.0.1:6379/14")
SEATS = 4
API_CALLS_ALLOWED = 6  # a minute, per API client
TRAVELLERS = 10
TICKETS = 6_000  # two coupons each: 12,000 rows, more than two chunks of the import
PERIOD = "2026Q3"
START_TIMEOUT = 180  # the machine may be busy: starting six processes is most of the test


class Processes:
    """The processes this test starts, each in its own process group, its output in a file."""

    def __init__(self, folder: Path, env: dict):
        self.folder, self.env, self.started, self.stop_signals = folder, env, {}, {}

    def start(self, name: str, *args: str, stop_signal=signal.SIGTERM) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "wb")
        process = subprocess.Popen(
            [str(VENV_BIN / args[0]), *args[1:]],
            cwd=ROOT,
            env=self.env,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        log.close()
        self.started[name] = process
        self.stop_signals[name] = stop_signal
        return process

    def log(self, name: str) -> str:
        return (self.folder / f"{name}.log").read_text(errors="replace")

    def tails(self) -> str:
        return "\n".join(f"--- {name}\n{self.log(name)[-2500:]}" for name in self.started)

    def wait_for(self, name: str, text: str, timeout: float = START_TIMEOUT) -> None:
        deadline = time.monotonic() + timeout
        while text not in self.log(name):
            assert self.started[name].poll() is None, f"{name} ended\n{self.tails()}"
            assert time.monotonic() < deadline, f"{name}: no {text!r}\n{self.tails()}"
            time.sleep(0.2)

    def stop_all(self) -> None:
        """Its stop signal to every group still running, then SIGKILL to what outlives it."""
        running = [p for p in self.started.values() if p.poll() is None]
        for name, process in self.started.items():
            if process in running:
                os.killpg(process.pid, self.stop_signals[name])
        deadline = time.monotonic() + 10  # nothing to save: the database is dropped next
        for process in running:
            try:
                process.wait(timeout=max(0.1, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        for process in running:
            try:
                os.killpg(process.pid, signal.SIGKILL)  # also a gunicorn worker left behind
            except ProcessLookupError:
                pass
            process.wait(timeout=10)


def _csrf(html: str) -> str:
    match = re.search(r'name="csrf_token" (?:type="hidden" )?value="([^"]+)"', html)
    assert match, "no csrf_token in the page"
    return match.group(1)


def _signed_in(base: str, email_address: str) -> requests.Session:
    """A session signed in on one instance (its cookie is good on every instance)."""
    session = requests.Session()
    token = _csrf(session.get(f"{base}/login", timeout=30).text)
    response = session.post(
        f"{base}/login",
        data={"email": email_address, "password": factories.PASSWORD, "csrf_token": token},
        allow_redirects=False,
        timeout=30,
    )
    assert response.status_code == 302, response.text[:500]
    return session


def _copy(session: requests.Session) -> requests.Session:
    """Another client with the same signed-in cookie (one per thread)."""
    other = requests.Session()
    other.cookies.update(session.cookies)
    return other


def _world(app) -> dict:
    """The small world, a quota of SEATS seats with TRAVELLERS travellers, and every managed
    company due for its revisit today."""
    with app.app_context():
        session = db.session
        w = factories.small_world(session)
        q = quota(session, w.agreement_a, seats=SEATS)
        travellers = [factories.traveller(session, w.company_a).id for _ in range(TRAVELLERS)]
        today = local_today()
        for company in session.scalars(select(Company)):
            days = cadence_days(company.tier)
            company.created_at = datetime.combine(today - timedelta(days=days), clock(4))  # noon Beijing
        session.flush()
        due = sorted(cid for cid, base in revisit_bases().items() if base.due <= today)
        ids = {
            "quota": q.id,
            "travellers": travellers,
            "company_a": w.company_a.id,
            "due_companies": due,
            "managers": {w.manager_a1.email, w.manager_b1.email},
            "emails": {name: getattr(w, name).email for name in ("admin", "manager_a1", "booker_a")},
            "credit_code": w.company_a.credit_code,
        }
        session.commit()
        session.remove()
    return ids


def _until(app, query, done, timeout: float, what: str, processes: Processes):
    """Poll `query()` (in an app context) until `done(value)`; the value."""
    deadline = time.monotonic() + timeout
    with app.app_context():
        while True:
            value = query()
            finished = done(value)
            db.session.expunge_all()  # rows read stay readable after the context ends
            db.session.rollback()
            if finished:
                return value
            assert time.monotonic() < deadline, f"{what}: still {value!r}\n{processes.tails()}"
            time.sleep(0.2)


def _priority_requests(app, bases, ids) -> None:
    booker = _signed_in(bases[0], ids["emails"]["booker_a"])
    token = _csrf(booker.get(f"{bases[1]}/self/requests/new", timeout=30).text)
    day = flight_day(20).isoformat()

    def request_for(base, traveller_id):
        client = _copy(booker)
        data = {
            "csrf_token": token,
            "traveller_id": str(traveller_id),
            "flight_number": "CA1501",
            "flight_date": day,
            "origin": "PEK",
            "destination": "SHA",
            "cabin": "Y",
        }
        return lambda: client.post(f"{base}/self/requests/new", data=data, allow_redirects=False, timeout=60)

    travellers = ids["travellers"]
    calls = [request_for(bases[i % 2], t) for i, t in enumerate(travellers)]
    calls.append(request_for(bases[1], travellers[0]))  # the first traveller again, on the other instance
    codes = fire_at_once(calls)
    # Every distinct traveller's request is taken (302); of the two for one traveller, one is
    # refused on its form (200: "has a request on CA1501 already").
    assert codes[1:-1] == [302] * (TRAVELLERS - 1) and sorted([codes[0], codes[-1]]) == [200, 302], codes
    with app.app_context():
        q = db.session.get(Quota, ids["quota"])
        rows = db.session.execute(
            select(PriorityRequest.traveller_id, PriorityRequest.status).where(
                PriorityRequest.quota_id == q.id
            )
        ).all()
        statuses = Counter(status for _t, status in rows)
        assert sorted(t for t, _s in rows) == sorted(travellers)  # one request per traveller
        assert q.used == statuses["confirmed"] == SEATS  # never oversold, no seat left free
        assert statuses["waitlisted"] == TRAVELLERS - SEATS
        db.session.rollback()


def _run_job_on_both(app, admins, bases, name: str, processes) -> list[JobRun]:
    """'Run now' for job `name` on both instances at once (each queues a task); the two job runs
    once the workers did them."""
    with app.app_context():
        before = db.session.scalar(select(func.coalesce(func.max(TaskRun.id), 0)))
        db.session.rollback()
    tokens = [
        _csrf(admin.get(f"{base}/reminders/jobs", timeout=30).text)
        for admin, base in zip(admins, bases, strict=True)
    ]
    codes = fire_at_once(
        [
            lambda a=admin, b=base, t=token: _copy(a).post(
                f"{b}/reminders/jobs/run",
                data={"csrf_token": t, "name": name},
                allow_redirects=False,
                timeout=60,
            )
            for admin, base, token in zip(admins, bases, tokens, strict=True)
        ]
    )
    assert codes == [302, 302], codes
    tasks = _until(
        app,
        lambda: db.session.scalars(
            select(TaskRun).where(TaskRun.name == "jobs.run", TaskRun.id > before)
        ).all(),
        lambda runs: len(runs) == 2 and all(r.status in ("done", "failed") for r in runs),
        90,
        f"job {name} run on both",
        processes,
    )
    assert [(t.args["job"], t.status) for t in tasks] == [(name, "done")] * 2
    with app.app_context():
        runs = [db.session.get(JobRun, t.result["job_run_id"]) for t in tasks]
        db.session.expunge_all()
        db.session.rollback()
    return runs


def _revisits_and_digests(app, bases, ids, smtp: Inbox, processes) -> None:
    admins = [_signed_in(base, ids["emails"]["admin"]) for base in bases]
    runs = _run_job_on_both(app, admins, bases, "revisits", processes)
    # The workers sleep inside the lock-holding run (PORTAL_JOB_TEST_SLEEP): the other run finds
    # the lock taken and is recorded as skipped.
    assert sorted(r.outcome for r in runs) == ["ok", "skipped"], [(r.outcome, r.error) for r in runs]
    made = next(r for r in runs if r.outcome == "ok").counts["revisits"]
    assert made == len(ids["due_companies"]) >= 3
    with app.app_context():
        reminders = db.session.execute(
            select(Reminder.id, Reminder.company_id).where(Reminder.kind == "revisit")
        ).all()
        db.session.rollback()
    assert sorted(c for _r, c in reminders) == ids["due_companies"]  # each reminder once

    runs = _run_job_on_both(app, admins, bases, "digest", processes)
    assert {r.outcome for r in runs} <= {"ok", "skipped"}, [(r.outcome, r.error) for r in runs]
    assert sum((r.counts or {}).get("digests", 0) for r in runs) == len(ids["managers"])
    runs = _run_job_on_both(app, admins, bases, "mail", processes)  # two senders at once
    assert {r.outcome for r in runs} <= {"ok", "skipped"}, [(r.outcome, r.error) for r in runs]
    outbox = _until(
        app,
        lambda: db.session.execute(
            select(OutboundEmail.id, OutboundEmail.kind, OutboundEmail.to_address, OutboundEmail.sent_at)
        ).all(),
        lambda rows: rows and all(r.sent_at is not None for r in rows),
        90,
        "mails sent",
        processes,
    )
    _until(  # every send task ended: nothing more can arrive
        app,
        lambda: db.session.scalar(
            select(func.count(TaskRun.id)).where(
                TaskRun.name == "mail.send", TaskRun.status.in_(("queued", "running"))
            )
        ),
        lambda left: left == 0,
        60,
        "mail tasks",
        processes,
    )
    received = [email.message_from_bytes(e.content, policy=policy.default) for e in smtp.messages]
    sent_ids = Counter(re.search(r"<outbound-(\d+)@", m["Message-ID"]).group(1) for m in received)
    assert sorted(int(i) for i in sent_ids) == sorted(r.id for r in outbox)  # every mail arrived ...
    assert max(sent_ids.values()) == 1  # ... once
    digests = [r for r in outbox if r.kind == "digest"]
    assert sorted(r.to_address for r in digests) == sorted(ids["managers"])  # one per manager
    uids = Counter(
        uid
        for m in received
        for part in m.iter_attachments()
        if part.get_content_type() == "text/calendar"
        for uid in re.findall(r"UID:reminder-(\d+)@", part.get_content())
    )
    assert sorted(int(u) for u in uids) == sorted(r for r, _c in reminders) and max(uids.values()) == 1


def _same_review(app, bases, ids, data_dir: Path, processes) -> None:
    manager = _signed_in(bases[0], ids["emails"]["manager_a1"])
    company_id = ids["company_a"]
    token = _csrf(manager.get(f"{bases[1]}/companies/{company_id}/reviews", timeout=30).text)
    data = {"csrf_token": token, "kind": "account", "company_id": company_id, "period": PERIOD}
    codes = fire_at_once(
        [
            lambda b=base: _copy(manager).post(
                f"{b}/reviews/generate", data=data, allow_redirects=False, timeout=60
            )
            for base in bases
        ]
    )
    assert codes == [302, 302], codes
    in_flight = ("queued", "running")
    reviews, renders = _until(  # the review made, and every render task ended
        app,
        lambda: (
            db.session.execute(
                select(Review.status, Review.stored_name).where(
                    Review.company_id == company_id, Review.period == PERIOD
                )
            ).all(),
            db.session.execute(
                select(TaskRun.status, TaskRun.result).where(TaskRun.name == "reviews.render")
            ).all(),
        ),
        lambda found: found[0] and all(row[0] not in in_flight for rows in found for row in rows),
        120,
        "review rendered",
        processes,
    )
    assert [status for status, _n in reviews] == ["done"]  # one review for both requests
    assert [tuple(r) for r in renders] == [("done", {"rendered": 1})]  # rendered once
    assert [p.name for p in (data_dir / "documents").glob("*.pdf")] == [reviews[0][1]]


def _api_rate_limit_across_instances(app, bases) -> None:
    with app.app_context():
        _, token = create_client(None, "several-instances", ["companies:read"], today=local_today())
        db.session.commit()
    headers = {"Authorization": f"Bearer {token}"}
    answers = [
        requests.get(f"{bases[n % 2]}/api/v1/companies?limit=1", headers=headers, timeout=30)
        for n in range(API_CALLS_ALLOWED + 2)
    ]
    assert [a.status_code for a in answers] == [200] * API_CALLS_ALLOWED + [429] * 2
    assert answers[-1].headers["Content-Type"] == "application/problem+json"
    assert int(answers[-1].headers["Retry-After"]) > 0


def _killed_import(app, bases, ids, workers: dict, processes) -> None:
    admin = _signed_in(bases[0], ids["emails"]["admin"])
    rows = [ZH_HEADER] + [
        booking(ids["credit_code"], f"996{i:010d}", coupon=str(coupon), name=f"旅客{i % 97}")
        for i in range(TICKETS)
        for coupon in (1, 2)
    ]
    token = _csrf(admin.get(f"{bases[0]}/admin/imports", timeout=30).text)
    response = admin.post(
        f"{bases[0]}/admin/imports",
        data={"csrf_token": token, "kind": "bookings"},
        files={"file": ("big.csv", csv_bytes(rows), "text/csv")},
        allow_redirects=False,
        timeout=60,
    )
    assert response.status_code == 302, response.text[:500]
    run_id = int(re.search(r"/imports/tasks/(\d+)", response.headers["Location"]).group(1))
    holder = _until(
        app,
        lambda: db.session.scalar(select(TaskRun.holder).where(TaskRun.id == run_id)),
        lambda h: h is not None,
        60,
        "import claimed",
        processes,
    )
    pid = int(holder.rpartition(":")[2])
    (victim,) = [name for name, process in workers.items() if process.pid == pid]
    (survivor,) = [name for name in workers if name != victim]
    processes.wait_for(victim, "import: chunk written", 120)  # a chunk written, not committed
    os.kill(pid, signal.SIGKILL)
    workers[victim].wait(timeout=10)
    with app.app_context():
        assert db.session.scalar(select(func.count(Segment.id))) == 0  # the killed import left nothing
        db.session.rollback()
    # The survivor's periodic recovery (once a minute) puts the run back in the queue, and runs it.
    run = _until(
        app,
        lambda: db.session.get(TaskRun, run_id),
        lambda r: r.status in ("done", "failed"),
        150,
        "import finished by the other worker",
        processes,
    )
    assert (run.status, run.attempts, run.error) == ("done", 2, None)
    assert "requeued" in processes.log(survivor)
    assert run.result["rows_total"] == run.result["rows_imported"] == 2 * TICKETS
    with app.app_context():
        segments = db.session.scalar(select(func.count(Segment.id)))
        coupons = db.session.scalar(
            select(func.count()).select_from(
                select(Segment.ticket_number, Segment.coupon_number).distinct().subquery()
            )
        )
        assert segments == coupons == 2 * TICKETS  # each coupon once
        batches = db.session.execute(
            select(
                ImportBatch.id,
                ImportBatch.status,
                ImportBatch.rows_total,
                ImportBatch.rows_imported,
                ImportBatch.rows_rejected,
            )
        ).all()
        assert batches == [(run.result["batch_id"], "done", 2 * TICKETS, 2 * TICKETS, 0)]
        db.session.rollback()
    report = admin.get(f"{bases[1]}/admin/imports/{run.result['batch_id']}", timeout=30)
    assert report.status_code == 200  # the report, read on the other instance
    assert f'data-testid="rows-imported">{2 * TICKETS}<' in report.text


def test_two_instances_two_schedulers_two_workers_share_one_database(fresh_database, tmp_path):
    started = time.monotonic()
    url = fresh_database("postgresql")  # skipped (or failed) without PostgreSQL
    broker = redis.Redis.from_url(REDIS_URL)
    broker.flushdb()  # this test's database of the local Redis starts empty (and Redis answers)
    data_dir = tmp_path / "data"
    app = smtp = None
    processes = None
    try:
        app = make_app(url, data_dir)
        ids = _world(app)
        smtp = Inbox()
        smtp.controller = Controller(smtp, hostname="127.0.0.1", port=free_port())
        smtp.controller.start()
        env = {
            **os.environ,
            "PORTAL_ENV": "testing",
            "DATABASE_URL": url,
            "PORTAL_DATA_DIR": str(data_dir),
            "PORTAL_TASKS_IMMEDIATE": "0",
            "PORTAL_TASK_BROKER": REDIS_URL,
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": str(smtp.controller.port),
            "PORTAL_IMPORT_TEST_DELAY": "2",  # after each chunk: time to kill the worker mid-way
            "PORTAL_JOB_TEST_SLEEP": "revisits:3",  # the lock-holding run lasts while the other tries
            "RATELIMIT_STORAGE_URI": REDIS_URL,
            "PORTAL_TEST_API_RATE_LIMIT": f"{API_CALLS_ALLOWED} per minute",
        }
        processes = Processes(tmp_path, env)
        ports = [free_port(), free_port()]
        for i, port in enumerate(ports, 1):
            processes.start(
                f"web{i}",
                "gunicorn",
                "--bind",
                f"127.0.0.1:{port}",
                "--workers",
                "2",
                "wsgi:app",
                stop_signal=signal.SIGINT,  # gunicorn's quick shutdown
            )
        workers = {
            f"worker{i}": processes.start(f"worker{i}", "flask", "--app", "wsgi", "worker", "--workers", "2")
            for i in (1, 2)
        }
        for i in (1, 2):
            processes.start(f"scheduler{i}", "flask", "--app", "wsgi", "scheduler", "run")
        bases = [f"http://127.0.0.1:{port}" for port in ports]
        for i, base in enumerate(bases, 1):
            deadline = time.monotonic() + START_TIMEOUT
            while True:
                try:
                    if requests.get(f"{base}/ready", timeout=5).status_code == 200:
                        break
                except requests.RequestException:
                    pass
                assert processes.started[f"web{i}"].poll() is None, processes.tails()
                assert time.monotonic() < deadline, processes.tails()
                time.sleep(0.3)
        for name in ("worker1", "worker2", "scheduler1", "scheduler2"):
            processes.wait_for(name, "worker:" if name.startswith("worker") else "scheduler running")
        ready = time.monotonic()

        _priority_requests(app, bases, ids)
        _revisits_and_digests(app, bases, ids, smtp, processes)
        _same_review(app, bases, ids, data_dir, processes)
        _killed_import(app, bases, ids, workers, processes)
        _api_rate_limit_across_instances(app, bases)
        for name in ("scheduler1", "scheduler2"):  # each fired its every-minute job by now
            processes.wait_for(name, "scheduled job webhooks", 90)

        with app.app_context():
            failed_jobs = db.session.execute(
                select(JobRun.name, JobRun.error).where(JobRun.outcome == "failed")
            ).all()
            failed_tasks = db.session.execute(
                select(TaskRun.name, TaskRun.error).where(TaskRun.status == "failed")
            ).all()
            outcomes_of_webhooks = db.session.scalars(
                select(JobRun.outcome).where(JobRun.name == "webhooks")
            ).all()
            db.session.rollback()
        assert failed_jobs == [] and failed_tasks == [], (failed_jobs, failed_tasks)
        assert set(outcomes_of_webhooks) <= {"ok", "skipped"} and len(outcomes_of_webhooks) >= 2
    finally:
        scenarios_ended = time.monotonic()
        if processes is not None:
            processes.stop_all()
        if smtp is not None:
            smtp.controller.stop()
        broker.flushdb()
        broker.close()
        if app is not None:
            with app.app_context():
                db.engine.dispose()
        drop_pg_database(url)
    print(
        f"\nseveral instances: ready in {ready - started:.0f} s, scenarios {scenarios_ended - ready:.0f} s, "
        f"stopped in {time.monotonic() - scenarios_ended:.0f} s"
    )
