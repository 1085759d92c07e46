"""Read helpers for the agreement pages."""

from dataclasses import dataclass
from datetime import date, timedelta

from sqlalchemy import ColumnElement, Row, Select, bindparam, select
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.agreements.models import (
    AGREEMENT_STATUSES,
    ENTITLEMENTS,
    Agreement,
    AgreementDiscount,
    AgreementEvent,
    IncentiveTier,
    entitlements_of,
)
from portal.auth.models import User
from portal.auth.roles import sees_every_branch
from portal.companies.access import full_view_condition
from portal.companies.models import Company, Document
from portal.db import read_rows
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
    if sees_every_branch(user):
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


# The summary cards (the dossier's overview, the booker's home) read an agreement on every
# view, as rows rather than ORM objects: half the cost for the same round trips. These
# columns (and the entitlement flags) are AgreementSummary's, under the same names.
_SUMMARY_COLUMNS = (
    "id",
    "number",
    "company_id",
    "status",
    "valid_from",
    "valid_to",
    "commitment_revenue_fen",
    "commitment_segments",
)


@dataclass(frozen=True)
class AgreementSummary:
    """An agreement as the summary cards show it, under Agreement's attribute names so that
    the templates and attainment serve both: its columns, its discounts (rows with scope,
    origin, destination, cabin and percent) and incentive tiers (rows with threshold_percent
    and rebate_percent)."""

    id: int
    number: str
    company_id: int
    status: str
    valid_from: date
    valid_to: date
    commitment_revenue_fen: int
    commitment_segments: int
    entitlements: list[str]
    discounts: list[Row]
    incentive_tiers: list[Row]


def summary_statement(*where: ColumnElement[bool], order_by: tuple) -> Select:
    """The first agreement (by `order_by`) that matches `where`, joined to its discounts: one
    row per discount, or one row with an empty discount when it has none. Build it once, with
    bound parameters: putting it together costs more than running it."""
    columns = [getattr(Agreement, name) for name in (*_SUMMARY_COLUMNS, *ENTITLEMENTS)]
    first = select(*columns).where(*where).order_by(*order_by).limit(1).subquery()
    return (
        select(
            first,
            AgreementDiscount.scope,
            AgreementDiscount.origin,
            AgreementDiscount.destination,
            AgreementDiscount.cabin,
            AgreementDiscount.percent,
        )
        .outerjoin(AgreementDiscount, AgreementDiscount.agreement_id == first.c.id)
        .order_by(AgreementDiscount.id)
    )


_TIER_ROWS = (
    select(IncentiveTier.threshold_percent, IncentiveTier.rebate_percent)
    .where(IncentiveTier.agreement_id == bindparam("agreement_id"))
    .order_by(IncentiveTier.threshold_percent)
)


def first_summary(statement: Select, params: dict) -> AgreementSummary | None:
    """The summary of the agreement a `summary_statement` finds, with its incentive tiers (one
    statement more: joining both collections would multiply their rows), or None."""
    rows = read_rows(db.session, statement, params).all()
    if not rows:
        return None
    first = rows[0]
    return AgreementSummary(
        **{name: getattr(first, name) for name in _SUMMARY_COLUMNS},
        entitlements=entitlements_of(first),
        discounts=[row for row in rows if row.scope is not None],
        incentive_tiers=list(read_rows(db.session, _TIER_ROWS, {"agreement_id": first.id})),
    )


# Active agreements of one company never overlap: the one in force today, else the next to start.
_ACTIVE = (
    Agreement.company_id == bindparam("company_id"),
    Agreement.status == "active",
    Agreement.valid_to >= bindparam("today"),
)
_ACTIVE_ORDER = (Agreement.valid_from,)
_ACTIVE_SUMMARY = summary_statement(*_ACTIVE, order_by=_ACTIVE_ORDER)


def active_agreement(company_id: int, today: date) -> Agreement | None:
    """The company's active agreement: the one in force today, else the next to start."""
    return db.session.scalars(
        select(Agreement).where(*_ACTIVE).order_by(*_ACTIVE_ORDER).limit(1),
        {"company_id": company_id, "today": today},
    ).first()


def active_summary(company_id: int, today: date) -> AgreementSummary | None:
    """`active_agreement` as its summary (the booker's home)."""
    return first_summary(_ACTIVE_SUMMARY, {"company_id": company_id, "today": today})
