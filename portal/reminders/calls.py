"""The courtesy call list of an office as PDF: its data as plain values, the render, and the
prepared file a worker renders for the page (portal/rendering/prepared.py)."""

from datetime import date
from pathlib import Path

from flask_babel import gettext as _

from portal import pdf
from portal.i18n import current_language
from portal.labels import LABELS
from portal.org.models import SalesOffice
from portal.reminders import queries
from portal.rendering import prepared

PDF_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "pdf"
RENDER_TIMEOUT = 60.0


def _label(kind: str, value: str | None) -> str:
    return str(LABELS[kind].get(value, "")) if value else ""


def call_list_context(office: SalesOffice, tiers: list[str], activities: list[str], today: date) -> dict:
    """What the PDF shows, in the current language, as plain values."""
    rows = queries.call_list(office.id, tiers, activities)
    return {
        "office": office.name_zh,
        "today": today,
        "filters": ", ".join(
            [_label("tier", t) for t in tiers] + [_label("activity_status", a) for a in activities]
        ),
        "t": {
            "title": _("Courtesy call list"),
            "company": _("Company"),
            "tier": _("Tier"),
            "activity": _("Activity"),
            "manager": _("Account manager"),
            "contact": _("Contact"),
            "phone": _("Phone"),
            "last": _("Last contact"),
            "next": _("Next revisit"),
            "notes": _("Notes"),
            "page": _("Page"),
            "empty": _("No company matches."),
            "filters": _("Filters"),
        },
        "rows": [
            {
                "name": r.name,
                "tier": _label("tier", r.tier),
                "activity": _label("activity_status", r.activity_status),
                "manager": r.manager,
                "contact": r.contact,
                "phone": r.phone,
                "last": r.last_contact,
                "next": r.next_due,
            }
            for r in rows
        ],
    }


def render_call_list(context: dict, out_path: Path) -> pdf.RenderResult:
    """Render the call list PDF (no database work). Raises portal.pdf.RenderError."""
    return pdf.render_pdf(PDF_TEMPLATES, "call_list.html", context, out_path, timeout=RENDER_TIMEOUT)


def pdf_file(office: SalesOffice, tiers: list[str], activities: list[str], today: date) -> tuple[Path, dict]:
    """The prepared file (portal/rendering/prepared.py) that shows the office's call list as it
    is now, in the current language, and the args of the `reminders.call_list` task that makes it."""
    locale = current_language() or "zh"
    context = call_list_context(office, tiers, activities, today)
    path = prepared.file_for("call_lists", office.id, {**context, "locale": locale})
    args = {
        "office_id": office.id,
        "tiers": list(tiers),
        "activities": list(activities),
        "day": today.isoformat(),
        "locale": locale,
    }
    return path, args
