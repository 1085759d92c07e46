"""The sending loop the outbox tasks share (mail, webhook deliveries): each due row is claimed
(committed at once) and handed to the outbox's sender, which ends its read transaction before
it calls a server and commits the outcome after it, so no transaction is open during the call
and two senders never send the same row (the rows and claims are portal/outbox.py)."""

from collections.abc import Callable
from datetime import datetime

from portal import outbox
from portal.extensions import db


def send_due(model, done, send_one: Callable[[int, str], str], *, now: datetime, limit: int) -> dict:
    """Claim the due rows of `model` one by one and send each with `send_one(row_id, holder)`,
    which commits and names its outcome (an error it raises ends the loop; the row stays
    claimed until the claim is stale); how many rows had each outcome ("skipped": another
    sender had the row)."""
    holder = outbox.holder()
    ids = outbox.due_ids(model, done, now, limit)
    db.session.commit()
    counts = {"skipped": 0}
    for row_id in ids:
        claimed = outbox.claim(model, done, row_id, holder, now)
        db.session.commit()  # the claim holds even if the send fails before it ends
        if not claimed:
            counts["skipped"] += 1
            continue
        outcome = send_one(row_id, holder)
        counts[outcome] = counts.get(outcome, 0) + 1
    return counts
