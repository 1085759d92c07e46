"""Which companies a user sees in full, sees by name only, and may change (DESIGN §5)."""

from sqlalchemy import ColumnElement, false, select, true

from portal.auth.models import User
from portal.auth.roles import CHANGERS, sees_every_branch
from portal.companies.models import Company
from portal.org.models import SalesOffice


def _branch_offices(user: User):
    return select(SalesOffice.id).where(SalesOffice.branch_id == user.branch_id)


def full_view_condition(user: User) -> ColumnElement[bool]:
    """SQL condition for the companies the user sees in full."""
    if sees_every_branch(user):
        return true()
    if user.role == "branch_head":
        return Company.office_id.in_(_branch_offices(user))
    if user.role == "account_manager":
        return Company.manager_id == user.id
    if user.role == "booker":
        return Company.id == user.company_id
    return false()


def listed_condition(user: User) -> ColumnElement[bool]:
    """SQL condition for the companies the staff list shows (managers see every name)."""
    if lists_others_by_name(user):
        return true()
    if user.role == "booker":
        return false()  # bookers never reach the staff list
    return full_view_condition(user)


def has_portfolio(user: User) -> bool:
    """Whether the user has companies of their own (an account manager's portfolio), which
    their company list opens on."""
    return user.role == "account_manager"


def portfolio_condition(user: User) -> ColumnElement[bool]:
    """SQL condition for the user's own portfolio (the companies they manage)."""
    return Company.manager_id == user.id


def lists_others_by_name(user: User) -> bool:
    """Whether the staff list shows the user companies outside their full view (by name and
    owner only): filters and sorts on what those rows hide must pass them over."""
    return user.role == "account_manager"


def sees_in_full(user: User, company: Company) -> bool:
    """Whether the user may read the whole dossier of the company."""
    if sees_every_branch(user):
        return True
    if user.role == "branch_head":
        return company.office.branch_id == user.branch_id
    if user.role == "account_manager":
        return company.manager_id == user.id
    if user.role == "booker":
        return company.id == user.company_id
    return False


def may_change(user: User, company: Company) -> bool:
    """Whether the user may change the company's dossier (management only reads)."""
    return user.role in CHANGERS and sees_in_full(user, company)
