"""Running one import: the whole file in one transaction with its ImportBatch, or nothing.

The batch row (status done) is written in the same transaction as the imported rows, so an
interrupted import (a crash, SIGKILL) leaves neither rows nor a finished batch behind; a
failure is then recorded by a separate short transaction (status failed). A dry run does the
same work and rolls it all back: nothing is written, the report is returned. Imports own their
commit, like jobs: a route or command calls `run_import` and does not commit after it.
"""

import hashlib
import logging
from collections.abc import Callable
from dataclasses import dataclass, field

from portal.audit.trail import acting_as
from portal.db import utcnow
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.imports.reading import FileRefused, Sheet

log = logging.getLogger(__name__)

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
    """Import one file of `kind` ("bookings" or "companies") atomically; see the module doc.
    With `sheet` (bookings only: the API's records), its rows are imported instead of `data`'s,
    and `data` only identifies the batch.

    Raises FileRefused when the file cannot be read at all (nothing is written then)."""
    from portal.imports import bookings, companies

    importer: Importer = {"bookings": bookings.import_rows, "companies": companies.import_rows}[kind]
    if sheet is not None:
        importer = lambda _data, _name, *rest: bookings.import_sheet(sheet, *rest)  # noqa: E731
    outcome = Outcome(kind=kind, filename=filename[:255], dry_run=dry_run)
    if keep_keys:
        outcome.keys_by_line = {}
    digest = hashlib.sha256(data).hexdigest()
    session = db.session
    try:
        with acting_as("system:import"):
            batch = ImportBatch(
                kind=kind,
                filename=outcome.filename,
                sha256=digest,
                status="running",
                dry_run=dry_run,
                author_id=author_id,
            )
            session.add(batch)
            session.flush()
            importer(data, filename, outcome, batch, progress)
            batch.status = "done"
            batch.rows_total = outcome.rows_total
            batch.rows_imported = outcome.rows_imported
            batch.rows_rejected = outcome.rows_rejected
            batch.report = {"rejected": outcome.report, "existing": outcome.rows_existing}
            batch.finished_at = utcnow()
            session.flush()
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
            db.session.commit()
    except Exception:  # recording must never hide the original error
        db.session.rollback()
        log.exception("could not record the failed import")
