"""Task entry point of the mail outbox: send what is due, row by row.

Each mail is claimed with a conditional UPDATE and committed before SMTP is spoken, and the
outcome is written in another short transaction, so no transaction is open while talking to
the mail server and two senders never send the same mail.
"""

import logging
import smtplib
from datetime import datetime

from portal.db import utcnow
from portal.extensions import db
from portal.mail import operations as mail
from portal.mail.models import OutboundEmail
from portal.tasks.outboxes import send_due
from portal.tasks.runs import RunContext, task

log = logging.getLogger(__name__)


def send_one(mail_id: int, holder: str) -> str:
    """Send one claimed mail (claimed and committed); "sent", "failed" (retried later)
    or "gave_up" (after MAIL_MAX_ATTEMPTS, kept with its error)."""
    row = db.session.get(OutboundEmail, mail_id)
    message = mail.build_message(row)
    attempts, user_id, kind = row.attempts + 1, row.user_id, row.kind
    db.session.commit()  # no transaction is open while SMTP is spoken
    try:
        mail.smtp_send(message)
    except (OSError, smtplib.SMTPException) as e:
        error = f"{type(e).__name__}: {e}"[:2000]
        log.warning("mail %s to user %s failed (attempt %s): %s", mail_id, user_id, attempts, error)
        gave_up = mail.record_failure(mail_id, holder, attempts, error)
        db.session.commit()
        return "gave_up" if gave_up else "failed"
    mail.record_sent(mail_id, attempts)
    db.session.commit()
    log.info("mail %s (%s) sent", mail_id, kind)
    return "sent"


def send_pending(now: datetime | None = None, limit: int = 200) -> dict:
    """Send the queued mails that are due, each claimed first; failures are kept with the error
    and retried later (given up after MAIL_MAX_ATTEMPTS). Commits per mail."""
    counts = {"sent": 0, "failed": 0, "gave_up": 0}
    sent = send_due(OutboundEmail, OutboundEmail.sent_at, send_one, now=now or utcnow(), limit=limit)
    return counts | sent


@task("mail.send")
def send_outbox(ctx: RunContext) -> dict:
    """Send the queued mails that are due."""
    return send_pending()
