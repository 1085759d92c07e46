"""Read helpers for user administration."""

from sqlalchemy import Select, or_, select
from sqlalchemy.orm import joinedload

from portal.auth.models import User
from portal.companies.queries import like_escape


def user_list(q: str = "", role: str = "") -> Select:
    """Users, searched by name or email, newest first within role order."""
    stmt = select(User).options(joinedload(User.office), joinedload(User.company))
    if q.strip():
        fragment = f"%{like_escape(q.strip()[:100])}%"
        stmt = stmt.where(or_(User.email.ilike(fragment, escape="\\"), User.name.like(fragment, escape="\\")))
    if role:
        stmt = stmt.where(User.role == role)
    return stmt.order_by(User.role, User.email)
