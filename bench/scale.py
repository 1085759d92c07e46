"""Scale: the page and scoring benchmarks on 10,000 companies and over 10 million segments.

Seeds the demo world (`seed_world`, which writes with COPY on PostgreSQL) into a PostgreSQL
database at 127.0.0.1:5432, 10,000 companies × 4 years by default, then at that size:

- the pages of `bench/pages.py` (the lists, /home, the dossier and /self/) under gunicorn
  against the same in-memory floor, and the peak memory (VmHWM) of each gunicorn worker;
- the scoring of `bench/scoring.py`: the full recompute against one aggregate pass;
- the task worker (`flask --app wsgi worker`) running the monthly rescoring job handed to it
  as a task ("Run now"), and the worker's peak memory.

Goals as at 1,200 companies: every page's p50 within 3x the floor, the recompute within 3x
the aggregate. Exit status 1 when one is missed.

    .venv/bin/python -m bench.scale                             # throwaway database, dropped at the end
    .venv/bin/python -m bench.scale --database bench_scale      # seeded once, kept and reused after
    .venv/bin/python -m bench.scale --companies 2000 --years 1  # a smaller world

Only 127.0.0.1 is ever contacted.
"""

import argparse
import os
import resource
import shutil
import subprocess
import sys
import tempfile
import time
import uuid
from datetime import date
from pathlib import Path

import psycopg

from bench import pages, scoring

ROOT = Path(__file__).resolve().parent.parent
PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/{name}"
WORKER_JOB = "rescoring"
WORKER_TIMEOUT = 3600


def ensure_database(name: str) -> bool:
    """Create the database unless it exists; whether it was created."""
    with psycopg.connect(pages.PG_ADMIN_DSN, autocommit=True) as conn:
        if conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,)).fetchone():
            return False
        conn.execute(f'CREATE DATABASE "{name}"')
    return True


def vacuum(name: str) -> None:
    """VACUUM ANALYZE, as autovacuum would have done a while after the bulk load, or after the
    rescoring of an earlier run left a dead row for every company and snapshot."""
    with psycopg.connect(pages.PG_ADMIN_DSN, dbname=name, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE")


def peak_kib(pid: int) -> int:
    """The process's peak resident set (VmHWM), in KiB."""
    with open(f"/proc/{pid}/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


def children(pid: int) -> list[int]:
    """The ids of the processes whose parent is `pid`."""
    found = []
    for entry in os.listdir("/proc"):
        if not entry.isdigit():
            continue
        try:
            with open(f"/proc/{entry}/stat") as f:
                stat = f.read()
        except OSError:
            continue  # ended meanwhile
        if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
            found.append(int(entry))
    return found


def sizes_of(url: str, data_dir: str) -> dict:
    """Companies and segments in the database."""
    from sqlalchemy import func, select

    from portal.companies.models import Company
    from portal.extensions import db
    from portal.segments.models import Segment

    app = pages.build_app(url, data_dir)
    with app.app_context():
        counts = {
            "companies": db.session.scalar(select(func.count()).select_from(Company)),
            "segments": db.session.scalar(select(func.count()).select_from(Segment)),
        }
        db.engine.dispose()
    return counts


def run_pages(url: str, workdir: Path, data_dir: str, args) -> tuple[bool, list[int]]:
    """bench/pages.py at this size; whether its goals hold and the gunicorn workers' VmHWM."""
    sizes = pages.pick_targets(url, data_dir, None)
    password = os.environ.get("DEMO_PASSWORD", "demo-pass-2026")
    baseline, targets = pages.page_targets(sizes)
    pages.count_statements(url, data_dir, [baseline, *targets], password)
    port = pages.free_port()
    process = pages.start_gunicorn(url, data_dir, port, args.workers, workdir / "gunicorn.log")
    try:
        print(f"gunicorn pid {process.pid} on {pages.HOST}:{port}")
        pages.load_pages(port, baseline, targets, args, password)
        peaks = [peak_kib(pid) for pid in children(process.pid)]
    finally:
        pages.stop_gunicorn(process)
    met = pages.report(targets, baseline, "postgresql", sizes, args.clients, args.workers)
    return met, peaks


def run_scoring(url: str, data_dir: str, runs: int) -> dict:
    from portal.extensions import db

    app = scoring._app(url, data_dir)
    with app.app_context():
        timed = scoring.time_scoring(runs)
        db.session.remove()
        db.engine.dispose()
    return timed


def start_worker(url: str, data_dir: str, log_path: Path) -> subprocess.Popen:
    """`flask --app wsgi worker` in its own process group, with the settings gunicorn gets."""
    env = dict(os.environ)
    env.update(
        PORTAL_ENV="production",
        DATABASE_URL=url,
        PORTAL_DATA_DIR=data_dir,
        PYTHONPATH=str(ROOT),
        **pages.run_secrets(),
    )
    command = [str(Path(sys.executable).parent / "flask"), "--app", "wsgi", "worker", "--workers", "1"]
    log = open(log_path, "ab")  # noqa: SIM115 (closed with the process)
    process = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=log, start_new_session=True)
    process.log_file = log
    return process


def wait_until_consuming(process: subprocess.Popen, log_path: Path) -> None:
    """Until the worker has said it runs (its app built, the consumer starting)."""
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"the worker exited with {process.returncode}; see {log_path}")
        if b"worker: " in log_path.read_bytes():
            time.sleep(1)  # the consumer's threads start
            return
        time.sleep(0.2)
    raise SystemExit(f"the worker did not start within 120 s; see {log_path}")


def run_worker(url: str, workdir: Path, data_dir: str) -> dict:
    """Hand the rescoring job to a worker as a task (its score date's snapshots deleted first, so
    it writes all of them); the seconds it took and the worker's VmHWM idle and after."""
    from sqlalchemy import delete

    from portal.extensions import db
    from portal.scoring.models import ScoreSnapshot
    from portal.tasks import runs
    from portal.tasks.models import TaskRun
    from portal.timeutil import local_today

    app = pages.build_app(url, data_dir)
    process = start_worker(url, data_dir, workdir / "worker.log")
    try:
        wait_until_consuming(process, workdir / "worker.log")
        idle = peak_kib(process.pid)
        with app.app_context():
            db.session.execute(delete(ScoreSnapshot).where(ScoreSnapshot.score_date == local_today()))
            db.session.commit()
            started = time.perf_counter()
            run_id = runs.submit("jobs.run", job=WORKER_JOB)
            while True:
                db.session.rollback()
                run = db.session.get(TaskRun, run_id)
                if run.status in ("done", "failed"):
                    break
                if process.poll() is not None or time.perf_counter() - started > WORKER_TIMEOUT:
                    raise SystemExit(f"the worker did not finish task run {run_id}; see worker.log")
                time.sleep(0.5)
            took = (run.finished_at - run.started_at).total_seconds()  # the work, not the queue's wait
            status, result = run.status, run.result
            peak = peak_kib(process.pid)
            db.session.remove()
            db.engine.dispose()
    finally:
        if process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(process.pid, 9)  # the group is ours: start_new_session=True
        except (ProcessLookupError, PermissionError):
            pass
        process.wait()
        process.log_file.close()
    if status != "done":
        raise SystemExit(f"the rescoring task {status}: {result}")
    return {"seconds": took, "idle_kib": idle, "peak_kib": peak, "result": result}


def mib(kib: int) -> str:
    return f"{kib / 1024:,.0f} MiB"


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--companies", type=int, default=10_000)
    parser.add_argument("--years", type=int, default=4)
    parser.add_argument("--seed", type=int, default=42)
    parser.add_argument(
        "--database", help="PostgreSQL database to seed once and keep (reused when already seeded)"
    )
    parser.add_argument(
        "--keep", action="store_true", help="keep the throwaway database (its name is printed)"
    )
    parser.add_argument("--scoring-runs", type=int, default=3, help="timed runs of each scoring side")
    pages.add_load_options(parser, requests=800)
    args = parser.parse_args(argv)
    sys.setswitchinterval(0.0005)  # many client threads: hand the GIL over promptly

    name = args.database or f"bench_scale_{os.getpid()}_{uuid.uuid4().hex[:8]}"
    created = ensure_database(name)
    url = PG_URL.format(name=name)
    workdir = Path(tempfile.mkdtemp(prefix="portal-scale-"))
    data_dir = str(workdir / "data")
    try:
        state = "new" if created else "existing"
        print(f"database {name} ({state}); {args.companies} companies x {args.years} years")
        seeded = pages.prepare_database(url, data_dir, args.companies, args.years, args.seed, analyze=False)
        vacuum(name)
        counts = sizes_of(url, data_dir)
        seed_line = f"seeded in {seeded:,.0f} s" if seeded is not None else "seeded before (reused)"
        print(
            f"{seed_line}: {counts['companies']:,} companies, {counts['segments']:,} segments; "
            f"peak RSS of this process {mib(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)}"
        )

        pages_met, web_peaks = run_pages(url, workdir, data_dir, args)
        print(f"web: gunicorn workers' VmHWM {', '.join(mib(k) for k in web_peaks)}")

        timed = run_scoring(url, data_dir, args.scoring_runs)
        scoring_ratio = timed["recompute_s"] / timed["baseline_s"]
        print(
            f"scoring: baseline aggregate {timed['baseline_s'] * 1000:,.0f} ms, full recompute "
            f"{timed['recompute_s'] * 1000:,.0f} ms (medians of {args.scoring_runs}), "
            f"{timed['snapshots']:,} snapshots written"
        )

        worker = run_worker(url, workdir, data_dir)
        print(
            f"worker: the {WORKER_JOB} job as a task ran {worker['seconds']:,.1f} s; VmHWM idle "
            f"{mib(worker['idle_kib'])}, after {mib(worker['peak_kib'])}; {worker['result']}"
        )

        scoring_met = scoring_ratio <= scoring.GOAL_RATIO
        print()
        print(f"size: {counts['companies']:,} companies, {counts['segments']:,} segments ({date.today()})")
        web_peak = mib(max(web_peaks, default=0))
        print(f"peak memory: web {web_peak} (largest gunicorn worker), worker {mib(worker['peak_kib'])}")
        print(
            f"ratio scoring (postgresql, scale): recompute / baseline = {scoring_ratio:.2f}x "
            f"(goal <= {scoring.GOAL_RATIO:g}x: {'met' if scoring_met else 'MISSED'})"
        )
        return 0 if pages_met and scoring_met else 1
    finally:
        shutil.rmtree(workdir, ignore_errors=True)
        if args.database or args.keep:
            print(f"kept database {name}")
        else:
            pages.drop_pg_database(url)


if __name__ == "__main__":
    sys.exit(main())
