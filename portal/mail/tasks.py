"""Task entry point of the mail outbox: send what is due (rows claimed one by one, retried with
back-off by the outbox itself)."""

from portal.mail.operations import send_pending
from portal.tasks.runs import RunContext, task


@task("mail.send")
def send_outbox(ctx: RunContext) -> dict:
    """Send the queued mails that are due."""
    return send_pending()
