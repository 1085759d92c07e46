"""Task entry point of imports uploaded on the web: read the saved upload, import it with
progress, keep the outcome on the run (the import owns its commit, see operations.py)."""

import time

from portal import files
from portal.imports.operations import run_import
from portal.imports.reading import FileRefused, estimate_rows
from portal.tasks.runs import RunContext, task

SHOWN_PROBLEMS = 200  # report rows kept on a dry run's task record; a real import keeps its batch's


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
