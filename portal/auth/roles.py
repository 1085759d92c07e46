"""Groups of roles that several areas share, and the predicates that ask them (DESIGN §5).

A rule only one area has lives in that area's access module; a group written here is written
nowhere else, so `@allow(...)`, the services and the templates name it instead of listing roles.
"""

from portal.auth.models import User

# Change what is in their scope (dossiers, agreements, quotas, opportunities); management reads only.
CHANGERS = ("admin", "branch_head", "account_manager")
# Decide and reassign within their scope: approvals, terminations, handovers.
HEADS = ("admin", "branch_head")
# Look past one portfolio: portfolio figures, the forecast, branch reminders, portfolio reviews.
OVERSEERS = ("admin", "management", "branch_head")
# See every branch (and choose one); the others see their own scope.
HEAD_OFFICE = ("admin", "management")


def oversees(user: User) -> bool:
    """Whether the user looks past one portfolio (admins, management, branch heads)."""
    return user.role in OVERSEERS


def sees_every_branch(user: User) -> bool:
    """Whether the user sees (and chooses among) every branch: admins and management."""
    return user.role in HEAD_OFFICE
