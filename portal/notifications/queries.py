"""Read helpers for in-app notifications."""

from flask import g
from sqlalchemy import ScalarSelect, Select, bindparam, func, select

from portal.extensions import db
from portal.notifications.models import Notification


def unread_of(user_id) -> ScalarSelect:
    """The count of a user's unread notifications as a scalar subquery (`user_id` a value or
    a column), so the signed-in user is loaded with the navbar's count in one statement."""
    return (
        select(func.count(Notification.id))
        .where(Notification.user_id == user_id, Notification.read_at.is_(None))
        .scalar_subquery()
    )


# Built once, with a bound parameter: every page's navbar asks.
_UNREAD = select(unread_of(bindparam("user_id")))


def remember_unread(count: int) -> None:
    """Keep the count loaded with the user for the rest of the request."""
    g._unread_notifications = count


def unread_count(user_id: int) -> int:
    """How many of the user's notifications are unread (once per request: the navbar asks)."""
    cached = g.get("_unread_notifications")
    if cached is None:
        cached = db.session.scalar(_UNREAD, {"user_id": user_id})
        remember_unread(cached)
    return cached


def notification_list(user_id: int) -> Select:
    """The user's notifications, unread first, newest first."""
    return (
        select(Notification)
        .where(Notification.user_id == user_id)
        .order_by(Notification.read_at.is_not(None), Notification.created_at.desc(), Notification.id.desc())
    )
