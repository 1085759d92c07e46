"""Read helpers for the agreement pages."""

from datetime import date, timedelta

from sqlalchemy import Select, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload
from sqlalchemy.orm.attributes import set_committed_value

from portal.agreements.models import (
    AGREEMENT_STATUSES,
    Agreement,
    AgreementEvent,
    IncentiveTier,
)
from portal.auth.models import User
from portal.companies.access import full_view_condition
from portal.companies.models import Company, Document
from portal.extensions import db
from portal.org.models import Branch, SalesOffice


def agreement_list(
    user: User,
    *,
    today: date,
    status: str = "",
    branch_id: int | None = None,
    manager_id: int | None = None,
    expiring_days: int | None = None,
) -> Select:
    """The statement behind /agreements/: agreements of companies the user sees in full."""
    stmt = (
        select(Agreement)
        .join(Agreement.company)
        .join(Company.office)
        .where(full_view_condition(user))
        .options(
            contains_eager(Agreement.company).contains_eager(Company.office).joinedload(SalesOffice.branch),
            contains_eager(Agreement.company).joinedload(Company.manager),
        )
    )
    if status in AGREEMENT_STATUSES:
        stmt = stmt.where(Agreement.status == status)
    if branch_id:
        stmt = stmt.where(SalesOffice.branch_id == branch_id)
    if manager_id:
        stmt = stmt.where(Company.manager_id == manager_id)
    if expiring_days is not None:
        stmt = stmt.where(
            Agreement.status == "active",
            Agreement.valid_to >= today,
            Agreement.valid_to <= today + timedelta(days=expiring_days),
        )
        return stmt.order_by(Agreement.valid_to, Agreement.id)
    return stmt.order_by(Agreement.valid_to.desc(), Agreement.id.desc())


def filter_choices(user: User) -> tuple[list[Branch], list[User]]:
    """Branches and managers the user may filter by (empty when the filter means nothing)."""
    if user.role in ("admin", "management"):
        branches = db.session.scalars(select(Branch).order_by(Branch.code)).all()
        managers = db.session.scalars(
            select(User).where(User.role == "account_manager").order_by(User.name, User.id)
        ).all()
        return list(branches), list(managers)
    if user.role == "branch_head":
        managers = db.session.scalars(
            select(User)
            .join(User.office)
            .where(User.role == "account_manager", SalesOffice.branch_id == user.branch_id)
            .order_by(User.name, User.id)
        ).all()
        return [], list(managers)
    return [], []


def detail_query(agreement_id: int) -> Select:
    """The agreement with what its page shows, in a fixed number of queries."""
    return (
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(
            joinedload(Agreement.company).joinedload(Company.office).joinedload(SalesOffice.branch),
            joinedload(Agreement.company).joinedload(Company.manager),
            joinedload(Agreement.author),
            joinedload(Agreement.approved_by),
            joinedload(Agreement.renewed_from),
            selectinload(Agreement.discounts),
            selectinload(Agreement.incentive_tiers),
            selectinload(Agreement.events).joinedload(AgreementEvent.actor),
        )
    )


def documents_of(agreement_id: int) -> list[Document]:
    """The agreement's documents (rendered agreement, signed scans) with their versions."""
    return list(
        db.session.scalars(
            select(Document)
            .where(Document.agreement_id == agreement_id, Document.deleted_at.is_(None))
            .options(selectinload(Document.versions))
            .order_by(Document.kind, Document.id)
        )
    )


def renewals_of(agreement_id: int) -> list[Agreement]:
    """Agreements that renew this one."""
    return list(
        db.session.scalars(
            select(Agreement).where(Agreement.renewed_from_id == agreement_id).order_by(Agreement.id)
        )
    )


# An agreement's discounts come in its own statement, its incentive tiers in one more (see
# first_with_terms): statements that load an agreement for a summary carry this option.
WITH_DISCOUNTS = joinedload(Agreement.discounts)

# Built once, with bound parameters: the booker's home runs it on every view, and putting it
# together costs more than running it.
_ACTIVE_AGREEMENT = (
    select(Agreement)
    .where(
        Agreement.company_id == bindparam("company_id"),
        Agreement.status == "active",
        Agreement.valid_to >= bindparam("today"),
    )
    .order_by(Agreement.valid_from)
    .limit(1)
    .options(WITH_DISCOUNTS)
)


def active_agreement(company_id: int, today: date) -> Agreement | None:
    """The company's active agreement with its terms: the one in force today, else the next to
    start (active agreements of one company never overlap)."""
    return first_with_terms(_ACTIVE_AGREEMENT, {"company_id": company_id, "today": today})


_INCENTIVE_TIERS = (
    select(IncentiveTier)
    .where(IncentiveTier.agreement_id == bindparam("agreement_id"))
    .order_by(IncentiveTier.threshold_percent)
)


def first_with_terms(statement: Select, params: dict) -> Agreement | None:
    """The agreement `statement` (a select(Agreement) with LIMIT 1 and WITH_DISCOUNTS) finds,
    with its discounts and incentive tiers (the summary pages show the discounts; attainment
    needs the tiers).

    The discounts are joined into the statement (a round trip less on PostgreSQL); the tiers
    come with one more: joining both collections multiplies their rows (6 discounts x 4 tiers
    = 24 rows), and the ORM's work on them cost more than the second statement."""
    found = db.session.scalars(statement, params).unique().all()
    agreement = found[0] if found else None
    if agreement is not None:
        tiers = db.session.scalars(_INCENTIVE_TIERS, {"agreement_id": agreement.id})
        set_committed_value(agreement, "incentive_tiers", list(tiers))
    return agreement
