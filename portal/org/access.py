"""Who may change the organisation."""

from portal.auth.models import User


def may_manage_org(user: User) -> bool:
    """Branches, offices, moves of companies between offices and staff handovers: admins."""
    return user.role == "admin"
