"""Read helpers for in-app notifications."""

from flask import g
from sqlalchemy import Select, bindparam, func, select

from portal.extensions import db
from portal.notifications.models import Notification

# Built once, with a bound parameter: every page's navbar asks.
_UNREAD = select(func.count(Notification.id)).where(
    Notification.user_id == bindparam("user_id"), Notification.read_at.is_(None)
)


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread (once per request: the navbar asks)."""
    cached = g.get("_unread_notifications")
    if cached is None:
        cached = db.session.scalar(_UNREAD, {"user_id": user_id})
        g._unread_notifications = cached
    return cached


def notification_list(user_id: int) -> Select:
    """The user's notifications, unread first, newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    )
