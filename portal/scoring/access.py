"""Who manages scoring: the weights, tier shares and limits, and rescoring."""

from portal.auth.models import User
from portal.auth.roles import HEAD_OFFICE

SCORING_MANAGERS = HEAD_OFFICE


def may_manage_scoring(user: User) -> bool:
    """Admins and management configure scoring and run the rescoring (pages tell them how)."""
    return user.role in SCORING_MANAGERS
