"""Read helpers for the dossier's tabs: key travellers, quota summary, quotas and requests, next revisit,
open complaints, reviews, manager history and the audit trail. Each is one query, however many
rows the company has, so the dossier loads in a fixed number of queries.

The overview runs its queries on every view, so they are built once, at import, with bound
parameters: putting a statement together (options, aliases, aggregates) costs SQLAlchemy more
than running it.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, DateTime, Row, ScalarSelect, Select, and_, bindparam, func, or_, select
from sqlalchemy.orm import aliased, joinedload

from portal.agreements.models import Agreement
from portal.agreements.queries import AgreementSummary, first_summary, summary_statement
from portal.alerts.models import Alert
from portal.audit.models import AuditEvent
from portal.auth.models import User
from portal.companies.models import Company, Contact, Interaction, ManagerAssignment, Traveller
from portal.companies.timeline import is_overdue
from portal.db import read_rows
from portal.extensions import db
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.reviews.models import Review
from portal.surveys.models import SurveyResponse
from portal.surveys.queries import SurveySummary, summary_columns, summary_from

REVISIT_KINDS = ("revisit", "reactivation")
OVERVIEW_TRAVELLERS = 5
RECENT_REQUESTS = 10
REVIEWS_SHOWN = 20
SURVEY_DAYS = 365  # the overview's survey results cover the last year
AUDIT_PAGE_SIZE = 50


@dataclass
class QuotaSummary:
    """This month's quotas of an agreement: how many, seats protected, seats confirmed."""

    count: int
    seats: int
    used: int

    @property
    def left(self) -> int:
        return self.seats - self.used


_CURRENT_AGREEMENT = summary_statement(
    Agreement.company_id == bindparam("company_id"),
    order_by=((Agreement.status == "active").desc(), Agreement.valid_from.desc(), Agreement.id.desc()),
)


def current_agreement(company_id: int) -> AgreementSummary | None:
    """The summary of the active agreement (the latest to start), else of the newest one in
    any status."""
    return first_summary(_CURRENT_AGREEMENT, {"company_id": company_id})


# The overview only shows these lists, so it reads the shown columns as plain rows (same
# attribute names as the models, so the partials serve both): loading ORM objects cost
# about twice as much, and the travellers' encrypted document numbers are never read here.
_CONTACTS = (
    select(Contact.id, Contact.name, Contact.title, Contact.role, Contact.phone, Contact.email, Contact.notes)
    .where(Contact.company_id == bindparam("company_id"), Contact.deleted_at.is_(None))
    .order_by(Contact.name, Contact.id)
)


def contacts(company_id: int) -> list[Row]:
    """The company's live contacts, by name, as rows of the columns the dossier shows."""
    return list(read_rows(db.session, _CONTACTS, {"company_id": company_id}))


_SUBSIDIARIES = (
    select(Company.id, Company.name_zh)
    .where(Company.parent_id == bindparam("company_id"))
    .order_by(Company.name_zh, Company.id)
)


def subsidiaries(company_id: int) -> list:
    """(id, name_zh) of the companies whose parent the company is, by name."""
    return list(read_rows(db.session, _SUBSIDIARIES, {"company_id": company_id}))


def travellers_query(company_id: int) -> Select:
    """The company's live key travellers, by name."""
    return (
        select(Traveller)
        .where(Traveller.company_id == company_id, Traveller.deleted_at.is_(None))
        .order_by(Traveller.name, Traveller.id)
    )


_FIRST_TRAVELLERS = (
    travellers_query(bindparam("company_id"))
    .with_only_columns(
        Traveller.id,
        Traveller.name,
        Traveller.name_en,
        Traveller.ff_number,
        Traveller.member_tier,
        Traveller.seat_preference,
        Traveller.meal_preference,
        Traveller.id_document_type,
        Traveller.id_document_masked,
        Traveller.notes,
    )
    .limit(OVERVIEW_TRAVELLERS + 1)
)


def first_travellers(company_id: int) -> tuple[list[Row], bool]:
    """The first OVERVIEW_TRAVELLERS key travellers (rows of the shown columns), and whether the
    company has more (the overview shows a few; the travellers tab lists them all)."""
    rows = list(read_rows(db.session, _FIRST_TRAVELLERS, {"company_id": company_id}))
    return rows[:OVERVIEW_TRAVELLERS], len(rows) > OVERVIEW_TRAVELLERS


_QUOTA_SUMMARY = select(
    func.count(Quota.id),
    func.coalesce(func.sum(Quota.seats), 0),
    func.coalesce(func.sum(Quota.used), 0),
).where(Quota.agreement_id == bindparam("agreement_id"), Quota.month == bindparam("month"))


def quota_summary(agreement_id: int, month: date) -> QuotaSummary:
    """The agreement's quotas for `month` (its first day), counted and summed in one query."""
    params = {"agreement_id": agreement_id, "month": month}
    count, seats, used = read_rows(db.session, _QUOTA_SUMMARY, params).one()
    return QuotaSummary(int(count), int(seats), int(used))


def quota_table(company_id: int, months: tuple[date, ...]) -> list:
    """(Quota, agreement number) of the company's agreements for the given months."""
    return list(
        db.session.execute(
            select(Quota, Agreement.number)
            .join(Agreement, Agreement.id == Quota.agreement_id)
            .where(Agreement.company_id == company_id, Quota.month.in_(months))
            .order_by(Quota.month, Quota.origin, Quota.destination, Quota.cabin, Quota.id)
        )
    )


def recent_requests(company_id: int, limit: int = RECENT_REQUESTS) -> list[PriorityRequest]:
    """The company's latest priority requests with their travellers."""
    return list(
        db.session.scalars(
            select(PriorityRequest)
            .where(PriorityRequest.company_id == company_id)
            .options(joinedload(PriorityRequest.traveller))
            .order_by(PriorityRequest.requested_at.desc(), PriorityRequest.id.desc())
            .limit(limit)
        )
    )


def next_revisit_id(company_id) -> ScalarSelect:
    """The id of the company's earliest open revisit or reactivation reminder, as a scalar
    subquery (`company_id` a value or a column): the dossier's company statement joins the
    reminder by it, so the overview's next-revisit card costs no statement of its own."""
    return (
        select(Reminder.id)
        .where(
            Reminder.company_id == company_id,
            # Not kind.in_(...): an IN list is rendered into the SQL again on every execution.
            or_(*(Reminder.kind == kind for kind in REVISIT_KINDS)),
            Reminder.status == "open",
        )
        .order_by(Reminder.due_on, Reminder.id)
        .limit(1)
        .scalar_subquery()
    )


OPEN_COMPLAINT = and_(Interaction.kind == "complaint", Interaction.complaint_status != "resolved")


@dataclass
class OpenComplaint:
    interaction: Row  # the columns the overview shows, with the author's name
    overdue: bool


_OPEN_COMPLAINTS = (
    select(
        Interaction.id,
        Interaction.kind,
        Interaction.occurred_at,
        Interaction.summary,
        Interaction.complaint_status,
        Interaction.due_at,
        User.name.label("author_name"),
    )
    .outerjoin(User, User.id == Interaction.author_id)
    .where(Interaction.company_id == bindparam("company_id"), OPEN_COMPLAINT)
    .order_by(Interaction.due_at, Interaction.id)
)


def open_complaints(company_id: int, now: datetime) -> list[OpenComplaint]:
    """Complaints not resolved yet, the most urgent first (rows: the overview only shows them)."""
    rows = read_rows(db.session, _OPEN_COMPLAINTS, {"company_id": company_id})
    return [OpenComplaint(i, is_overdue(i, now)) for i in rows]


def reviews(company_id: int, limit: int = REVIEWS_SHOWN, *, viewer: User | None = None) -> list:
    """(Review, author name) of the company's generated account reviews, newest first; with a
    viewer, only those the viewer may download."""
    from portal.reviews.access import visible_condition

    stmt = (
        select(Review, User.name)
        .outerjoin(User, User.id == Review.author_id)
        .where(Review.company_id == company_id)
    )
    if viewer is not None:
        stmt = stmt.where(visible_condition(viewer))
    return list(db.session.execute(stmt.order_by(Review.created_at.desc(), Review.id.desc()).limit(limit)))


_assigned_by = aliased(User)
_MANAGER_HISTORY = (
    select(ManagerAssignment, _assigned_by)
    .outerjoin(_assigned_by, _assigned_by.id == ManagerAssignment.assigned_by_id)
    .where(ManagerAssignment.company_id == bindparam("company_id"))
    .options(joinedload(ManagerAssignment.manager))
    .order_by(ManagerAssignment.started_at.desc(), ManagerAssignment.id.desc())
)


def manager_history(company_id: int) -> list:
    """(ManagerAssignment, assigned by) of the company, newest first: the whole history, for the
    handover page (the overview shows `recent_managers`)."""
    return list(db.session.execute(_MANAGER_HISTORY, {"company_id": company_id}))


OVERVIEW_MANAGERS = 4
_RECENT_MANAGERS = (
    select(
        User.name.label("manager_name"),
        ManagerAssignment.started_at,
        ManagerAssignment.ended_at,
        func.count().over().label("total"),
    )
    .join(User, User.id == ManagerAssignment.manager_id)
    .where(ManagerAssignment.company_id == bindparam("company_id"))
    .order_by(ManagerAssignment.started_at.desc(), ManagerAssignment.id.desc())
    .limit(OVERVIEW_MANAGERS)
)


def recent_managers(company_id: int) -> list[Row]:
    """The company's latest OVERVIEW_MANAGERS manager assignments, newest first, as rows of the
    manager's name, start and end, each with the `total` number of assignments (the overview
    shows a few and links to all of them)."""
    return list(read_rows(db.session, _RECENT_MANAGERS, {"company_id": company_id}))


# --- early warnings and survey results -----------------------------------------------------


def has_signals(company_id) -> ColumnElement[bool]:
    """SQL: the company has an open alert or a survey answer (`company_id` a value or a
    column); the dossier's company statement carries it so most views skip `signals`."""
    return or_(
        select(Alert.id).where(Alert.company_id == company_id, Alert.closed_on.is_(None)).exists(),
        select(SurveyResponse.id).where(SurveyResponse.company_id == company_id).exists(),
    )


@dataclass
class Signals:
    """The open alerts (rows of kind, level, reason, opened_on) and the year's survey results."""

    alerts: list
    surveys: SurveySummary


_SURVEYS = summary_columns(bindparam("company_id"), bindparam("since", type_=DateTime)).subquery()
_SIGNALS = (
    select(_SURVEYS, Alert.kind, Alert.level, Alert.reason, Alert.opened_on)
    .select_from(_SURVEYS)
    .outerjoin(Alert, and_(Alert.company_id == bindparam("company_id"), Alert.closed_on.is_(None)))
    .order_by(Alert.kind, Alert.opened_on.desc())
)


def signals(company_id: int, now: datetime) -> Signals:
    """The company's open alerts and its survey results of the last SURVEY_DAYS, in one
    statement (the survey aggregates joined to the alerts)."""
    rows = db.session.execute(
        _SIGNALS, {"company_id": company_id, "since": now - timedelta(days=SURVEY_DAYS)}
    ).all()
    alerts = [r for r in rows if r.kind is not None]
    return Signals(alerts=alerts, surveys=summary_from(rows[0]))


# --- audit trail --------------------------------------------------------------------------


def audit_query(company_id: int) -> Select:
    """The company's audit events, newest first (for the paginated audit page)."""
    return (
        select(AuditEvent)
        .where(AuditEvent.company_id == company_id)
        .order_by(AuditEvent.at.desc(), AuditEvent.id.desc())
    )
