"""Changes to in-app notifications; they flush, never commit."""

from sqlalchemy import update

from portal.auth.models import User
from portal.db import utcnow
from portal.extensions import db
from portal.notifications.models import Notification


def mark_read(user: User, notification_id: int | None = None) -> int:
    """Mark one of the user's notifications read (or all of them); how many changed. Another
    user's notification id changes nothing."""
    stmt = (
        update(Notification)
        .where(Notification.user_id == user.id, Notification.read_at.is_(None))
        .values(read_at=utcnow())
    )
    if notification_id is not None:
        stmt = stmt.where(Notification.id == notification_id)
    changed = db.session.execute(stmt).rowcount
    db.session.flush()
    return changed


def notify(user_id: int, kind: str, message: str, link: str | None = None) -> Notification:
    """Tell one user something in the portal (joins the caller's transaction; flushes)."""
    notification = Notification(user_id=user_id, kind=kind, message=message, link=link)
    db.session.add(notification)
    db.session.flush()
    return notification
