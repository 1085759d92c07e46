"""Entry points of imports, which own their commit like jobs: `run_import` (routes, commands
and the task call it, and do not commit after it) and the task of imports uploaded on the web.

An import is the whole file in one transaction with its ImportBatch, or nothing; a failure is
then recorded by a separate short transaction (status failed). A dry run does the same work and
rolls it all back: nothing is written, the report is returned.
"""

import hashlib
import logging
import time

from portal import files
from portal.extensions import db
from portal.imports import operations
from portal.imports.operations import Outcome, Progress
from portal.imports.reading import FileRefused, Sheet, estimate_rows
from portal.tasks.runs import RunContext, task

log = logging.getLogger(__name__)

SHOWN_PROBLEMS = 200  # report rows kept on a dry run's task record; a real import keeps its batch's


def run_import(
    kind: str,
    data: bytes,
    filename: str,
    *,
    author_id: int | None = None,
    dry_run: bool = False,
    progress: Progress | None = None,
    sheet: Sheet | None = None,
    keep_keys: bool = False,
) -> Outcome:
    """Import one file of `kind` ("bookings" or "companies") atomically and commit it (a dry
    run is rolled back); see the module doc and `operations.import_file`.

    Raises FileRefused when the file cannot be read at all (nothing is written then)."""
    outcome = Outcome(kind=kind, filename=filename[:255], dry_run=dry_run)
    if keep_keys:
        outcome.keys_by_line = {}
    digest = hashlib.sha256(data).hexdigest()
    session = db.session
    try:
        batch = operations.import_file(
            kind, data, filename, outcome, digest, author_id=author_id, progress=progress, sheet=sheet
        )
        if dry_run:
            session.rollback()
        else:
            session.commit()
            outcome.batch_id = batch.id
    except FileRefused:
        session.rollback()
        raise
    except BaseException as e:
        session.rollback()
        if not dry_run and isinstance(e, Exception):
            _record_failure(kind, outcome.filename, digest, author_id, e)
        raise
    return outcome


def _record_failure(kind: str, filename: str, digest: str, author_id: int | None, error: Exception) -> None:
    """A short transaction of its own: the failed batch, so the attempt is on record."""
    log.exception("import of %s (%s) failed", filename, kind)
    try:
        operations.add_failed_batch(kind, filename, digest, author_id, error)
        db.session.commit()
    except Exception:  # recording must never hide the original error
        db.session.rollback()
        log.exception("could not record the failed import")


@task("imports.run")
def import_upload(
    ctx: RunContext, *, kind: str, stored_name: str, filename: str, dry_run: bool, user_id: int | None
) -> dict:
    """Import the upload saved as `stored_name`; the file is removed once it is imported or refused
    (a failure that may pass keeps it for the retry)."""
    path = files.stored_path(stored_name)
    data = path.read_bytes()
    total = estimate_rows(data)
    started = time.monotonic()

    def progress(rows: int, *, rejected: int = 0, written: int = 0) -> None:
        ctx.progress(
            read=rows, rejected=rejected, written=written, total=total, elapsed=time.monotonic() - started
        )

    try:
        outcome = run_import(kind, data, filename, author_id=user_id, dry_run=dry_run, progress=progress)
    except FileRefused:
        files.remove_stored(stored_name)
        raise
    files.remove_stored(stored_name)
    return {
        "batch_id": outcome.batch_id,
        "dry_run": outcome.dry_run,
        "rows_total": outcome.rows_total,
        "rows_imported": outcome.rows_imported,
        "rows_existing": outcome.rows_existing,
        "rows_rejected": outcome.rows_rejected,
        "report": outcome.report[:SHOWN_PROBLEMS] if outcome.dry_run else [],
    }
