"""The courtesy call list as a PDF: its plain context and its render."""

import tempfile
from datetime import date
from pathlib import Path

from flask import current_app
from flask_babel import gettext as _

from portal import pdf
from portal.labels import LABELS
from portal.reminders.queries import CallRow

PDF_TEMPLATES = Path(__file__).resolve().parents[2] / "templates" / "pdf"


def _label(kind: str, value: str | None) -> str:
    return str(LABELS[kind].get(value, "")) if value else ""


def pdf_context(office_name: str, tiers, activities, rows: list[CallRow], today: date) -> dict:
    """Plain values for templates/pdf/call_list.html (read before the transaction ends)."""
    return {
        "office": office_name,
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


def render(context: dict) -> bytes:
    """The PDF's bytes, rendered in a scratch folder of the data directory (pdf.RenderError
    when the renderer fails)."""
    work = Path(current_app.config["PORTAL_DATA_DIR"]) / "tmp"
    work.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(dir=work) as folder:
        out = Path(folder) / "calls.pdf"
        pdf.render_pdf(PDF_TEMPLATES, "call_list.html", context, out, timeout=60)
        return out.read_bytes()
