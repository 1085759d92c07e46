"""Task entry point of webhook deliveries: post what is due, row by row.

Each delivery is claimed with a conditional UPDATE and committed before the HTTP call, and the
outcome is written in another short transaction, so no transaction is open while a receiver is
called and two senders never post the same delivery.
"""

import logging
from datetime import datetime

from portal.api import webhooks
from portal.api.models import WebhookDelivery
from portal.db import utcnow
from portal.extensions import db
from portal.tasks.outboxes import send_due
from portal.tasks.runs import RunContext, task

log = logging.getLogger(__name__)


def deliver_one(delivery_id: int, holder: str) -> str:
    """Post one claimed delivery (claimed and committed); "delivered", "failed"
    (retried later) or "gave_up" (after WEBHOOK_MAX_ATTEMPTS)."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    attempts = delivery.attempts + 1
    url, body, headers = webhooks.delivery_request(delivery)
    db.session.commit()  # no transaction is open while the receiver is called
    status, error = webhooks.post(url, body, headers)
    if error is not None:
        log.warning("webhook delivery %s to %s failed (attempt %s): %s", delivery_id, url, attempts, error)
    outcome = webhooks.record_attempt(delivery_id, holder, attempts, status, error)
    db.session.commit()
    return outcome


def deliver_pending(now: datetime | None = None, limit: int = 200) -> dict:
    """Send the due deliveries, each claimed first; commits per delivery."""
    counts = {"delivered": 0, "failed": 0, "gave_up": 0}
    sent = send_due(
        WebhookDelivery, WebhookDelivery.delivered_at, deliver_one, now=now or utcnow(), limit=limit
    )
    return counts | sent


@task("webhooks.deliver")
def deliver(ctx: RunContext) -> dict:
    """Deliver the queued webhook events that are due."""
    return deliver_pending()
