"""Scheduled entry points of the quota area; each owns its commit."""

from datetime import datetime

from portal.audit.trail import acting_as
from portal.extensions import db
from portal.quotas import operations


def expire_waitlisted(now: datetime | None = None) -> int:
    """Hourly (the scheduler's "waitlist" job): expire waitlisted requests whose flight has left,
    and commit; how many expired. Running it twice changes nothing the second time."""
    with acting_as("system:expire_waitlisted"):
        try:
            count = operations.expire_waitlisted(now)
            db.session.commit()
        except BaseException:
            db.session.rollback()
            raise
    return count
