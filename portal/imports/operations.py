"""One import: the whole file with its ImportBatch, flushed in the caller's transaction.

The batch row (status done) is written in the same transaction as the imported rows, so an
interrupted import (a crash, SIGKILL) leaves neither rows nor a finished batch behind. The
commit, the rollback of a dry run and the record of a failure are `run_import`'s
(portal/imports/tasks.py), the entry point routes, commands and tasks call.
"""

from collections.abc import Callable
from dataclasses import dataclass, field

from portal.audit.trail import acting_as
from portal.db import utcnow
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.imports.reading import Sheet

REPORT_LIMIT = 10_000  # rejected-row entries kept in the batch's report; the count is always whole


@dataclass
class Outcome:
    """What an import did (or, for a dry run, would do)."""

    kind: str
    filename: str
    dry_run: bool
    batch_id: int | None = None
    rows_total: int = 0
    rows_imported: int = 0
    rows_rejected: int = 0
    rows_existing: int = 0  # valid rows already in the database (re-imports)
    report: list[dict] = field(default_factory=list)
    rejected_lines: set = field(default_factory=set)  # whole, even when the report is cut
    # line -> (ticket, coupon) of each valid booking row, kept only when asked for (the API).
    keys_by_line: dict | None = None

    def reject(self, line: int | None, column: str | None, reason: str, value=None) -> None:
        """Note one problem of a row (a row can have several; count the row once elsewhere)."""
        self.rejected_lines.add(line)
        if len(self.report) < REPORT_LIMIT:
            entry = {"line": line, "column": column, "reason": str(reason)}
            if value not in (None, ""):
                entry["value"] = str(value)[:100]
            self.report.append(entry)


# Called after each chunk with the rows read so far and keyword counts `rejected`, `written`.
Progress = Callable[..., None]
Importer = Callable[[bytes, str, Outcome, ImportBatch, Progress | None], None]


def import_file(
    kind: str,
    data: bytes,
    filename: str,
    outcome: Outcome,
    digest: str,
    *,
    author_id: int | None = None,
    progress: Progress | None = None,
    sheet: Sheet | None = None,
) -> ImportBatch:
    """Import one file of `kind` ("bookings" or "companies") with its ImportBatch (status done),
    filling `outcome`; flushes (the caller commits it, or rolls a dry run back). With `sheet`
    (bookings only: the API's records), its rows are imported instead of `data`'s, and `data`
    only identifies the batch.

    Raises FileRefused when the file cannot be read at all."""
    from portal.imports import bookings, companies

    importer: Importer = {"bookings": bookings.import_rows, "companies": companies.import_rows}[kind]
    if sheet is not None:
        importer = lambda _data, _name, *rest: bookings.import_sheet(sheet, *rest)  # noqa: E731
    with acting_as("system:import"):
        batch = ImportBatch(
            kind=kind,
            filename=outcome.filename,
            sha256=digest,
            status="running",
            dry_run=outcome.dry_run,
            author_id=author_id,
        )
        db.session.add(batch)
        db.session.flush()
        importer(data, filename, outcome, batch, progress)
        batch.status = "done"
        batch.rows_total = outcome.rows_total
        batch.rows_imported = outcome.rows_imported
        batch.rows_rejected = outcome.rows_rejected
        batch.report = {"rejected": outcome.report, "existing": outcome.rows_existing}
        batch.finished_at = utcnow()
        db.session.flush()
    return batch


def add_failed_batch(kind: str, filename: str, digest: str, author_id: int | None, error: Exception) -> None:
    """The batch of an import that failed, so the attempt is on record; flushes."""
    with acting_as("system:import"):
        db.session.add(
            ImportBatch(
                kind=kind,
                filename=filename,
                sha256=digest,
                status="failed",
                author_id=author_id,
                report={"rejected": [], "error": type(error).__name__},
                finished_at=utcnow(),
            )
        )
        db.session.flush()
