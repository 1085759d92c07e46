"""SIGKILL of a CLI import mid-way leaves nothing of its batch; the import is simply re-run."""

import os
import subprocess
import sys
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.extensions import db
from portal.segments.models import Segment
from tests import factories
from tests.conftest import drop_pg_database, end_process, make_app, wait_for_output
from tests.imports.files import ZH_HEADER, booking, csv_bytes
from tests.imports.helpers import kill_mid_import

ROOT = Path(__file__).resolve().parents[2]
FLASK = str(Path(sys.executable).with_name("flask"))


@pytest.mark.parametrize("kind", ["sqlite", "postgresql"])
def test_sigkill_mid_import_leaves_no_segments(kind, fresh_database, tmp_path):
    url = fresh_database(kind)
    app = make_app(url, tmp_path / "data")
    process = None
    try:
        with app.app_context():
            world = factories.small_world(db.session)
            code = world.company_a.credit_code
            db.session.commit()
        rows = [ZH_HEADER] + [booking(code, f"998{i:010d}") for i in range(12_000)]  # > 2 chunks
        path = tmp_path / "bookings.csv"
        path.write_bytes(csv_bytes(rows, encoding="gb18030"))
        env = dict(
            os.environ,
            DATABASE_URL=url,
            PORTAL_ENV="testing",
            PORTAL_DATA_DIR=str(tmp_path / "data"),
            PORTAL_IMPORT_TEST_DELAY="60",
        )
        process = subprocess.Popen(
            [FLASK, "--app", "wsgi", "import", "bookings", str(path), "--quiet"],
            cwd=ROOT,
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        wait_for_output(process, b"chunk written")
        kill_mid_import(app, process)  # the first chunk is written, not committed
        with app.app_context():
            from portal.imports.tasks import run_import

            outcome = run_import("bookings", path.read_bytes(), path.name)
            assert outcome.rows_imported == 12_000
            assert db.session.scalar(select(func.count()).select_from(Segment)) == 12_000
            db.session.rollback()
            db.engine.dispose()
    finally:
        end_process(process)
        if url.startswith("postgresql"):
            drop_pg_database(url)
