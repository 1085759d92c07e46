"""Page speed: /companies/ (portfolio and all), /home, /companies/<id> and /self/ under
gunicorn against a baseline.

Builds (or reuses) a seeded database, serves the app with gunicorn (2 workers) on a free port
of 127.0.0.1, signs each client in through the real form, and loads every page with
concurrent clients, each with its own session cookie. In the same run it loads a baseline
route of the same app that renders the company table from memory with no database
(`bench/baseline.py`). Prints the SQL statements one request of each page runs, requests per
second, p50 and p95 latency for each, the ratio of each page's p50 to the baseline's, and
whether the goals hold: every page's p50 within 3x of the baseline and its p95 under 50 ms
(exit status 1 when one is missed). See bench/README.md for the options.

    .venv/bin/python -m bench.pages                      # fresh SQLite in a temp dir
    .venv/bin/python -m bench.pages --db /tmp/bench.db   # seed once, reuse the file after
    .venv/bin/python -m bench.pages --postgres           # a throwaway PostgreSQL database

Only 127.0.0.1 is ever contacted.
"""

import argparse
import functools
import http.client
import os
import re
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

ROOT = Path(__file__).resolve().parent.parent
HOST = "127.0.0.1"
PG_ADMIN_DSN = os.environ.get("BENCH_PG_DSN", "host=127.0.0.1 port=5432 user=postgres dbname=postgres")
MANAGER = "manager@demo.example"
BOOKER = "booker@demo.example"
BASELINE_PATH = "/_bench/baseline"
GOAL_RATIO = 3.0
GOAL_P95_MS = 50.0


# --- the database -----------------------------------------------------------------------


@functools.cache
def run_secrets() -> dict[str, str]:
    """The keys production requires, random for this run; the setup app (which seeds and
    encrypts) and gunicorn get the same ones."""
    from cryptography.fernet import Fernet

    return {
        "SECRET_KEY": secrets.token_hex(32),
        "PORTAL_FIELD_KEY": os.environ.get("PORTAL_FIELD_KEY") or Fernet.generate_key().decode(),
    }


def build_app(database_url: str, data_dir: str):
    """The app on `database_url` with production settings, for setup only."""
    from portal import create_app

    return create_app(
        "production", SQLALCHEMY_DATABASE_URI=database_url, PORTAL_DATA_DIR=data_dir, **run_secrets()
    )


def is_seeded(app) -> bool:
    from sqlalchemy import func, inspect, select

    from portal.auth.models import User
    from portal.extensions import db

    with app.app_context():
        if not inspect(db.engine).has_table("user"):
            return False
        return bool(db.session.scalar(select(func.count()).select_from(User).where(User.email == MANAGER)))


def prepare_database(
    database_url: str, data_dir: str, companies: int, years: int, seed: int, analyze: bool
) -> float | None:
    """Migrate to head and, unless the demo world is already there, seed it; gather planner
    statistics on PostgreSQL (and on SQLite with `analyze`). The seconds the seed took (None:
    the world was already there)."""
    from flask_migrate import upgrade
    from sqlalchemy import text

    from portal.extensions import db

    app = build_app(database_url, data_dir)
    with app.app_context():
        upgrade()
    seeded = None
    if is_seeded(app):
        print("database already seeded; reusing it")
    else:
        from portal.demo.seed import seed_world

        started = time.perf_counter()
        with app.app_context():
            summary = seed_world(companies=companies, years=years, seed=seed, progress=True)
        seeded = time.perf_counter() - started
        print(f"seeded in {seeded:.0f} s: {summary}")
    with app.app_context():
        # PostgreSQL: as autovacuum would have them a minute after a bulk load. SQLite keeps
        # none unless someone runs ANALYZE, so by default it is measured as deployed.
        if db.engine.dialect.name == "postgresql" or analyze:
            # In a transaction: portal.db's SQLite BEGIN hook would roll back an AUTOCOMMIT one.
            with db.engine.begin() as conn:
                conn.execute(text("ANALYZE"))
        db.engine.dispose()
    return seeded


def pick_targets(database_url: str, data_dir: str, company_id: int | None) -> dict:
    """The dossier to load (by default the manager's company with the most contacts and
    travellers, the heaviest dossier), and sizes for the report."""
    from sqlalchemy import func, select

    from portal.auth.models import User
    from portal.companies.models import Company, Contact, Traveller
    from portal.extensions import db

    app = build_app(database_url, data_dir)
    with app.app_context():
        manager = db.session.scalar(select(User).where(User.email == MANAGER))
        booker = db.session.scalar(select(User).where(User.email == BOOKER))
        if manager is None or booker is None:
            raise SystemExit(f"the database has no {MANAGER} or {BOOKER}: is it the demo seed?")
        contacts = (
            select(func.count()).where(Contact.company_id == Company.id, Contact.deleted_at.is_(None))
        ).scalar_subquery()
        travellers = (
            select(func.count()).where(Traveller.company_id == Company.id, Traveller.deleted_at.is_(None))
        ).scalar_subquery()
        mine = select(Company.id, contacts, travellers).where(Company.manager_id == manager.id)
        if company_id is not None:
            row = db.session.execute(mine.where(Company.id == company_id)).first()
            if row is None:
                raise SystemExit(f"company {company_id} is not in {MANAGER}'s portfolio")
        else:
            row = db.session.execute(
                mine.order_by((contacts + travellers).desc(), Company.id).limit(1)
            ).first()
            if row is None:
                raise SystemExit(f"{MANAGER} has no company")
        sizes = {
            "companies": db.session.scalar(select(func.count()).select_from(Company)),
            "company_id": row[0],
            "contacts": row[1],
            "travellers": row[2],
            "portfolio": db.session.scalar(
                select(func.count()).select_from(Company).where(Company.manager_id == manager.id)
            ),
        }
        db.engine.dispose()
    return sizes


def create_pg_database() -> str:
    from tests.conftest import create_pg_database

    return create_pg_database("portal_bench", PG_ADMIN_DSN)


def drop_pg_database(url: str) -> None:
    from tests.conftest import drop_pg_database

    drop_pg_database(url, PG_ADMIN_DSN)


# --- the server -------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as s:
        s.bind((HOST, 0))
        return s.getsockname()[1]


def start_gunicorn(database_url: str, data_dir: str, port: int, workers: int, log_path: Path):
    """gunicorn serving the app plus the baseline route, in its own process group."""
    env = dict(os.environ)
    env.update(
        PORTAL_ENV="production",
        DATABASE_URL=database_url,
        **run_secrets(),
        SESSION_COOKIE_SECURE="0",  # plain http on 127.0.0.1
        PORTAL_DATA_DIR=data_dir,
        PYTHONPATH=str(ROOT),
    )
    command = [
        str(Path(sys.executable).parent / "gunicorn"),
        "--bind",
        f"{HOST}:{port}",
        "--workers",
        str(workers),
        "--chdir",
        str(ROOT),
        "--error-logfile",
        str(log_path),
        "bench.baseline:create_app_with_baseline()",
    ]
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, env=env, stdout=log, stderr=log, start_new_session=True)
    process.log_file = log
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"gunicorn exited with {process.returncode}; see {log_path}")
        probe = http.client.HTTPConnection(HOST, port, timeout=2)
        try:
            status, _, _ = fetch(probe, "GET", "/health")
            if status == 200:
                return process
        except OSError:
            pass
        finally:
            probe.close()
        time.sleep(0.2)
    stop_gunicorn(process)
    raise SystemExit(f"gunicorn did not answer /health within 60 s; see {log_path}")


def stop_gunicorn(process) -> None:
    """TERM the master (it stops its workers), then KILL the group if anything lingers."""
    if process.poll() is None:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(process.pid, signal.SIGKILL)  # the group is ours: start_new_session=True
    except (ProcessLookupError, PermissionError):
        pass  # nothing left of it
    process.wait()
    process.log_file.close()


# --- the clients ------------------------------------------------------------------------


def fetch(
    conn: http.client.HTTPConnection, method: str, path: str, cookie: str = "", body=None, headers=None
):
    """One request on `conn` (which reopens itself after the server closes it)."""
    h = dict(headers or {})
    if cookie:
        h["Cookie"] = cookie
    conn.request(method, path, body=body, headers=h)
    response = conn.getresponse()
    data = response.read()
    if response.will_close:
        conn.close()
    return response.status, response.headers, data


class Browser:
    """One client: a keep-alive connection (when the server keeps it) and its cookies."""

    def __init__(self, port: int):
        self.conn = http.client.HTTPConnection(HOST, port, timeout=30)
        self.cookies: dict[str, str] = {}

    @property
    def cookie(self) -> str:
        return "; ".join(f"{k}={v}" for k, v in self.cookies.items())

    def request(self, method: str, path: str, body=None, headers=None):
        status, response_headers, data = fetch(self.conn, method, path, self.cookie, body, headers)
        for line in response_headers.get_all("Set-Cookie") or []:
            jar = SimpleCookie()
            jar.load(line)
            for name, morsel in jar.items():
                self.cookies[name] = morsel.value
        return status, data

    def sign_in(self, email: str, password: str) -> None:
        status, page = self.request("GET", "/login")
        html = page.decode()
        match = re.search(r'name="csrf_token" type="hidden" value="([^"]+)"', html) or re.search(
            r'name="csrf_token" value="([^"]+)"', html
        )
        if status != 200 or not match:
            raise SystemExit(f"GET /login answered {status} without a csrf_token")
        form = urlencode({"csrf_token": match.group(1), "email": email, "password": password})
        status, _ = self.request(
            "POST", "/login", body=form, headers={"Content-Type": "application/x-www-form-urlencoded"}
        )
        if status != 302:
            raise SystemExit(f"signing in as {email} answered {status}, not 302")

    def close(self) -> None:
        self.conn.close()


@dataclass
class Target:
    name: str
    path: str
    marker: bytes  # present in every correct answer
    email: str | None  # who loads it (None: anonymous)
    browsers: list[Browser] = field(default_factory=list)
    statements: int | None = None  # SQL statements one request runs
    latencies: list[float] = field(default_factory=list)
    errors: int = 0
    elapsed: float = 0.0

    def percentile(self, p: float) -> float:
        ordered = sorted(self.latencies)
        return ordered[min(len(ordered) - 1, max(0, round(p / 100 * len(ordered)) - 1))] * 1000

    @property
    def rps(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0


def load(target: Target, requests: int, max_seconds: float, record: bool) -> None:
    """All the target's browsers at once, until `requests` answers or `max_seconds` passed."""
    remaining = [requests]
    lock = threading.Lock()
    start = threading.Barrier(len(target.browsers) + 1)
    deadline = [0.0]
    latencies: list[float] = []
    errors = [0]

    def client(browser: Browser) -> None:
        start.wait()
        mine = []
        while time.perf_counter() < deadline[0]:
            with lock:
                if remaining[0] <= 0:
                    break
                remaining[0] -= 1
            began = time.perf_counter()
            try:
                status, data = browser.request("GET", target.path)
                ok = status == 200 and target.marker in data
            except (OSError, http.client.HTTPException):
                browser.conn.close()
                ok = False
            took = time.perf_counter() - began
            if ok:
                mine.append(took)
            else:
                with lock:
                    errors[0] += 1
        with lock:
            latencies.extend(mine)

    threads = [threading.Thread(target=client, args=(b,), daemon=True) for b in target.browsers]
    for t in threads:
        t.start()
    deadline[0] = time.perf_counter() + max_seconds
    began = time.perf_counter()
    start.wait()
    for t in threads:
        t.join()
    if record:
        target.elapsed += time.perf_counter() - began
        target.latencies.extend(latencies)
        target.errors += errors[0]


def count_statements(database_url: str, data_dir: str, targets: list["Target"], password: str) -> None:
    """In process, outside the timed run: the SQL statements one request of each page runs
    (transaction control not counted), the figure tests/test_query_counts.py keeps flat."""
    from sqlalchemy import event

    from bench.baseline import create_app_with_baseline
    from portal.extensions import db

    app = create_app_with_baseline(
        "production",
        SQLALCHEMY_DATABASE_URI=database_url,
        PORTAL_DATA_DIR=data_dir,
        SESSION_COOKIE_SECURE=False,  # the test client talks plain http
        **run_secrets(),
    )
    statements: list[str] = []

    def before_cursor_execute(conn, cursor, statement, parameters, context, executemany):
        if statement.lstrip().upper().startswith(("SELECT", "INSERT", "UPDATE", "DELETE", "WITH")):
            statements.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", before_cursor_execute)
    try:
        for t in targets:
            client = app.test_client()
            if t.email:
                page = client.get("/login").get_data(as_text=True)
                token = re.search(r'name="csrf_token"[^>]* value="([^"]+)"', page)
                form = {"email": t.email, "password": password, "csrf_token": token.group(1) if token else ""}
                if client.post("/login", data=form).status_code != 302:
                    raise SystemExit(f"signing in as {t.email} failed in process")
            client.get(t.path)  # warm: first-use work is not per request
            statements.clear()
            if client.get(t.path).status_code == 200:
                t.statements = len(statements)
    finally:
        event.remove(engine, "before_cursor_execute", before_cursor_execute)
        engine.dispose()


# --- the run ----------------------------------------------------------------------------


def report(
    targets: list[Target], baseline: Target, backend: str, sizes: dict, clients: int, workers: int
) -> bool:
    print()
    print(
        f"backend {backend}, {sizes['companies']} companies, gunicorn {workers} workers, "
        f"{clients} concurrent clients per page; dossier of company {sizes['company_id']} "
        f"({sizes['contacts']} contacts, {sizes['travellers']} travellers)"
    )
    print(
        f"{'page':<28}{'SQL/req':>8}{'requests':>9}{'errors':>8}{'req/s':>9}{'p50 ms':>9}{'p95 ms':>9}"
        f"{'p50/base':>10}"
    )
    base_p50 = baseline.percentile(50)
    all_met = True
    for t in [baseline, *targets]:
        ratio = t.percentile(50) / base_p50 if base_p50 else float("nan")
        statements = "?" if t.statements is None else t.statements
        print(
            f"{t.name:<28}{statements:>8}{len(t.latencies):>9}{t.errors:>8}{t.rps:>9.1f}"
            f"{t.percentile(50):>9.1f}{t.percentile(95):>9.1f}{ratio:>10.2f}"
        )
    print()
    for t in targets:
        ratio = t.percentile(50) / base_p50
        p95 = t.percentile(95)
        met = ratio <= GOAL_RATIO and p95 < GOAL_P95_MS and t.errors == 0
        all_met &= met
        print(
            f"{t.name}: p50 {ratio:.2f}x baseline (goal <= {GOAL_RATIO:g}x), p95 {p95:.1f} ms "
            f"(goal < {GOAL_P95_MS:g} ms), {t.errors} errors: {'met' if met else 'MISSED'}"
        )
    ratios = ", ".join(f"{t.name} {t.percentile(50) / base_p50:.2f}x" for t in targets)
    print(f"ratio p50/baseline p50 ({backend}): {ratios}; goals {'met' if all_met else 'MISSED'}")
    return all_met


def page_targets(sizes: dict) -> tuple[Target, list[Target]]:
    """The baseline and the measured pages; the dossier is the company `pick_targets` chose."""
    dossier = f"/companies/{sizes['company_id']}"
    baseline = Target("baseline (memory, no db)", BASELINE_PATH, b'data-testid="company-table"', None)
    targets = [
        # A manager's list opens on their portfolio; ?all=1 is every company (the larger list).
        Target("/companies/", "/companies/", b'data-testid="company-table"', MANAGER),
        Target("/companies/?all=1", "/companies/?all=1", b'data-testid="company-table"', MANAGER),
        Target("/home", "/home", b'data-testid="home-revisits"', MANAGER),
        # The marker is on the full dossier only, not on the name-only page of others' companies.
        Target(dossier, dossier, b'data-testid="agreement-summary"', MANAGER),
        Target("/self/", "/self/", b'data-testid="self-company"', BOOKER),
    ]
    return baseline, targets


def load_pages(port: int, baseline: Target, targets: list[Target], args, password: str) -> None:
    """Sign the clients in and load every page (warm-up, then interleaved rounds) against the
    gunicorn on `port`; the latencies land in the targets."""
    browsers: list[Browser] = []
    try:
        # One group of browsers per account, shared by the pages it loads (pages run one at a time).
        groups: dict[str | None, list[Browser]] = {}
        for t in [baseline, *targets]:
            if t.email not in groups:
                group = [Browser(port) for _ in range(args.clients)]
                browsers.extend(group)
                for b in group:
                    if t.email:
                        b.sign_in(t.email, password)
                groups[t.email] = group
            t.browsers = groups[t.email]
        # Rounds interleave the pages so a slow patch of the machine hits all of them alike.
        per_round = max(1, args.requests // args.rounds)
        for t in [baseline, *targets]:
            load(t, args.warmup, args.max_seconds, record=False)
        for _ in range(args.rounds):
            for t in [baseline, *targets]:
                load(t, per_round, args.max_seconds / args.rounds, record=True)
        for t in [baseline, *targets]:
            if not t.latencies:
                raise SystemExit(f"{t.name}: no successful request ({t.errors} errors)")
    finally:
        for b in browsers:
            b.close()


def run(args) -> bool:
    workdir = Path(tempfile.mkdtemp(prefix="portal-bench-"))
    data_dir = str(workdir / "data")
    pg_url = None
    process = None
    try:
        if args.postgres:
            pg_url = create_pg_database()
            database_url, backend = pg_url, "postgresql"
        else:
            path = Path(args.db).resolve() if args.db else workdir / "portal.db"
            database_url, backend = f"sqlite:///{path}", "sqlite"
        print(f"database: {database_url}")
        prepare_database(database_url, data_dir, args.companies, args.years, args.seed, args.analyze)
        sizes = pick_targets(database_url, data_dir, args.company)
        password = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
        baseline, targets = page_targets(sizes)
        count_statements(database_url, data_dir, [baseline, *targets], password)

        port = free_port()
        process = start_gunicorn(database_url, data_dir, port, args.workers, workdir / "gunicorn.log")
        print(f"gunicorn pid {process.pid} on {HOST}:{port}; signing {2 * args.clients} clients in")
        load_pages(port, baseline, targets, args, password)
        return report(targets, baseline, backend, sizes, args.clients, args.workers)
    finally:
        if process is not None:
            stop_gunicorn(process)
        if pg_url:
            drop_pg_database(pg_url)
        shutil.rmtree(workdir, ignore_errors=True)


def add_database_options(parser: argparse.ArgumentParser) -> None:
    """Which database, and how much demo data it is seeded with (shared with bench/api.py)."""
    parser.add_argument("--db", help="SQLite file to reuse (seeded on first use and kept)")
    parser.add_argument(
        "--postgres", action="store_true", help="a throwaway PostgreSQL database at 127.0.0.1"
    )
    parser.add_argument("--companies", type=int, default=1200)
    parser.add_argument("--years", type=int, default=2)
    parser.add_argument("--seed", type=int, default=42)


def add_load_options(parser: argparse.ArgumentParser, requests: int = 1600) -> None:
    """How hard the pages are loaded (shared with bench/scale.py)."""
    parser.add_argument("--workers", type=int, default=2, help="gunicorn workers")
    parser.add_argument("--clients", type=int, default=16, help="concurrent clients per page")
    parser.add_argument("--requests", type=int, default=requests, help="measured requests per page")
    parser.add_argument("--warmup", type=int, default=requests // 10, help="unmeasured requests per page")
    parser.add_argument("--rounds", type=int, default=4, help="interleaved rounds over the pages")
    parser.add_argument("--max-seconds", type=float, default=60, help="time limit per page")


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    add_database_options(parser)
    parser.add_argument("--analyze", action="store_true", help="run ANALYZE on SQLite too before serving")
    parser.add_argument("--company", type=int, help="dossier to load (default: the manager's fullest)")
    add_load_options(parser)
    args = parser.parse_args(argv)
    if args.db and args.postgres:
        parser.error("--db is for SQLite; --postgres makes its own database")
    sys.setswitchinterval(0.0005)  # many client threads: hand the GIL over promptly
    return 0 if run(args) else 1


if __name__ == "__main__":
    sys.exit(main())
