"""Searching the whole audit trail, and writing what a search finds as CSV."""

import csv
import io
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from portal.audit.display import audit_line, names_for
from portal.audit.models import AuditEvent
from portal.companies.queries import like_escape
from portal.extensions import db
from portal.imports.report import BOM, safe_cell
from portal.timeutil import local_to_utc, utc_to_local

EXPORT_LIMIT = 50_000  # events in one CSV file; a wider search is narrowed first
EXPORT_CHUNK = 500


@dataclass(frozen=True)
class TrailFilter:
    """What a search of the trail asks for; every part is optional."""

    actor: str = ""
    entity: str = ""
    entity_id: int | None = None
    action: str = ""
    refused_only: bool = False
    date_from: date | None = None  # local dates, both included
    date_to: date | None = None
    batch: str = ""


def search(f: TrailFilter) -> Select:
    """The events matching the filter, newest first."""
    stmt = select(AuditEvent)
    if f.actor.strip():
        stmt = stmt.where(
            AuditEvent.actor_label.ilike(f"%{like_escape(f.actor.strip()[:254])}%", escape="\\")
        )
    if f.entity:
        stmt = stmt.where(AuditEvent.entity == f.entity)
    if f.entity_id is not None:
        stmt = stmt.where(AuditEvent.entity_id == f.entity_id)
    if f.refused_only:
        stmt = stmt.where(AuditEvent.action == "refused")
    elif f.action:
        stmt = stmt.where(AuditEvent.action == f.action)
    if f.date_from is not None:
        stmt = stmt.where(AuditEvent.at >= local_to_utc(datetime.combine(f.date_from, time())))
    if f.date_to is not None:
        end = datetime.combine(f.date_to + timedelta(days=1), time())
        stmt = stmt.where(AuditEvent.at < local_to_utc(end))
    if f.batch:
        stmt = stmt.where(AuditEvent.batch == f.batch)
    return stmt.order_by(AuditEvent.at.desc(), AuditEvent.id.desc())


def count(stmt: Select) -> int:
    """How many events a search finds."""
    return db.session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0


def csv_header(with_ip: bool) -> list[str]:
    """The translated column titles of the export."""
    header = [_("When (local time)"), _("Who")]
    if with_ip:
        header.append(_("Address"))
    return header + [
        _("Action"),
        _("Record"),
        _("Record id"),
        _("Company id"),
        _("Changes"),
        _("Change batch"),
    ]


def _changes_text(line) -> str:
    parts = []
    for c in line.changes:
        old = "" if c.old is None else f"{c.old} → "
        parts.append(f"{c.label}: {old}{'–' if c.new is None else c.new}")
    return "; ".join(parts)


def csv_chunks(stmt: Select, with_ip: bool) -> Iterator[str]:
    """The events as CSV text (UTF-8 with a BOM for Excel), a chunk at a time, at most
    EXPORT_LIMIT of them; ids page the query so memory stays flat however long the file."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    out.write(BOM)
    writer.writerow(csv_header(with_ip))
    yield out.getvalue()
    written = 0
    last: tuple | None = None
    while written < EXPORT_LIMIT:
        page = stmt
        if last is not None:
            at, event_id = last
            page = page.where((AuditEvent.at < at) | ((AuditEvent.at == at) & (AuditEvent.id < event_id)))
        events = db.session.scalars(page.limit(min(EXPORT_CHUNK, EXPORT_LIMIT - written))).all()
        if not events:
            return
        out.seek(0)
        out.truncate()
        names = names_for(events)
        for event in events:
            line = audit_line(event, names)
            row = [utc_to_local(event.at).strftime("%Y-%m-%d %H:%M:%S"), event.actor_label]
            if with_ip:
                row.append(event.ip or "")
            row += [
                line.action,
                line.entity,
                event.entity_id or "",
                event.company_id or "",
                _changes_text(line),
                event.batch or "",
            ]
            writer.writerow([safe_cell(v) for v in row])
        yield out.getvalue()
        written += len(events)
        last = (events[-1].at, events[-1].id)
        for event in events:
            db.session.expunge(event)  # written: let the rows go, memory stays flat
