"""A company's travel history and monthly statement: the flown segments, their totals, and the
statement as CSV (UTF-8 with a BOM, so Excel reads the Chinese) and as PDF (portal/pdf.py)."""

import csv
import io
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import date, timedelta
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import Select, func, select

from portal import pdf
from portal.agreements.models import CABINS, Agreement
from portal.companies.models import Company
from portal.db import grouped, in_month, utcnow, where_given
from portal.extensions import db
from portal.i18n import current_language
from portal.labels import label
from portal.quotas.models import REQUEST_STATUSES, PriorityRequest
from portal.quotas.queries import month_text, next_month
from portal.rendering import prepared, slots
from portal.segments.models import Segment
from portal.timeutil import utc_to_local

TEMPLATES_DIR = Path(__file__).resolve().parents[2] / "templates" / "pdf"
STATEMENT_TEMPLATE = "statement.html"
RENDER_TIMEOUT = 60.0
SLOT_STALE_AFTER = timedelta(seconds=2 * RENDER_TIMEOUT + 30)  # its render was killed long ago


@dataclass
class HistoryFilter:
    """The history page's filters (each optional)."""

    month: date | None = None
    origin: str | None = None
    destination: str | None = None
    cabin: str | None = None


def history(company_id: int, filters: HistoryFilter) -> Select:
    """The company's flown segments, newest first, filtered."""
    stmt = select(Segment).where(Segment.company_id == company_id)
    if filters.month is not None:
        stmt = stmt.where(in_month(Segment.flight_date, filters.month))
    stmt = where_given(
        stmt,
        (Segment.origin, filters.origin),
        (Segment.destination, filters.destination),
        (Segment.cabin, filters.cabin),
    )
    return stmt.order_by(Segment.flight_date.desc(), Segment.id.desc())


def history_months(company_id: int, limit: int = 36) -> list[date]:
    """The months the company flew in, newest first (for the month filter)."""
    first, last = db.session.execute(
        select(func.min(Segment.flight_date), func.max(Segment.flight_date)).where(
            Segment.company_id == company_id
        )
    ).one()
    if first is None:
        return []
    months, month = [], last.replace(day=1)
    while month >= first.replace(day=1) and len(months) < limit:
        months.append(month)
        month = previous_month(month)
    return months


def previous_month(month: date) -> date:
    """The first day of the month before `month`'s."""
    return date(month.year - (month.month == 1), (month.month - 2) % 12 + 1, 1)


def statement_data(company: Company, month: date) -> dict:
    """Everything the statement shows, as plain data (the PDF renderer pickles it)."""
    end = next_month(month)
    segments = db.session.scalars(
        select(Segment)
        .where(Segment.company_id == company.id, Segment.flight_date >= month, Segment.flight_date < end)
        .order_by(Segment.flight_date, Segment.flight_number, Segment.id)
    ).all()
    agreement = db.session.scalar(
        select(Agreement)
        .where(
            Agreement.company_id == company.id,
            Agreement.status.in_(("active", "expired", "terminated")),
            Agreement.valid_from < end,
            Agreement.valid_to >= month,
        )
        .order_by(Agreement.valid_from.desc())
        .limit(1)
    )
    by_cabin = {cabin: {"segments": 0, "revenue_fen": 0, "distance_km": 0} for cabin in CABINS}
    rows = []
    for s in segments:
        rows.append(
            {
                "date": s.flight_date,
                "flight": s.flight_number,
                "origin": s.origin,
                "destination": s.destination,
                "cabin": s.cabin,
                "fare_class": s.fare_class,
                "traveller": s.traveller_name,
                "ticket": f"{s.ticket_number}/{s.coupon_number}",
                "distance_km": s.distance_km,
                "revenue_fen": s.net_revenue_fen,
            }
        )
        totals = by_cabin[s.cabin]
        totals["segments"] += 1
        totals["revenue_fen"] += s.net_revenue_fen
        totals["distance_km"] += s.distance_km
    request_counts = grouped(
        db.session,
        PriorityRequest.status,
        func.count(PriorityRequest.id),
        PriorityRequest.company_id == company.id,
        PriorityRequest.flight_date >= month,
        PriorityRequest.flight_date < end,
    )
    return {
        "company": {"id": company.id, "name_zh": company.name_zh, "name_en": company.name_en},
        "agreement_number": agreement.number if agreement else None,
        "month": month,
        "month_text": month_text(month),
        "rows": rows,
        "by_cabin": [
            {"cabin": cabin, "cabin_label": label(cabin, "cabin"), **by_cabin[cabin]}
            for cabin in CABINS
            if by_cabin[cabin]["segments"]
        ],
        "total": {
            "segments": len(rows),
            "revenue_fen": sum(r["revenue_fen"] for r in rows),
            "distance_km": sum(r["distance_km"] for r in rows),
        },
        "requests": [
            {
                "status": status,
                "status_label": label(status, "request_status"),
                "count": request_counts[status],
            }
            for status in REQUEST_STATUSES
            if request_counts.get(status)
        ],
        "generated_at": utc_to_local(utcnow()).replace(second=0, microsecond=0),
    }


def _yuan(fen: int) -> str:
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"


def statement_csv(data: dict) -> bytes:
    """The statement as CSV: UTF-8 with a byte-order mark, a header row, one row per segment,
    and a total row; money in yuan with two decimals."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(
        [
            _("Date"),
            _("Flight"),
            _("From"),
            _("To"),
            _("Cabin"),
            _("Fare class"),
            _("Traveller"),
            _("Ticket/coupon"),
            _("Distance (km)"),
            _("Net revenue (CNY)"),
        ]
    )
    for r in data["rows"]:
        writer.writerow(
            [
                r["date"].isoformat(),
                r["flight"],
                r["origin"],
                r["destination"],
                r["cabin"],
                r["fare_class"],
                _csv_text(r["traveller"]),
                r["ticket"],
                r["distance_km"],
                _yuan(r["revenue_fen"]),
            ]
        )
    total = data["total"]
    writer.writerow(
        [
            _("Total"),
            _("%(n)s segments", n=total["segments"]),
            "",
            "",
            "",
            "",
            "",
            "",
            total["distance_km"],
            _yuan(total["revenue_fen"]),
        ]
    )
    return ("\ufeff" + out.getvalue()).encode("utf-8")


def _csv_text(value: str) -> str:
    """Text that a spreadsheet will not run as a formula (CSV injection)."""
    if value and value[0] in "=+-@\t\r":
        return "'" + value
    return value


def pdf_labels() -> dict:
    """The statement's wording in the user's language (the sandboxed template has no gettext)."""
    return {
        "brand": _("Key Account Portal"),
        "title": _("Monthly statement"),
        "period": _("Period"),
        "company": _("Company"),
        "agreement": _("Agreement"),
        "none": _("None"),
        "generated": _("Generated"),
        "summary": _("Summary"),
        "cabin": _("Cabin"),
        "segments": _("Segments"),
        "distance": _("Distance (km)"),
        "revenue": _("Net revenue (CNY)"),
        "total": _("Total"),
        "requests": _("Priority requests for flights this month"),
        "status": _("Status"),
        "count": _("Count"),
        "detail": _("Flown segments"),
        "date": _("Date"),
        "flight": _("Flight"),
        "route": _("Route"),
        "fare_class": _("Class"),
        "traveller": _("Traveller"),
        "no_segments": _("No flown segments in this month."),
        "footer": _("Net revenue after the agreement's discounts, taxes and surcharges excluded."),
    }


def render_statement_pdf(data: dict, out_path: Path, *, timeout: float = RENDER_TIMEOUT) -> pdf.RenderResult:
    """Render the statement PDF to `out_path` (no database work: call it with no transaction
    open). Raises portal.pdf.RenderError."""
    context = dict(data, labels=pdf_labels())
    return pdf.render_pdf(TEMPLATES_DIR, STATEMENT_TEMPLATE, context, out_path, timeout=timeout)


def pdf_file(company: Company, month: date) -> tuple[Path, dict]:
    """The prepared file (portal/rendering/prepared.py) that shows the statement as it is now,
    in the current language, and the args of the `statements.render` task that makes it."""
    data = statement_data(company, month)
    locale = current_language() or "zh"
    shown = {key: value for key, value in data.items() if key != "generated_at"}  # same data, same file
    path = prepared.file_for("statements", company.id, {**shown, "locale": locale})
    return path, {"company_id": company.id, "month": month_text(month), "locale": locale}


def refuse_when_busy(company_id: int) -> None:
    """Raise SlotsBusy while every statement render slot of the company is taken (a new render
    would only wait)."""
    if slots.all_held(_pool(company_id), current_app.config["STATEMENTS_MAX_PER_COMPANY"], SLOT_STALE_AFTER):
        raise slots.SlotsBusy(_pool(company_id))


def _pool(company_id: int) -> str:
    return f"statement:company:{company_id}"


def statement_slot(company_id: int) -> AbstractContextManager[None]:
    """Admit a statement render for the company for the length of a `with` block, or refuse it
    (portal.rendering.slots.SlotsBusy) while STATEMENTS_MAX_PER_COMPANY of the company's
    statements are rendering in any worker. Enter it with no transaction open."""
    return slots.render_slot(
        _pool(company_id),
        current_app.config["STATEMENTS_MAX_PER_COMPANY"],
        stale_after=SLOT_STALE_AFTER,
    )
