"""API speed: GET /api/v1/companies (100 a page) against a floor, and segment ingest through
the API against the file import of the same rows.

1. Listing. The seeded demo world (1,200 companies, 2 years; `bench/pages.py`'s database) is
   served by gunicorn (2 workers, production settings). Clients with a bearer token load
   `/api/v1/companies?limit=100`; in the same run the same clients load `/_bench/api-floor`,
   the same 100 rows serialised to JSON from memory (`bench/baseline.py`). Goal: the API's
   p50 within 3x of the floor's.
2. Ingest. N coupons (default 100,000) are generated twice with different ticket numbers: one
   copy is imported from a CSV file with `run_import` (the file import), the other is POSTed to
   `/api/v1/segments` in batches of 5,000 under the same gunicorn. Goal: the API within 2x of
   the file import.

    .venv/bin/python -m bench.api                      # fresh SQLite in a temp dir
    .venv/bin/python -m bench.api --db /tmp/bench.db   # reuse a seeded file
    .venv/bin/python -m bench.api --postgres           # a throwaway PostgreSQL database

Only 127.0.0.1 is ever contacted; everything created is dropped at the end.
"""

import argparse
import csv
import io
import json
import os
import shutil
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench import pages  # noqa: E402
from bench.pages import Target, load  # noqa: E402

GOAL_LIST = 3.0
GOAL_INGEST = 2.0
BATCH = 5_000
API_KEYS = ("ticket_number", "coupon_number", "credit_code", "traveller", "flight_number", "flight_date",
            "origin", "destination", "cabin", "fare_class", "net_revenue", "distance_km")  # fmt: skip


class TokenBrowser(pages.Browser):
    """A client that sends a bearer token with every request."""

    def __init__(self, port: int, token: str | None):
        super().__init__(port)
        self.token = token

    def request(self, method: str, path: str, body=None, headers=None):
        headers = dict(headers or {})
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        return super().request(method, path, body, headers)


def make_client_and_codes(database_url: str, data_dir: str) -> tuple[str, list[str]]:
    """A client with every scope (its token) and the credit codes of 50 companies."""
    from sqlalchemy import select

    from portal.api.clients import create_client
    from portal.api.models import SCOPES
    from portal.companies.models import Company
    from portal.extensions import db
    from portal.timeutil import local_today

    app = pages.build_app(database_url, data_dir)
    with app.app_context():
        _, token = create_client(
            None, f"bench-{os.getpid()}-{time.time_ns()}", list(SCOPES), today=local_today()
        )
        db.session.commit()
        codes = list(db.session.scalars(select(Company.credit_code).order_by(Company.id).limit(50)))
        db.engine.dispose()
    return token, codes


def coupons(codes: list[str], n: int, first_ticket: int) -> list[dict]:
    """n coupons keyed as the API takes them (the file import's values, from bench/import.py)."""
    import importlib

    rows = importlib.import_module("bench.import")._rows(codes, n)
    out = []
    for i, (cells, _parsed) in enumerate(rows):
        record = dict(zip(API_KEYS, cells, strict=True))
        record["ticket_number"] = f"{first_ticket + i // 2:013d}"
        out.append(record)
    return out


def file_import_seconds(database_url: str, data_dir: str, records: list[dict]) -> float:
    """The file import (CSV, run_import) of `records`, timed."""
    from portal.imports.tasks import run_import

    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=API_KEYS)
    writer.writeheader()
    writer.writerows(records)
    data = buffer.getvalue().encode()
    app = pages.build_app(database_url, data_dir)
    with app.app_context():
        started = time.perf_counter()
        outcome = run_import("bookings", data, "bench.csv")
        took = time.perf_counter() - started
        from portal.extensions import db

        db.engine.dispose()
    if outcome.rows_imported != len(records):
        raise SystemExit(
            f"file import wrote {outcome.rows_imported} of {len(records)} rows: {outcome.report[:3]}"
        )
    return took


def api_ingest_seconds(port: int, token: str, records: list[dict]) -> float:
    """The same number of coupons POSTed to /api/v1/segments in batches, timed."""
    browser = TokenBrowser(port, token)
    browser.conn.timeout = 600
    created = 0
    try:
        started = time.perf_counter()
        for at in range(0, len(records), BATCH):
            body = json.dumps({"segments": records[at : at + BATCH]}).encode()
            status, data = browser.request(
                "POST", "/api/v1/segments", body, {"Content-Type": "application/json"}
            )
            if status != 200:
                raise SystemExit(f"ingest answered {status}: {data[:300]!r}")
            created += json.loads(data)["created"]
        took = time.perf_counter() - started
    finally:
        browser.close()
    if created != len(records):
        raise SystemExit(f"the API created {created} of {len(records)} coupons")
    return took


def limiter_storage() -> str:
    """Where the rate-limit counters live during the run: in a Redis on 127.0.0.1 when one
    answers, as in production (scripts/deploy/portal.env.example), else in each process's
    memory (Flask-Limiter's memory store starts a thread on most calls, which production
    never pays)."""
    import redis

    url = "redis://127.0.0.1:6379/13"
    try:
        redis.Redis.from_url(url, socket_timeout=1).ping()
    except redis.RedisError:
        return "memory://"
    return url


def run(args) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-api-"))
    data_dir = str(workdir / "data")
    pg_url = process = None
    browsers: list[pages.Browser] = []
    try:
        if args.postgres:
            pg_url = pages.create_pg_database()
            database_url, backend = pg_url, "postgresql"
        else:
            path = Path(args.db).resolve() if args.db else workdir / "portal.db"
            database_url, backend = f"sqlite:///{path}", "sqlite"
        print(f"database: {database_url}")
        pages.prepare_database(database_url, data_dir, args.companies, args.years, args.seed, False)
        token, codes = make_client_and_codes(database_url, data_dir)
        os.environ["PORTAL_API_RATE_LIMIT"] = "10000000 per minute"  # measure the work, not the limit
        os.environ["RATELIMIT_STORAGE_URI"] = limiter_storage()
        print(f"rate-limit counters: {os.environ['RATELIMIT_STORAGE_URI']}")
        port = pages.free_port()
        process = pages.start_gunicorn(database_url, data_dir, port, args.workers, workdir / "gunicorn.log")

        floor = Target("floor (memory JSON)", "/_bench/api-floor", b'"items"', None)
        api = Target("/api/v1/companies?limit=100", "/api/v1/companies?limit=100", b'"next_cursor"', None)
        group = [TokenBrowser(port, token) for _ in range(args.clients)]
        browsers.extend(group)
        floor.browsers = api.browsers = group
        per_round = max(1, args.requests // args.rounds)
        for t in (floor, api):
            load(t, args.warmup, args.max_seconds, record=False)
        for _ in range(args.rounds):
            for t in (floor, api):
                load(t, per_round, args.max_seconds / args.rounds, record=True)
        for t in (floor, api):
            if not t.latencies:
                raise SystemExit(f"{t.name}: no successful request ({t.errors} errors)")

        file_records = coupons(codes, args.coupons, 5_000_000_000_000)
        api_records = coupons(codes, args.coupons, 6_000_000_000_000)
        file_seconds = file_import_seconds(database_url, data_dir, file_records)
        api_seconds = api_ingest_seconds(port, token, api_records)
    finally:
        for b in browsers:
            b.close()
        if process is not None:
            pages.stop_gunicorn(process)
        if pg_url:
            pages.drop_pg_database(pg_url)
        shutil.rmtree(workdir, ignore_errors=True)

    print()
    print(
        f"backend {backend}, {args.companies} companies, gunicorn {args.workers} workers, "
        f"{args.clients} clients"
    )
    print(f"{'what':<32}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}")
    for t in (floor, api):
        print(
            f"{t.name:<32}{len(t.latencies):>9}{t.errors:>8}{t.rps:>9.1f}{t.percentile(50):>9.1f}"
            f"{t.percentile(95):>9.1f}"
        )
    list_ratio = api.percentile(50) / floor.percentile(50)
    ingest_ratio = api_seconds / file_seconds
    print(
        f"ingest of {args.coupons:,} coupons: file import {file_seconds:.1f} s "
        f"({args.coupons / file_seconds:,.0f}/s), API in batches of {BATCH:,} {api_seconds:.1f} s "
        f"({args.coupons / api_seconds:,.0f}/s)"
    )
    list_met = list_ratio <= GOAL_LIST and api.errors == 0
    ingest_met = ingest_ratio <= GOAL_INGEST
    print(f"list p50 {list_ratio:.2f}x the floor (goal <= {GOAL_LIST:g}x): {'met' if list_met else 'MISSED'}")
    print(
        f"ingest {ingest_ratio:.2f}x the file import (goal <= {GOAL_INGEST:g}x): "
        f"{'met' if ingest_met else 'MISSED'}"
    )
    print(
        f"ratio ({backend}): list {list_ratio:.2f}x floor, ingest {ingest_ratio:.2f}x file import; "
        f"goals {'met' if list_met and ingest_met else 'MISSED'}"
    )
    return list_met and ingest_met


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    pages.add_database_options(parser)
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=8, help="concurrent API clients")
    parser.add_argument("--requests", type=int, default=800, help="measured requests of each kind")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--warmup", type=int, default=100)
    parser.add_argument("--max-seconds", type=float, default=120)
    parser.add_argument("--coupons", type=int, default=100_000, help="coupons ingested each way")
    return 0 if run(parser.parse_args(argv)) else 1


if __name__ == "__main__":
    sys.exit(main())
