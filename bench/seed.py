"""Seed speed: the demo world (`seed_world`) on fresh databases against a plain bulk insert.

For each backend (a SQLite file in a temp directory, and a throwaway PostgreSQL database at
127.0.0.1:5432 when one answers or when --postgres is given) the script migrates an empty
database, times the seed and prints segments per second. In the same run and database it
times the baseline: the same number of segment-shaped rows, prepared in memory beforehand,
written with one plain DBAPI executemany into a scratch table (no generation, no indexes).
The last line is the ratio seed time / baseline time per backend. Everything it creates is
dropped at the end; only 127.0.0.1 is ever contacted.

    .venv/bin/python bench/seed.py                        # SQLite, and PostgreSQL if it answers
    .venv/bin/python bench/seed.py --postgres             # PostgreSQL is required
    .venv/bin/python bench/seed.py --companies 300 --years 1
"""

import argparse
import os
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))  # run as a script (bench/seed.py) as well as a module

PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
SCRATCH_TABLE = "bench_seed_baseline"


def postgres_reachable() -> bool:
    """Whether the local PostgreSQL server answers."""
    import psycopg

    try:
        with psycopg.connect(PG_ADMIN_DSN, connect_timeout=3):
            return True
    except psycopg.Error:
        return False


def create_pg_database() -> str:
    """A new empty database; returns its name."""
    import psycopg

    name = f"bench_seed_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'CREATE DATABASE "{name}"')
    return name


def drop_pg_database(name: str) -> None:
    """Drop a database made by create_pg_database, ending its connections first."""
    import psycopg

    with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
        conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def baseline_rows(count: int) -> list[tuple]:
    """`count` segment-shaped rows (the seed's columns and types), cheap to make."""
    first = date(2025, 1, 1)
    days = [first + timedelta(days=i) for i in range(730)]
    return [
        (
            i,
            f"999{i:010d}",
            1 + i % 4,
            1 + i % 1200,
            None,
            "王小明",
            "CA1501",
            days[i % 730],
            "PEK",
            "SHA",
            "Y",
            "B",
            120_000,
            1077,
        )
        for i in range(1, count + 1)
    ]


def time_baseline(app, rows: list[tuple]) -> float:
    """Seconds for one plain executemany of `rows` into a scratch table, committed."""
    import sqlalchemy as sa

    from portal.extensions import db
    from portal.segments.models import Segment

    # The segment's columns and types, as a plain heap: no keys, indexes or constraints.
    columns = [
        sa.Column(c.name, sa.String(c.type.length) if isinstance(c.type, sa.Enum) else c.type)
        for c in Segment.__table__.c
        if c.name not in ("import_batch_id", "ff_number")  # the seed writes neither
    ]
    scratch = sa.Table(SCRATCH_TABLE, sa.MetaData(), *columns)
    with app.app_context():
        engine = db.engine
        marker = "?" if engine.dialect.paramstyle == "qmark" else "%s"
        names = ", ".join(c.name for c in columns)
        statement = f"INSERT INTO {SCRATCH_TABLE} ({names}) VALUES ({', '.join([marker] * len(columns))})"
        if engine.dialect.name == "sqlite":
            rows = [row[:7] + (row[7].isoformat(),) + row[8:] for row in rows]  # SQLite keeps ISO text
        scratch.create(engine)
        try:
            started = time.perf_counter()
            with engine.begin() as conn:
                conn.exec_driver_sql(statement, rows)  # straight to the DBAPI cursor's executemany
            elapsed = time.perf_counter() - started
        finally:
            scratch.drop(engine)
            engine.dispose()
    return elapsed


def run_backend(kind: str, url: str, data_dir: str, args) -> dict:
    """Migrate, seed and time one database; then time the baseline in it."""
    from flask_migrate import upgrade
    from sqlalchemy import func, select

    from portal import create_app
    from portal.demo.seed import seed_world
    from portal.extensions import db
    from portal.segments.models import Segment

    app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=data_dir)
    with app.app_context():
        upgrade()
        started = time.perf_counter()
        summary = seed_world(companies=args.companies, years=args.years, seed=args.seed, progress=False)
        seeded = time.perf_counter() - started
        segments = db.session.scalar(select(func.count()).select_from(Segment))
        db.session.remove()
        db.engine.dispose()
    rows = baseline_rows(segments)
    baseline = time_baseline(app, rows)
    print(
        f"{kind:<10} seed: {summary['companies']:,} companies, {segments:,} segments in {seeded:.1f} s"
        f" = {segments / seeded:,.0f} segments/s"
    )
    print(
        f"{kind:<10} baseline: {segments:,} rows, one executemany in {baseline:.1f} s"
        f" = {segments / baseline:,.0f} rows/s"
    )
    return {"kind": kind, "seed": seeded, "baseline": baseline}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=1200)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument("--postgres", action="store_true", help="require PostgreSQL at 127.0.0.1:5432")
    args = parser.parse_args()

    use_postgres = postgres_reachable()
    if args.postgres and not use_postgres:
        print("PostgreSQL at 127.0.0.1:5432 does not answer", file=sys.stderr)
        return 1
    print(f"seed bench: {args.companies} companies x {args.years} years, seed {args.seed}")
    results = []
    with tempfile.TemporaryDirectory(prefix="bench-seed-") as tmp:
        results.append(run_backend("sqlite", f"sqlite:///{tmp}/seed.db", tmp, args))
        if use_postgres:
            name = create_pg_database()
            try:
                results.append(run_backend("postgresql", PG_URL.format(name=name), tmp, args))
            finally:
                drop_pg_database(name)
        else:
            print("postgresql skipped: nothing answers at 127.0.0.1:5432")
    ratios = ", ".join(f"{r['kind']} {r['seed'] / r['baseline']:.2f}x" for r in results)
    print(f"ratio (seed time / plain executemany of as many rows): {ratios}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
