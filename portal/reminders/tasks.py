"""Task entry points of the reminders area: an office's call list PDF."""

from datetime import date

from flask_babel import force_locale

from portal.extensions import db
from portal.org.models import SalesOffice
from portal.reminders import calls
from portal.rendering import prepared
from portal.tasks.runs import RunContext, task


@task("reminders.call_list")
def render_call_list(
    ctx: RunContext, office_id: int, tiers: list, activities: list, day: str, locale: str, path: str
) -> dict:
    """Render the office's call list into `path` unless it is there; no transaction is open
    during the render."""
    out = prepared.target(path)
    if out.exists():
        return {"rendered": False}
    office = db.session.get(SalesOffice, office_id)
    with force_locale(locale), prepared.render_failures():
        context = calls.call_list_context(office, tiers, activities, date.fromisoformat(day))
        db.session.commit()  # nothing to write: ends the read transaction before the render
        prepared.write(out, lambda partial: calls.render_call_list(context, partial))
    return {"rendered": True}
