"""Who reads which part of the audit trail."""

from portal.auth.models import User
from portal.auth.roles import HEAD_OFFICE

TRAIL_READERS = HEAD_OFFICE


def may_search_trail(user: User) -> bool:
    """The whole trail (every company, every account): admins, and management to read."""
    return user.role in TRAIL_READERS


def may_see_ip(user: User) -> bool:
    """Where a change came from (the address) is for administrators."""
    return user.role == "admin"
