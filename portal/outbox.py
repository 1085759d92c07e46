"""What the outboxes share (mail, webhook deliveries): rows due for sending, claimed one at a
time with a conditional UPDATE, so two senders never send the same row; failures wait longer
each time. These steps flush; the senders (portal/mail/tasks.py, portal/api/tasks.py) commit
each claim before the send, so no transaction is open while a server is called.

An outbox model has `next_attempt_at`, `claimed_at`, `claimed_by` and `failed_at`, and a
column that is set once the row is sent (`sent_at`, `delivered_at`)."""

import os
import socket
from datetime import datetime, timedelta

from sqlalchemy import or_, select, update

from portal.extensions import db

CLAIM_STALE = timedelta(minutes=10)  # a sender that died mid-send frees its claim after this


def holder() -> str:
    """This process, as recorded on the rows it claims."""
    return f"{socket.gethostname()}:{os.getpid()}"[:100]


def backoff(attempts: int) -> timedelta:
    """Wait before the next attempt: 1, 2, 4 ... minutes, at most 60."""
    return timedelta(minutes=min(60, 2 ** max(0, attempts - 1)))


def _open(model, done, now: datetime) -> list:
    return [
        done.is_(None),
        model.failed_at.is_(None),
        or_(model.claimed_at.is_(None), model.claimed_at < now - CLAIM_STALE),
    ]


def due_ids(model, done, now: datetime, limit: int) -> list[int]:
    """The ids of rows due to be sent, oldest first."""
    return list(
        db.session.scalars(
            select(model.id)
            .where(*_open(model, done, now), model.next_attempt_at <= now)
            .order_by(model.id)
            .limit(limit)
        )
    )


def claim(model, done, row_id: int, by: str, now: datetime) -> bool:
    """Claim one row for sending (the caller commits the claim before the send); False when
    another sender has it or it was sent or given up meanwhile."""
    claimed = db.session.execute(
        update(model)
        .where(model.id == row_id, *_open(model, done, now))
        .values(claimed_at=now, claimed_by=by)
        .execution_options(synchronize_session=False)
    ).rowcount
    return claimed == 1
