"""Each manager's daily digest of revisits due today or overdue, an .ics file per revisit,
queued in the mail outbox (flushes; the digest job commits)."""

from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.mail.operations import enqueue_rows, mail_row
from portal.reminders.models import Reminder
from portal.reminders.operations import PENDING, REVISIT_KINDS, effective_due


def reminder_ics(reminder: Reminder, company_name: str, due: date) -> str:
    """An iCalendar file with one all-day VEVENT for a reminder (UID stable per reminder)."""
    from icalendar import Calendar, Event

    cal = Calendar()
    cal.add("prodid", "-//Key-account portal//Revisits//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    event = Event()
    domain = current_app.config.get("MAIL_ICS_DOMAIN", "portal.demo.example")
    event.add("uid", f"reminder-{reminder.id}@{domain}")
    event.add("dtstamp", datetime.now().astimezone())
    event.add("dtstart", due)
    event.add("dtend", due + timedelta(days=1))
    event.add("summary", reminder.title or company_name)
    event.add("description", company_name)
    cal.add_component(event)
    return cal.to_ical().decode("utf-8")


def enqueue_digests(today: date) -> int:
    """One mail per enabled manager with an email and pending revisits due today or overdue, an
    .ics per revisit (one digest per manager and day: the dedupe key); how many were queued."""
    reminders = db.session.scalars(
        select(Reminder)
        .join(User, User.id == Reminder.assignee_id)
        .where(
            Reminder.kind.in_(REVISIT_KINDS),
            Reminder.status.in_(PENDING),
            User.is_enabled.is_(True),
            User.email.is_not(None),
        )
        .options(joinedload(Reminder.company), joinedload(Reminder.assignee))
        .order_by(Reminder.assignee_id, Reminder.due_on, Reminder.id)
    ).all()
    by_user: dict[int, list[Reminder]] = {}
    for reminder in reminders:
        if effective_due(reminder) <= today:
            by_user.setdefault(reminder.assignee_id, []).append(reminder)
    mails = [_digest(items[0].assignee, items, today) for items in by_user.values()]
    now = utcnow()
    for items in by_user.values():
        for reminder in items:
            reminder.notified_at = now  # written by the flush, in one statement
    return enqueue_rows(mails)


def _digest(user: User, items: list[Reminder], today: date) -> dict | None:
    """The digest mail of one manager's due revisits."""
    lines, attachments = [], []
    for r in items:
        due = effective_due(r)
        overdue = (today - due).days
        state = _("overdue by %(days)s days", days=overdue) if overdue else _("due today")
        lines.append(f"- {r.company.name_zh}: {r.title} ({due.isoformat()}, {state})")
        attachments.append(
            {
                "filename": f"revisit-{r.id}.ics",
                "content_type": "text/calendar",
                "content": reminder_ics(r, r.company.name_zh, due),
            }
        )
    body = "\n".join([_("Revisits due today or overdue (%(date)s):", date=today.isoformat()), "", *lines, ""])
    return mail_row(
        f"digest:{user.id}:{today.isoformat()}",
        kind="digest",
        user=user,
        subject=_("Your revisits for %(date)s: %(count)s due", date=today.isoformat(), count=len(items)),
        body=body,
        attachments=attachments,
    )
