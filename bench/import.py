"""Booking import speed: 700,000 segment rows from a generated CSV against a plain executemany.

A fresh database (a SQLite file in a temp directory; with --postgres a throwaway PostgreSQL
database at 127.0.0.1:5432) is migrated and seeded with a small world (50 companies, 1 year).
A CSV of N booking rows (default 700,000) for those companies is generated in the temp
directory. The baseline inserts the same rows, already parsed in memory, with one plain DBAPI
executemany into the same segment table with no validation, and is rolled back. Then the real
import (`run_import("bookings", ...)`: decoding, header mapping, validation of every row,
chunked INSERT ... ON CONFLICT DO NOTHING, the batch row, one commit) is timed. The last line
is the ratio import time / baseline time; the goal is 3x or less. Everything is dropped at the end.

    .venv/bin/python bench/import.py
    .venv/bin/python bench/import.py --rows 100000 --postgres
"""

import argparse
import csv
import io
import os
import random
import sys
import tempfile
import time
import uuid
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from tests.imports.files import ZH_HEADER  # noqa: E402  (the booking export's header)

PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
GOAL = 3.0


def _rows(codes: list[str], n: int, seed: int = 7):
    """(CSV cells, parsed values) for n segments on reference routes."""
    from portal.demo import reference as ref

    rng = random.Random(seed)
    routes = [(a, b, ref.great_circle_km(a, b)) for a, b, *_ in ref.ROUTES]
    fares = [(cabin, fare) for cabin, items in ref.FARE_CLASSES.items() for fare, *_ in items]
    start = date.today() - timedelta(days=360)
    for i in range(n):
        origin, destination, km = rng.choice(routes)
        cabin, fare = rng.choice(fares)
        day = start + timedelta(days=rng.randrange(350))
        fen = rng.randrange(30_000, 900_000)
        ticket = f"{880 + i % 7}{i // 2:010d}"
        coupon = 1 + i % 2
        code = codes[i % len(codes)]
        flight = f"CA{1000 + i % 8000}"
        name = f"旅客{i % 5000}"
        cells = [ticket, coupon, code, name, flight, day.isoformat(), origin, destination, cabin, fare,
                 f"{fen // 100}.{fen % 100:02d}", km]  # fmt: skip
        yield cells, (ticket, coupon, code, name, flight, day, origin, destination, cabin, fare, fen, km)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=700_000)
    parser.add_argument("--postgres", action="store_true", help="run on a throwaway PostgreSQL database")
    args = parser.parse_args()

    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal import create_app
    from portal.companies.models import Company
    from portal.demo.seed import seed_world
    from portal.extensions import db
    from portal.imports import bookings
    from portal.imports.tasks import run_import

    with tempfile.TemporaryDirectory(prefix="bench-import-") as tmp:
        pg_name = None
        if args.postgres:
            import psycopg

            pg_name = f"bench_import_{os.getpid()}_{uuid.uuid4().hex[:8]}"
            with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                conn.execute(f'CREATE DATABASE "{pg_name}"')
            url = f"postgresql+psycopg://postgres@127.0.0.1:5432/{pg_name}"
        else:
            url = f"sqlite:///{tmp}/bench.db"
        try:
            app = create_app("testing", SQLALCHEMY_DATABASE_URI=url, PORTAL_DATA_DIR=f"{tmp}/data")
            with app.app_context():
                upgrade()
                seed_world(companies=50, years=1, progress=False)
                codes = list(db.session.scalars(db.select(Company.credit_code).order_by(Company.id)))
                before = db.session.scalar(text("SELECT count(*) FROM segment"))
                db.session.rollback()

                started = time.perf_counter()
                buffer = io.StringIO(newline="")
                writer = csv.writer(buffer, lineterminator="\r\n")
                writer.writerow(ZH_HEADER)
                id_of = dict(db.session.execute(db.select(Company.credit_code, Company.id)).all())
                db.session.rollback()
                parsed = []
                for cells, values in _rows(codes, args.rows):
                    writer.writerow(cells)
                    parsed.append(values)
                data = buffer.getvalue().encode("utf-8-sig")
                path = Path(tmp) / "bookings.csv"
                path.write_bytes(data)
                print(f"generated {args.rows:,} rows, {len(data) / 1e6:.1f} MB")

                # Baseline: the same rows, parsed, one plain executemany into segment; rolled back.
                sqlite = url.startswith("sqlite")
                columns = [c for c in bookings.COLUMNS if c not in ("import_batch_id", "ff_number")]
                tuples = [
                    (t, c, id_of[code], None, n, f, d.isoformat() if sqlite else d, o, de, cab, fare, fen, km)
                    for t, c, code, n, f, d, o, de, cab, fare, fen, km in parsed
                ]
                del parsed
                placeholders = ", ".join(["?" if sqlite else "%s"] * len(columns))
                sql = f"INSERT INTO segment ({', '.join(columns)}) VALUES ({placeholders})"
                connection = db.session.connection()
                started = time.perf_counter()
                cursor = connection.connection.driver_connection.cursor()
                cursor.executemany(sql, tuples)
                baseline = time.perf_counter() - started
                db.session.rollback()
                del tuples
                print(f"baseline executemany: {baseline:.2f} s, {args.rows / baseline:,.0f} rows/s")

                started = time.perf_counter()
                outcome = run_import("bookings", path.read_bytes(), path.name)
                elapsed = time.perf_counter() - started
                after = db.session.scalar(text("SELECT count(*) FROM segment"))
                db.session.rollback()
                print(
                    f"import: {elapsed:.2f} s, {args.rows / elapsed:,.0f} rows/s;"
                    f" imported {outcome.rows_imported:,},"
                    f" rejected {outcome.rows_rejected:,}, segments {before:,} -> {after:,}"
                )
                assert outcome.rows_imported == args.rows, outcome.report[:5]
                ratio = elapsed / baseline
                print(
                    f"ratio import/baseline: {ratio:.2f}x (goal <= {GOAL:.0f}x)"
                    f" {'OK' if ratio <= GOAL else 'MISSED'}"
                )
                db.engine.dispose()
        finally:
            if pg_name:
                import psycopg

                with psycopg.connect(PG_ADMIN_DSN, autocommit=True) as conn:
                    conn.execute(f'DROP DATABASE IF EXISTS "{pg_name}" WITH (FORCE)')
    return 0 if ratio <= GOAL else 1


if __name__ == "__main__":
    sys.exit(main())
