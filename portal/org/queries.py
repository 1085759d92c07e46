"""Read helpers for the organisation pages."""

from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager, selectinload

from portal.auth.models import User
from portal.companies.models import Company
from portal.db import grouped
from portal.extensions import db
from portal.org.models import Branch, SalesOffice
from portal.org.operations import GONE_COMPANY_STATUSES, Occupancy


@dataclass
class OrgTree:
    """Branches (with their offices) and what each office still holds."""

    branches: list[Branch]
    occupancy: dict[int, Occupancy]

    def of_branch(self, branch: Branch) -> Occupancy:
        found = [self.occupancy.get(o.id, Occupancy(0, 0)) for o in branch.offices]
        return Occupancy(sum(o.staff for o in found), sum(o.companies for o in found))


def org_tree() -> OrgTree:
    """Every branch and office, open ones first, with counts of staff and companies."""
    branches = db.session.scalars(
        select(Branch)
        .options(selectinload(Branch.offices))
        .order_by(Branch.closed_at.is_not(None), Branch.code)
    ).all()
    staff = grouped(
        db.session,
        User.office_id,
        func.count(User.id),
        User.office_id.is_not(None),
        User.is_enabled.is_(True),
    )
    companies = grouped(
        db.session, Company.office_id, func.count(Company.id), Company.status.not_in(GONE_COMPANY_STATUSES)
    )
    ids = set(staff) | set(companies)
    return OrgTree(list(branches), {i: Occupancy(staff.get(i, 0), companies.get(i, 0)) for i in ids})


def office_companies(office_id: int, limit: int):
    """The companies of an office, by name, with their managers (for choosing what moves)."""
    return db.session.scalars(
        select(Company)
        .where(Company.office_id == office_id)
        .options(selectinload(Company.manager).selectinload(User.office))
        .order_by(Company.name_zh, Company.id)
        .limit(limit)
    ).all()


def managers_for_choice():
    """Enabled account managers of open offices, with their office, for a choice of manager."""
    return db.session.scalars(
        select(User)
        .join(User.office)
        .options(contains_eager(User.office))
        .where(User.role == "account_manager", User.is_enabled.is_(True), SalesOffice.closed_at.is_(None))
        .order_by(SalesOffice.code, User.name, User.id)
    ).all()
