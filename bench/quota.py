"""Quota claims under contention: priority seat requests against ONE quota from several processes
on PostgreSQL, against a baseline of plain single-row UPDATEs of the same quota row.

A throwaway database at 127.0.0.1:5432 is migrated and given one company with an active
agreement, its booker, travellers and one quota (by default with seats for half the requests,
so half are confirmed and half waitlisted). Then, with the same processes started together
(each its own connection, one transaction per operation):

- baseline: every process runs its share of `UPDATE quota SET used = used WHERE id = :id`,
  each committed on its own: the cheapest write that contends for the same row;
- requests: every process runs its share of `portal.quotas.operations.request_seat` (the
  validation, the conditional claim, the request row, its notification and audit rows), each
  committed on its own.

Prints operations per second for both and the ratio line (requests per second / baseline
updates per second), and checks that confirmed requests == quota.used == min(seats, requests).
The database is dropped at the end, even when the run fails; only 127.0.0.1 is contacted.

    .venv/bin/python bench/quota.py
    .venv/bin/python bench/quota.py --processes 8 --requests 4000 --seats 100
"""

import argparse
import multiprocessing
import os
import sys
import tempfile
import time
import uuid
from datetime import date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (bench/quota.py) as well as a module

PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
FLIGHT, ORIGIN, DESTINATION, CABIN = "CA1501", "PEK", "SHA", "Y"  # CA1501 flies PEK-SHA
DAYS = 20  # request dates: the 5th to the 24th of next month


def create_database() -> tuple[str, str]:
    import psycopg

    name = f"bench_quota_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=5) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name, PG_URL.format(name=name)


def drop_database(name: str) -> None:
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def build_app(url: str, data_dir: str):
    from portal import create_app

    return create_app("testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=data_dir)


def next_month_days() -> list[date]:
    today = datetime.now(ZoneInfo("Asia/Shanghai")).date()
    first = (today.replace(day=1) + timedelta(days=32)).replace(day=1)
    return [first + timedelta(days=4 + i) for i in range(DAYS)]


def prepare(url: str, data_dir: str, requests: int, seats: int) -> dict:
    """Schema and the world: one company, its booker, travellers and one quota."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal.agreements.models import Agreement
    from portal.auth.models import User
    from portal.companies.models import Company, Traveller
    from portal.extensions import db
    from portal.org.models import Branch, SalesOffice
    from portal.quotas.models import Quota

    app = build_app(url, data_dir)
    with app.app_context():
        upgrade()
        s = db.session
        branch = Branch(code="BQ", name_zh="基准分公司", name_en="Bench Branch", city="北京")
        office = SalesOffice(
            branch=branch, code="BQ-1", name_zh="基准营业部", name_en="Bench Office", city="北京"
        )
        manager = User(
            email="bench-manager@bench.example",
            name="基准经理",
            password_hash="x",
            role="account_manager",
            office=office,
        )
        s.add_all([branch, office, manager])
        s.flush()
        company = Company(
            name_zh="基准科技有限公司",
            credit_code="91110000000000000X",
            industry="technology",
            headcount_band="500-1999",
            city="北京",
            office_id=office.id,
            manager_id=manager.id,
            status="active",
            tier="gold",
        )
        s.add(company)
        s.flush()
        booker = User(
            email="bench-booker@bench.example",
            name="基准订票员",
            password_hash="x",
            role="booker",
            company_id=company.id,
        )
        today = date.today()
        agreement = Agreement(
            number="AG-BENCH-1",
            company_id=company.id,
            status="active",
            valid_from=today - timedelta(days=30),
            valid_to=today + timedelta(days=300),
            priority_booking=True,
        )
        s.add_all([booker, agreement])
        per_traveller = DAYS
        travellers = [
            Traveller(company_id=company.id, name=f"旅客{i:04d}")
            for i in range(-(-requests // per_traveller))
        ]
        s.add_all(travellers)
        s.flush()
        quota = Quota(
            agreement_id=agreement.id,
            origin=ORIGIN,
            destination=DESTINATION,
            cabin=CABIN,
            month=next_month_days()[0].replace(day=1),
            seats=seats,
            used=0,
        )
        s.add(quota)
        s.commit()
        ids = {
            "company": company.id,
            "booker": booker.id,
            "quota": quota.id,
            "travellers": [t.id for t in travellers],
        }
        with db.engine.begin() as conn:
            conn.execute(text("ANALYZE"))
        db.engine.dispose()
    return ids


def _plans(ids: dict, requests: int, processes: int) -> list[list]:
    days = [d.isoformat() for d in next_month_days()]
    combos = [(t, d) for t in ids["travellers"] for d in days][:requests]
    return [combos[i::processes] for i in range(processes)]


def _baseline_worker(url: str, quota_id: int, count: int, barrier, results) -> None:
    from sqlalchemy import create_engine, text

    engine = create_engine(url, pool_size=1)
    with engine.connect() as conn:
        conn.execute(text("SELECT 1"))
        conn.commit()
        barrier.wait()
        started = time.time()
        for _ in range(count):
            conn.execute(text("UPDATE quota SET used = used WHERE id = :id"), {"id": quota_id})
            conn.commit()
        results.put((started, time.time(), count, 0))
    engine.dispose()


def _request_worker(url: str, data_dir: str, ids: dict, plan: list, barrier, results) -> None:
    from portal.auth.models import User
    from portal.companies.models import Company, Traveller
    from portal.extensions import db
    from portal.quotas import operations

    app = build_app(url, data_dir)
    errors = 0
    with app.app_context():
        booker = db.session.get(User, ids["booker"])
        company = db.session.get(Company, ids["company"])
        db.session.commit()
        barrier.wait()
        started = time.time()
        for traveller_id, day in plan:
            try:
                operations.request_seat(
                    booker,
                    company,
                    traveller=db.session.get(Traveller, traveller_id),
                    flight_number=FLIGHT,
                    flight_date=date.fromisoformat(day),
                    origin=ORIGIN,
                    destination=DESTINATION,
                    cabin=CABIN,
                )
                db.session.commit()
            except Exception:
                db.session.rollback()
                errors += 1
        finished = time.time()
        db.session.remove()
        db.engine.dispose()
    results.put((started, finished, len(plan), errors))


def run_phase(target, args_per_process: list[tuple]) -> tuple[float, int, int]:
    """Start one process per argument tuple, release them together; (seconds, operations, errors)."""
    from tests.conftest import reports_of

    spawn = multiprocessing.get_context("spawn")
    barrier = spawn.Barrier(len(args_per_process))
    results = spawn.Queue()
    procs = [spawn.Process(target=target, args=(*args, barrier, results)) for args in args_per_process]
    reports = reports_of(procs, results, timeout=600)
    started = min(r[0] for r in reports)
    finished = max(r[1] for r in reports)
    return finished - started, sum(r[2] for r in reports), sum(r[3] for r in reports)


def check(url: str, data_dir: str, ids: dict, requests: int, seats: int) -> str:
    from sqlalchemy import func, select

    from portal.extensions import db
    from portal.quotas.models import PriorityRequest, Quota

    app = build_app(url, data_dir)
    with app.app_context():
        quota = db.session.get(Quota, ids["quota"])
        counts = dict(
            db.session.execute(
                select(PriorityRequest.status, func.count(PriorityRequest.id))
                .where(PriorityRequest.quota_id == quota.id)
                .group_by(PriorityRequest.status)
            ).all()
        )
        used = quota.used
        db.session.remove()
        db.engine.dispose()
    confirmed = counts.get("confirmed", 0)
    ok = confirmed == used == min(seats, requests) and sum(counts.values()) == requests
    status = "ok" if ok else "WRONG"
    return f"check: {counts}, quota.used {used}/{seats} -> {status}"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--processes", type=int, default=4)
    parser.add_argument(
        "--requests", type=int, default=1200, help="requests in all (and as many baseline updates)"
    )
    parser.add_argument(
        "--seats", type=int, default=None, help="seats of the quota (default: half the requests)"
    )
    args = parser.parse_args(argv)
    seats = args.seats if args.seats is not None else args.requests // 2
    name, url = create_database()
    data_dir = tempfile.mkdtemp(prefix="bench-quota-")
    try:
        ids = prepare(url, data_dir, args.requests, seats)
        plans = _plans(ids, args.requests, args.processes)
        share = [len(p) for p in plans]
        base_s, base_n, _ = run_phase(_baseline_worker, [(url, ids["quota"], n) for n in share])
        req_s, req_n, errors = run_phase(_request_worker, [(url, data_dir, ids, plan) for plan in plans])
        base_rate, req_rate = base_n / base_s, req_n / req_s
        print(
            f"PostgreSQL, {args.processes} processes, one quota of {seats} seats, "
            f"{args.requests} operations each phase"
        )
        print(f"baseline  single-row UPDATE + commit : {base_n:6d} in {base_s:6.2f} s = {base_rate:8.1f} /s")
        print(
            f"requests  request_seat + commit      : {req_n:6d} in {req_s:6.2f} s = {req_rate:8.1f} /s"
            f"  ({errors} errors)"
        )
        print(check(url, data_dir, ids, args.requests, seats))
        print(
            f"ratio: requests/s / baseline updates/s = {req_rate / base_rate:.3f}"
            f" (a request costs {base_rate / req_rate:.1f} plain updates)"
        )
        return 0 if errors == 0 else 1
    finally:
        drop_database(name)
        import shutil

        shutil.rmtree(data_dir, ignore_errors=True)


if __name__ == "__main__":
    sys.exit(main())
