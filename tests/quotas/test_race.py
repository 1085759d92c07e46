"""Never oversold: real processes race for the seats of one quota on a committed database.

Six processes on SQLite (one connection each), five processes of four threads on PostgreSQL
(twenty connections) make 300 requests together on a quota of 5 seats, each in its own
transaction, and cancel random confirmed (and waitlisted) requests of the quota (two threads
may race to cancel the same one) while the company's tier is rescored now and then. At the end:

1. quota.used == confirmed requests <= seats, and confirmed == min(seats, live demand), where
   live demand is confirmed + waitlisted (what is left after the cancellations): no seat is
   sold twice and none stays free while someone waits.
2. No request is lost: every attempt got a row, with the traveller and date it asked for, and
   the rows are exactly the attempts.
3. Every cancellation that reported success left a cancelled row, each request was cancelled
   once (the loser of a race to cancel it is told so), and every promotion was reported to
   one canceller only.
4. The waitlist order held, by this invariant: for every request P promoted at time t
   (confirmed_at > requested_at), no request W that was waiting at t (requested before t,
   and promoted, cancelled or still waiting after t) has a better key (priority,
   requested_at, id) than P. It is provable because every stamp is taken while the quota's
   lock is held (portal/quotas/operations.py), so the stamps follow the order in which the
   transactions were served; a waitlisted request cancelled without the lock stamps its
   cancellation before it commits, which can only hide a violation, never invent one.
5. Each promoted request's booker was told (a "quota_promoted" notification).
"""

import multiprocessing
import random
import time
from datetime import datetime

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.notifications.models import Notification
from portal.quotas.models import PriorityRequest, Quota
from tests import factories
from tests.conftest import drop_pg_database, make_app, reports_of
from tests.quotas.helpers import flight_day, quota
from tests.quotas.race_worker import run

pytestmark = pytest.mark.slow

SEATS = 5
TRAVELLERS = 30
DAYS = 10  # 30 travellers x 10 dates: 300 distinct (traveller, date) requests
SETUPS = {"sqlite": (6, 1), "postgresql": (5, 4)}  # processes, threads per process
FAR_FUTURE = datetime(9999, 1, 1)


def _world(app) -> dict:
    with app.app_context():
        session = db.session
        branch = factories.branch(session)
        office = factories.office(session, branch)
        manager = factories.user(session, "account_manager", office)
        company = factories.company(session, office, manager, tier="gold")
        agreement = factories.agreement(session, company)
        booker = factories.user(session, "booker", company=company)
        travellers = [factories.traveller(session, company).id for _ in range(TRAVELLERS)]
        q = quota(session, agreement, seats=SEATS)
        ids = {"company": company.id, "booker": booker.id, "quota": q.id, "travellers": travellers}
        session.commit()
        session.remove()
    return ids


def _plans(ids: dict, processes: int, threads: int) -> list[list[list]]:
    combos = [(t, flight_day(10 + d).isoformat()) for t in ids["travellers"] for d in range(DAYS)]
    random.Random(42).shuffle(combos)
    slots = processes * threads
    per_thread = [combos[i::slots] for i in range(slots)]
    return [per_thread[p * threads : (p + 1) * threads] for p in range(processes)]


def _race(url: str, data_dir: str, ids: dict, processes: int, threads: int) -> list[dict]:
    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(processes * threads)
    results = spawn.Queue()
    workers = [
        spawn.Process(
            target=run,
            args=(url, data_dir, ids, plans, seed, True, barrier, results),
            name=f"quota-race-{seed}",
        )
        for seed, plans in enumerate(_plans(ids, processes, threads))
    ]
    return reports_of(workers, results, timeout=120)


def _waiting_end(r) -> datetime:
    """When a request that was waitlisted stopped waiting (promoted, cancelled, expired)."""
    if r.confirmed_at is not None:
        return r.confirmed_at
    return r.cancelled_at or r.expired_at or FAR_FUTURE


def _order_violations(rows) -> list[str]:
    key = {r.id: (r.priority, r.requested_at, r.id) for r in rows}
    ever_waited = [r for r in rows if r.confirmed_at is None or r.confirmed_at > r.requested_at]
    promoted = [r for r in rows if r.confirmed_at is not None and r.confirmed_at > r.requested_at]
    violations = []
    for p in promoted:
        t = p.confirmed_at
        for w in ever_waited:
            if w.id != p.id and w.requested_at < t < _waiting_end(w) and key[w.id] < key[p.id]:
                violations.append(
                    f"request {p.id} {key[p.id]} promoted at {t} ahead of waiting {w.id} {key[w.id]}"
                )
    return violations


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_quota_is_never_oversold_across_processes(kind, fresh_database, tmp_path_factory):
    url = fresh_database(kind)
    data_dir = str(tmp_path_factory.mktemp("race-data"))
    app = make_app(url, data_dir)
    try:
        ids = _world(app)
        processes, threads = SETUPS[kind]
        started = time.monotonic()
        reports = _race(url, data_dir, ids, processes, threads)
        elapsed = time.monotonic() - started
        errors = [e for r in reports for e in r["errors"]]
        assert not errors, "\n".join(errors[:3])
        attempts = [a for r in reports for a in r["attempts"]]
        cancels = [c for r in reports for c in r["cancels"]]

        with app.app_context():
            q = db.session.get(Quota, ids["quota"])
            rows = db.session.scalars(select(PriorityRequest).where(PriorityRequest.quota_id == q.id)).all()
            by_status = {
                s: sum(r.status == s for r in rows) for s in ("confirmed", "waitlisted", "cancelled")
            }
            promoted = [r for r in rows if r.confirmed_at is not None and r.confirmed_at > r.requested_at]
            promoted_notes = db.session.scalar(
                select(func.count(Notification.id)).where(
                    Notification.user_id == ids["booker"], Notification.kind == "quota_promoted"
                )
            )
            violations = _order_violations(rows)
            priorities = {r.priority for r in rows}
            db.session.remove()
            db.engine.dispose()

        # 1. Never oversold, and no seat left free while someone waits.
        assert q.used == by_status["confirmed"] <= q.seats == SEATS
        assert by_status["confirmed"] == min(SEATS, by_status["confirmed"] + by_status["waitlisted"])
        # 2. No request lost.
        assert len(attempts) == TRAVELLERS * DAYS
        assert all(request_id is not None for _t, _d, request_id, _s in attempts)
        made = {r.id: (r.traveller_id, r.flight_date.isoformat()) for r in rows}
        assert {request_id: (t, d) for t, d, request_id, _s in attempts} == made
        first_statuses = [s for *_rest, s in attempts]
        assert first_statuses.count("confirmed") >= SEATS and first_statuses.count("waitlisted") > 100
        # 4. The waitlist was served in order.
        assert len(priorities) > 1, "the tier never changed: the order test would be weak"
        assert not violations, "\n".join(violations[:5])
        # 3. Cancellations and promotions add up.
        done = [c for c in cancels if c[3] is None]
        status_of = {r.id: r.status for r in rows}
        assert all(status_of[target] == "cancelled" for target, *_ in done)
        assert by_status["cancelled"] == len(done) == len({target for target, *_ in done})  # once each
        refused = [c for c in cancels if c[3] is not None]
        assert all(c[3] == "ValidationFailed" for c in refused)  # lost a race to cancel the same one
        reported = [p for c in done for p in c[2]]
        assert len(reported) == len(set(reported)) == len(promoted)
        assert set(reported) == {r.id for r in promoted}
        confirmed_cancels = sum(1 for c in done if c[1] == "confirmed")
        # A freed seat goes to the line; only while nobody waits yet does it stay for the next.
        assert 10 <= len(promoted) <= len(done)
        # 5. Promoted bookers were told.
        assert promoted_notes == len(promoted)
        print(
            f"\n{kind}: {processes} processes x {threads} threads, {len(attempts)} requests, "
            f"{len(done)} cancellations ({confirmed_cancels} of confirmed seats, {len(refused)} lost races), "
            f"{len(promoted)} promotions, "
            f"final {by_status}, used {q.used}/{q.seats}, {elapsed:.1f} s"
        )
    finally:
        if url.startswith("postgresql"):
            drop_pg_database(url)
