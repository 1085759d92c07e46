"""Segment ingest for the API: the booking import's checks and writer over JSON records."""

import hashlib
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.extensions import db
from portal.imports import bookings
from portal.imports.reading import records_sheet
from portal.imports.tasks import run_import
from portal.segments.models import Segment

# The API names the traveller's column `traveller`; the other keys are the import's own.
LABELS = {"traveller_name": "traveller"}
TICKETS_PER_QUERY = 500


@dataclass
class IngestReport:
    """What one ingest did, row by row (index = position in the posted list)."""

    batch_id: int | None
    total: int = 0
    created: int = 0
    existing: int = 0
    rejected: int = 0
    results: list[dict] = field(default_factory=list)


def ingest(records: list[dict], *, body: bytes, client_name: str) -> IngestReport:
    """Import `records` (read from the request `body`) as one batch (atomic, idempotent on
    ticket and coupon number). The body's digest names the batch, as a file's bytes name a file
    import. Owns its commit, like every import."""
    digest = hashlib.sha256(body).hexdigest()[:16]
    sheet = records_sheet(records, bookings.HEADER_ALIASES, LABELS)
    outcome = run_import("bookings", body, f"api:{client_name}:{digest}", sheet=sheet, keep_keys=True)
    created = _created(outcome)
    problems: dict[int, list[dict]] = {}
    for entry in outcome.report:
        problems.setdefault(entry["line"], []).append(
            {k: entry[k] for k in ("column", "reason", "value") if k in entry}
        )
    report = IngestReport(batch_id=outcome.batch_id, total=len(records))
    for index in range(len(records)):
        line = index + 1
        if line in outcome.rejected_lines:
            report.rejected += 1
            report.results.append({"index": index, "result": "rejected", "errors": problems.get(line, [])})
            continue
        key = outcome.keys_by_line.get(line)
        result = "created" if key in created else "existing"
        setattr(report, result, getattr(report, result) + 1)
        report.results.append({"index": index, "result": result, "errors": []})
    return report


def _created(outcome) -> set[tuple[str, int]]:
    """The keys (ticket, coupon) of the valid rows this batch wrote; the others were there."""
    keys = list(outcome.keys_by_line.values())
    if outcome.rows_imported in (0, len(keys)):  # the usual cases: a new batch, or one posted again
        return set(keys) if outcome.rows_imported else set()
    created = set()
    tickets = sorted({ticket for ticket, _ in keys})
    for at in range(0, len(tickets), TICKETS_PER_QUERY):  # by the unique key's index
        created.update(
            db.session.execute(
                select(Segment.ticket_number, Segment.coupon_number).where(
                    Segment.ticket_number.in_(tickets[at : at + TICKETS_PER_QUERY]),
                    Segment.import_batch_id == outcome.batch_id,
                )
            ).all()
        )
    return created
