"""Who sees which reviews (DESIGN §5): account reviews of companies seen in full; portfolio
reviews: management and admin all, a branch head its branch's; account managers none. An
account review with subsidiaries holds figures of companies its author saw in full, which
others who see the parent may not: only its author, management and admins see it."""

from sqlalchemy import ColumnElement, and_, false, or_, select, true

from portal.auth.models import STAFF_ROLES, User
from portal.auth.roles import sees_every_branch
from portal.companies.access import full_view_condition
from portal.companies.models import Company
from portal.reviews.models import Review


def _portfolio_condition(user: User) -> ColumnElement[bool]:
    if sees_every_branch(user):
        return true()
    if user.role == "branch_head":
        return Review.branch_id == user.branch_id
    return false()


def visible_condition(user: User) -> ColumnElement[bool]:
    """SQL condition for the reviews the user may list and download."""
    if user.role not in STAFF_ROLES:
        return false()
    seen = select(Company.id).where(full_view_condition(user))
    own_group_reviews = (
        true() if sees_every_branch(user) else or_(~Review.include_subsidiaries, Review.author_id == user.id)
    )
    return or_(
        and_(Review.kind == "account", Review.company_id.in_(seen), own_group_reviews),
        and_(Review.kind == "portfolio", _portfolio_condition(user)),
    )


def may_generate_portfolio(user: User, branch_id: int | None) -> bool:
    """Management and admin for any branch or all; a branch head for its own branch only."""
    if sees_every_branch(user):
        return True
    return user.role == "branch_head" and branch_id is not None and branch_id == user.branch_id
