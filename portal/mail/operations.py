"""The mail outbox: queue mails, build and send one over SMTP, record the outcome.

Everything here flushes and joins the caller's transaction. The sender that claims the due
rows one by one and commits around each SMTP conversation is the task in portal/mail/tasks.py.
"""

import logging
import smtplib
from datetime import datetime
from email.message import EmailMessage
from pathlib import Path

from flask import current_app
from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import select, update

from portal import outbox
from portal.auth.models import User
from portal.db import insert_missing, utcnow
from portal.extensions import db
from portal.mail.models import OutboundEmail
from portal.notifications.models import Notification

log = logging.getLogger(__name__)


def mail_row(
    dedupe_key: str,
    *,
    kind: str,
    user: User | None,
    subject: str,
    body: str,
    to_address: str | None = None,
    attachments: list[dict] | None = None,
) -> dict | None:
    """The outbox row of one mail (None when it has no address to go to)."""
    to_address = to_address or (user.email if user else None)
    if not to_address:
        return None
    return {
        "dedupe_key": dedupe_key[:120],
        "kind": kind,
        "user_id": user.id if user else None,
        "to_address": to_address,
        "subject": subject[:300],
        "body_text": body,
        "attachments": attachments,
    }


def enqueue_rows(rows: list[dict | None]) -> int:
    """Queue mails made by `mail_row`, skipping those whose dedupe key exists (and the Nones);
    how many were queued (one INSERT for many mails)."""
    now = utcnow()
    return insert_missing(
        db.session,
        OutboundEmail,
        [dict(row, created_at=now, attempts=0, next_attempt_at=now) for row in rows if row is not None],
        ["dedupe_key"],
    )


def enqueue(dedupe_key: str, **fields) -> int:
    """Queue one mail (`fields` as for `mail_row`) unless one with `dedupe_key` exists; 1 when
    queued, 0 when it was there."""
    return enqueue_rows([mail_row(dedupe_key, **fields)])


# --- what is mailed -------------------------------------------------------------------------


def enqueue_notifications(now: datetime | None = None) -> int:
    """Queue a mail for every in-app notification not yet mailed whose user has an email; the
    notifications are claimed (emailed_at set where it was NULL) so each is queued once."""
    from portal.labels import LABELS

    now = now or utcnow()
    rows = db.session.execute(
        select(Notification.id, Notification.kind, Notification.message, Notification.link, User)
        .join(User, User.id == Notification.user_id)
        .where(Notification.emailed_at.is_(None), User.email.is_not(None), User.is_enabled.is_(True))
        .order_by(Notification.id)
    ).all()
    if not rows:
        return 0
    claimed = set(
        db.session.scalars(
            update(Notification)
            .where(Notification.id.in_([row[0] for row in rows]), Notification.emailed_at.is_(None))
            .values(emailed_at=now)
            .returning(Notification.id)
            .execution_options(synchronize_session=False)
        )
    )
    kind_labels = LABELS.get("notification_kind", {})
    mails = []
    with force_locale("zh"):
        for notification_id, kind, message, link, user in rows:
            if notification_id not in claimed:
                continue  # another sender queued it meanwhile
            label = kind_labels.get(kind)
            subject = _("Portal notice: %(kind)s", kind=str(label) if label else kind.replace("_", " "))
            body = message + (f"\n\n{link}" if link else "")
            mails.append(
                mail_row(
                    f"notification:{notification_id}",
                    kind="notification",
                    user=user,
                    subject=subject,
                    body=body,
                )
            )
    return enqueue_rows(mails)


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


def smtp_send(message: EmailMessage) -> None:
    """Send one message to the configured SMTP server (call with no transaction open)."""
    config = current_app.config
    with smtplib.SMTP(
        config["MAIL_SERVER"], config["MAIL_PORT"], timeout=config.get("MAIL_TIMEOUT", 30)
    ) as smtp:
        if config.get("MAIL_USE_TLS"):
            smtp.starttls()
        if config.get("MAIL_USERNAME"):
            smtp.login(config["MAIL_USERNAME"], config.get("MAIL_PASSWORD") or "")
        smtp.send_message(message)


def record_failure(mail_id: int, holder: str, attempts: int, error: str) -> bool:
    """Note a failed attempt on a claimed mail and free it for a later retry, or give it up
    after MAIL_MAX_ATTEMPTS (kept with its error); flushes. Whether it was given up."""
    gave_up = attempts >= int(current_app.config.get("MAIL_MAX_ATTEMPTS", 8))
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
    return gave_up


def record_sent(mail_id: int, attempts: int) -> None:
    """Mark a mail sent; flushes."""
    db.session.execute(
        update(OutboundEmail)
        .where(OutboundEmail.id == mail_id)
        .values(attempts=attempts, sent_at=utcnow(), last_error=None, claimed_at=None, claimed_by=None)
        .execution_options(synchronize_session=False)
    )
