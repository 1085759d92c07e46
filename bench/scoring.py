"""Scoring speed: a full recompute (snapshots written) against one plain aggregate query.

Seeds the demo world (1,200 companies × 2 years by default) into a fresh database, then in
the same run times, median of several runs each:
- the baseline: one plain SQL aggregate over the 12-month window
  (SUM revenue, COUNT segments GROUP BY company);
- the full recompute for the same score date, with every snapshot written (the date's
  snapshots are deleted before each timed run, so each run writes all of them).
Prints both and the ratio. Goal: the recompute within 3x the baseline.

    .venv/bin/python -m bench.scoring                         # SQLite and, if reachable, PostgreSQL
    .venv/bin/python -m bench.scoring --only postgresql --companies 10000

Only 127.0.0.1 is ever contacted; what the benchmark creates, it drops.
"""

import argparse
import os
import secrets
import statistics
import tempfile
import time
import uuid
from datetime import date, timedelta

import psycopg

PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
GOAL_RATIO = 3.0


def _app(url: str, data_dir: str):
    from portal import create_app

    return create_app(
        "testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=data_dir, SECRET_KEY=secrets.token_hex(16)
    )


def _median_seconds(fn, runs: int, before=None) -> float:
    times = []
    for _ in range(runs):
        if before:
            before()
        started = time.perf_counter()
        fn()
        times.append(time.perf_counter() - started)
    return statistics.median(times)


def time_scoring(runs: int) -> dict:
    """In an app context on a seeded database: the medians of the baseline aggregate and of the
    full recompute (the score date's snapshots deleted before each run), and the snapshots written."""
    from sqlalchemy import delete, func, select

    from portal.extensions import db
    from portal.scoring.engine import Rules
    from portal.scoring.models import ScoreSnapshot
    from portal.scoring.operations import recompute
    from portal.segments.models import Segment

    as_of = db.session.scalar(select(func.max(Segment.flight_date))) or date.today()
    start = as_of - timedelta(days=365)
    baseline_stmt = (
        select(Segment.company_id, func.sum(Segment.net_revenue_fen), func.count())
        .where(Segment.flight_date > start, Segment.flight_date <= as_of)
        .group_by(Segment.company_id)
    )

    def baseline():
        db.session.execute(baseline_stmt).all()
        db.session.rollback()

    def clear():
        db.session.execute(delete(ScoreSnapshot).where(ScoreSnapshot.score_date == as_of))
        db.session.commit()

    def full():
        recompute(as_of, Rules.defaults())
        db.session.commit()

    baseline()  # warm the cache once, for both sides alike
    base = _median_seconds(baseline, runs)
    full_time = _median_seconds(full, runs, before=clear)
    written = db.session.scalar(
        select(func.count()).select_from(ScoreSnapshot).where(ScoreSnapshot.score_date == as_of)
    )
    return {"baseline_s": base, "recompute_s": full_time, "snapshots": written}


def measure(url: str, companies: int, years: int, runs: int) -> dict:
    """Seed, then time the baseline query and the full recompute on one database."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from portal.demo.seed import seed_world
    from portal.extensions import db
    from portal.segments.models import Segment

    with tempfile.TemporaryDirectory() as data_dir:
        app = _app(url, data_dir)
        with app.app_context():
            upgrade()
            started = time.perf_counter()
            seed_world(companies=companies, years=years, seed=42, progress=False)
            seeded = time.perf_counter() - started
            segments = db.session.scalar(select(func.count()).select_from(Segment))
            timed = time_scoring(runs)
            db.session.remove()
            db.engine.dispose()
    return {"seeded_s": seeded, "segments": segments, **timed}


def _pg_url() -> tuple[str, str] | None:
    try:
        with psycopg.connect(PG_ADMIN_DSN, autocommit=True, connect_timeout=3) as conn:
            name = f"bench_scoring_{uuid.uuid4().hex[:8]}"
            conn.execute(f'CREATE DATABASE "{name}"')
    except psycopg.Error as e:
        print(f"PostgreSQL not reachable, skipped: {e}")
        return None
    return name, f"postgresql+psycopg://postgres@127.0.0.1:5432/{name}"


def _drop_pg(name: str) -> None:
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1200)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--only", choices=["sqlite", "postgresql"])
    args = parser.parse_args()
    results = {}
    if args.only in (None, "sqlite"):
        with tempfile.TemporaryDirectory() as tmp:
            results["sqlite"] = measure(f"sqlite:///{tmp}/bench.db", args.companies, args.years, args.runs)
    if args.only in (None, "postgresql"):
        made = _pg_url()
        if made:
            name, url = made
            try:
                results["postgresql"] = measure(url, args.companies, args.years, args.runs)
            finally:
                _drop_pg(name)
    for backend, r in results.items():
        ratio = r["recompute_s"] / r["baseline_s"]
        print(
            f"{backend}: {args.companies} companies, {r['segments']} segments, seeded {r['seeded_s']:.0f} s"
        )
        print(f"  baseline aggregate: {r['baseline_s'] * 1000:.1f} ms (median of {args.runs})")
        print(f"  full recompute:     {r['recompute_s'] * 1000:.1f} ms, {r['snapshots']} snapshots written")
        print(
            f"ratio {backend}: recompute / baseline = {ratio:.2f}x (goal <= {GOAL_RATIO:.0f}x: "
            f"{'met' if ratio <= GOAL_RATIO else 'MISSED'})"
        )


if __name__ == "__main__":
    main()
