"""Task entry point of webhook deliveries: post what is due (rows claimed one by one, retried
with back-off by the outbox itself)."""

from portal.api.webhooks import deliver_pending
from portal.tasks.runs import RunContext, task


@task("webhooks.deliver")
def deliver(ctx: RunContext) -> dict:
    """Deliver the queued webhook events that are due."""
    return deliver_pending()
