"""Queue mails in the outbox and send them over SMTP, claimed row by row, with retries.

Enqueuing flushes (it joins the caller's transaction). Sending owns its transactions: a row is
claimed with a conditional UPDATE and committed before SMTP is spoken, and the outcome is written
in another short transaction, so no transaction is open while talking to the mail server.
"""

import logging
import smtplib
from datetime import date, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite

from portal import outbox
from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.mail.models import OutboundEmail
from portal.notifications.models import Notification

log = logging.getLogger(__name__)


def enqueue(
    dedupe_key: str,
    *,
    kind: str,
    user: User | None,
    subject: str,
    body: str,
    to_address: str | None = None,
    attachments: list[dict] | None = None,
) -> int:
    """Queue one mail unless one with `dedupe_key` exists; 1 when queued, 0 when it was there."""
    to_address = to_address or (user.email if user else None)
    if not to_address:
        return 0
    dialect = db.session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    now = utcnow()
    stmt = (
        insert(OutboundEmail)
        .values(
            dedupe_key=dedupe_key[:120],
            kind=kind,
            user_id=user.id if user else None,
            to_address=to_address,
            subject=subject[:300],
            body_text=body,
            attachments=attachments,
            created_at=now,
            attempts=0,
            next_attempt_at=now,
        )
        .on_conflict_do_nothing(index_elements=["dedupe_key"])
        .returning(OutboundEmail.id)
    )
    return len(db.session.execute(stmt).all())


# --- what is mailed -------------------------------------------------------------------------


def reminder_ics(reminder, company_name: str, due: date) -> str:
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
    """One mail per manager with pending revisits due today or overdue, an .ics per revisit
    (one digest per manager and day: the dedupe key)."""
    from portal.reminders import operations as rules
    from portal.reminders.models import Reminder

    reminders = db.session.scalars(
        select(Reminder)
        .where(
            Reminder.kind.in_(rules.REVISIT_KINDS),
            Reminder.status.in_(rules.PENDING),
            Reminder.assignee_id.is_not(None),
        )
        .order_by(Reminder.assignee_id, Reminder.due_on, Reminder.id)
    ).all()
    by_user: dict[int, list] = {}
    for reminder in reminders:
        if rules.effective_due(reminder) <= today:
            by_user.setdefault(reminder.assignee_id, []).append(reminder)
    queued = 0
    now = utcnow()
    for user_id, items in by_user.items():
        user = db.session.get(User, user_id)
        if user is None or not user.is_enabled or not user.email:
            continue
        lines, attachments = [], []
        for r in items:
            due = rules.effective_due(r)
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
            r.notified_at = now
        body = "\n".join(
            [_("Revisits due today or overdue (%(date)s):", date=today.isoformat()), "", *lines, ""]
        )
        queued += enqueue(
            f"digest:{user_id}:{today.isoformat()}",
            kind="digest",
            user=user,
            subject=_("Your revisits for %(date)s: %(count)s due", date=today.isoformat(), count=len(items)),
            body=body,
            attachments=attachments,
        )
    db.session.flush()
    return queued


def enqueue_notifications(now: datetime | None = None) -> int:
    """Queue a mail for every in-app notification not yet mailed whose user has an email; each
    notification is claimed (emailed_at set where it was NULL) so it is queued once."""
    now = now or utcnow()
    rows = db.session.execute(
        select(Notification.id, Notification.kind, Notification.message, Notification.link, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None), User.is_enabled.is_(True))
        .order_by(Notification.id)
    ).all()
    queued = 0
    for notification_id, kind, message, link, user in rows:
        claimed = db.session.execute(
            update(Notification)
            .where(Notification.id == notification_id, Notification.emailed_at.is_(None))
            .values(emailed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if claimed != 1:
            continue
        with force_locale("zh"):
            from portal.labels import LABELS

            label = LABELS.get("notification_kind", {}).get(kind)
            subject = _("Portal notice: %(kind)s", kind=str(label) if label else kind.replace("_", " "))
        body = message + (f"\n\n{link}" if link else "")
        queued += enqueue(
            f"notification:{notification_id}", kind="notification", user=user, subject=subject, body=body
        )
    db.session.flush()
    return queued


# --- sending --------------------------------------------------------------------------------


def data_file(relative: str) -> Path:
    """A file under PORTAL_DATA_DIR named by a stored relative path (never outside it)."""
    root = Path(current_app.config["PORTAL_DATA_DIR"]).resolve()
    path = (root / relative).resolve()
    if not path.is_relative_to(root):
        raise ValueError(f"{relative!r} is outside the data folder")
    return path


def build_message(row: OutboundEmail) -> EmailMessage:
    """The MIME message of an outbox row."""
    msg = EmailMessage()
    msg["From"] = current_app.config["MAIL_DEFAULT_SENDER"]
    msg["To"] = row.to_address
    msg["Subject"] = row.subject
    msg["Message-ID"] = (
        f"<outbound-{row.id}@{current_app.config.get('MAIL_ICS_DOMAIN', 'portal.demo.example')}>"
    )
    msg.set_content(row.body_text)
    for attachment in row.attachments or []:
        maintype, subtype = attachment["content_type"].split("/", 1)
        if maintype == "text":  # text parts carry their charset (the .ics holds Chinese names)
            msg.add_attachment(
                attachment["content"], subtype=subtype, charset="utf-8", filename=attachment["filename"]
            )
        elif "path" in attachment:  # a generated file under PORTAL_DATA_DIR (a notice's PDF)
            msg.add_attachment(
                data_file(attachment["path"]).read_bytes(),
                maintype=maintype,
                subtype=subtype,
                filename=attachment["filename"],
            )
        else:
            msg.add_attachment(
                attachment["content"].encode("utf-8"),
                maintype=maintype,
                subtype=subtype,
                filename=attachment["filename"],
            )
    return msg


def _smtp_send(message: EmailMessage) -> None:
    config = current_app.config
    with smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 30)
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def send_pending(now: datetime | None = None, limit: int = 200) -> dict:
    """Send the queued mails that are due, each claimed first; failures are kept with the error
    and retried later (given up after MAIL_MAX_ATTEMPTS). Commits per mail."""
    now = now or utcnow()
    holder = outbox.holder()
    max_attempts = int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
    ids = outbox.due_ids(OutboundEmail, OutboundEmail.sent_at, now, limit)
    counts = {"sent": 0, "failed": 0, "gave_up": 0, "skipped": 0}
    for mail_id in ids:
        if not outbox.claim(OutboundEmail, OutboundEmail.sent_at, mail_id, holder, now):
            counts["skipped"] += 1
            continue
        row = db.session.get(OutboundEmail, mail_id)
        message = build_message(row)
        attempts, user_id, kind = row.attempts + 1, row.user_id, row.kind
        db.session.commit()  # no transaction is open while SMTP is spoken
        try:
            _smtp_send(message)
        except (OSError, smtplib.SMTPException) as e:
            error = f"{type(e).__name__}: {e}"[:2000]
            gave_up = attempts >= max_attempts
            log.warning("mail %s to user %s failed (attempt %s): %s", mail_id, user_id, attempts, error)
            db.session.execute(
                update(OutboundEmail)
                .where(OutboundEmail.id == mail_id, OutboundEmail.claimed_by == holder)
                .values(
                    attempts=attempts,
                    last_error=error,
                    claimed_at=None,
                    claimed_by=None,
                    next_attempt_at=utcnow() + outbox.backoff(attempts),
                    failed_at=utcnow() if gave_up else None,
                )
                .execution_options(synchronize_session=False)
            )
            db.session.commit()
            counts["gave_up" if gave_up else "failed"] += 1
            continue
        db.session.execute(
            update(OutboundEmail)
            .where(OutboundEmail.id == mail_id)
            .values(attempts=attempts, sent_at=utcnow(), last_error=None, claimed_at=None, claimed_by=None)
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
        log.info("mail %s (%s) sent", mail_id, kind)
        counts["sent"] += 1
    return counts
