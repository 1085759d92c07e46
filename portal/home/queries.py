"""What an account manager meets first: early warnings on their companies, today's and
overdue revisits, open complaints past due, waitlisted requests, pipeline next steps due,
agreements about to expire and recent notifications, each a few rows that link to the work.
A branch head sees the same for the branch (admins and management for every company).

One statement per section, each limited (LIMIT + 1 tells whether there are more), so the page
costs the same bounded number of queries whatever the portfolio's size; the statements are
built once per role with bound parameters.
"""

from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from functools import cache

from sqlalchemy import ColumnElement, Date, DateTime, Select, and_, bindparam, case, select
from sqlalchemy.orm import aliased

from portal.agreements.models import Agreement
from portal.alerts.models import Alert
from portal.auth.models import User
from portal.companies.access import full_view_condition, has_portfolio
from portal.companies.dossier import OPEN_COMPLAINT
from portal.companies.models import Company, Interaction, Traveller
from portal.extensions import db
from portal.notifications.models import Notification
from portal.pipeline.models import OPEN_STAGES, Opportunity
from portal.pipeline.queries import visible_condition as pipeline_visible
from portal.quotas.models import PriorityRequest
from portal.reminders.models import Reminder
from portal.reminders.operations import PENDING, REVISIT_KINDS

LIMIT = 8
NOTIFICATIONS = 5
EXPIRING_DAYS = 90
# Who lands on the home after signing in: those whose day is a portfolio or a branch.
HOME_ROLES = ("account_manager", "branch_head")

SECTIONS = ("alerts", "revisits", "complaints", "waitlisted", "pipeline", "agreements", "notifications")


@dataclass
class Day:
    """Each section's rows (at most LIMIT) and the sections that have more."""

    alerts: list = field(default_factory=list)
    revisits: list = field(default_factory=list)
    complaints: list = field(default_factory=list)
    waitlisted: list = field(default_factory=list)
    pipeline: list = field(default_factory=list)
    agreements: list = field(default_factory=list)
    notifications: list = field(default_factory=list)
    more: set = field(default_factory=set)

    @property
    def empty(self) -> bool:
        return not any(getattr(self, name) for name in SECTIONS)


def starts_at_home(user: User) -> bool:
    """Whether signing in leads the user to their home (others keep their usual first page)."""
    return user.role in HOME_ROLES


# A snoozed reminder is due on its snooze date.
_EFFECTIVE_DUE = case(
    (and_(Reminder.status == "snoozed", Reminder.snoozed_until.is_not(None)), Reminder.snoozed_until),
    else_=Reminder.due_on,
)
_assignee = aliased(User)


def _reminder_scope(user) -> ColumnElement[bool]:
    # A manager's revisits are those assigned to them; a branch head's, every revisit of the
    # branch's companies (whoever has it).
    if has_portfolio(user):
        return Reminder.assignee_id == user.id
    return full_view_condition(user)


def _with_company(model, *columns) -> Select:
    """`columns` of `model`'s rows, then their company's id and Chinese name (every section
    links to the company)."""
    return select(*columns, Company.id.label("company_id"), Company.name_zh).join(
        Company, Company.id == model.company_id
    )


@dataclass(frozen=True)
class _BoundUser:
    """A user of a role whose id and branch are bound parameters: the access conditions
    built from it (the same functions the other pages use) serve every user of the role."""

    role: str
    id = bindparam("user_id")
    branch_id = bindparam("branch_id")


@cache
def _statements(role: str) -> dict[str, Select]:
    """The seven sections' statements for a role, built once: putting them together costs more
    than running them (they run with the user's id, branch, today and now)."""
    user = _BoundUser(role)
    scope = full_view_condition(user)
    today, now = bindparam("today", type_=Date), bindparam("now", type_=DateTime)
    horizon = bindparam("horizon", type_=Date)
    statements = {
        # Early warnings (churn risk, roster compliance) still open on companies in scope.
        "alerts": _with_company(
            Alert,
            Alert.id,
            Alert.kind,
            Alert.level,
            Alert.reason,
            Alert.opened_on,
        )
        .where(scope, Alert.closed_on.is_(None))
        .order_by(Alert.opened_on.desc(), Alert.id.desc()),
        "revisits": _with_company(
            Reminder,
            Reminder.id,
            Reminder.kind,
            Reminder.title,
            Reminder.assignee_id,
            _EFFECTIVE_DUE.label("due"),
            _assignee.name.label("assignee_name"),
        )
        .outerjoin(_assignee, _assignee.id == Reminder.assignee_id)
        .where(
            _reminder_scope(user),
            Reminder.status.in_(PENDING),
            Reminder.kind.in_(REVISIT_KINDS),
            _EFFECTIVE_DUE <= today,
        )
        .order_by(_EFFECTIVE_DUE, Reminder.id),
        "complaints": _with_company(
            Interaction,
            Interaction.id,
            Interaction.summary,
            Interaction.due_at,
            Interaction.complaint_status,
        )
        .where(scope, OPEN_COMPLAINT, Interaction.due_at < now)
        .order_by(Interaction.due_at, Interaction.id),
        "waitlisted": _with_company(
            PriorityRequest,
            PriorityRequest.id,
            PriorityRequest.quota_id,
            PriorityRequest.flight_number,
            PriorityRequest.flight_date,
            PriorityRequest.origin,
            PriorityRequest.destination,
            PriorityRequest.cabin,
            Traveller.name.label("traveller_name"),
        )
        .join(Traveller, Traveller.id == PriorityRequest.traveller_id)
        .where(scope, PriorityRequest.status == "waitlisted", PriorityRequest.departure_at > now)
        .order_by(PriorityRequest.departure_at, PriorityRequest.id),
        "pipeline": _with_company(
            Opportunity,
            Opportunity.id,
            Opportunity.title,
            Opportunity.stage,
            Opportunity.next_step,
            Opportunity.next_step_on,
        )
        .where(pipeline_visible(user), Opportunity.stage.in_(OPEN_STAGES), Opportunity.next_step_on <= today)
        .order_by(Opportunity.next_step_on, Opportunity.id),
        "agreements": _with_company(
            Agreement,
            Agreement.id,
            Agreement.number,
            Agreement.valid_to,
        )
        .where(
            scope, Agreement.status == "active", Agreement.valid_to >= today, Agreement.valid_to <= horizon
        )
        .order_by(Agreement.valid_to, Agreement.id),
        "notifications": select(
            Notification.id,
            Notification.kind,
            Notification.message,
            Notification.link,
            Notification.created_at,
            Notification.read_at,
        )
        .where(Notification.user_id == user.id)
        .order_by(Notification.created_at.desc(), Notification.id.desc()),
    }
    # LIMIT + 1 rows tell whether a section has more than it shows.
    return {name: stmt.limit(_limit(name) + 1) for name, stmt in statements.items()}


def _limit(name: str) -> int:
    return NOTIFICATIONS if name == "notifications" else LIMIT


def day_for(user: User, *, today: date, now: datetime) -> Day:
    """The user's day (seven statements). `today` is the local date, `now` naive UTC."""
    params = {
        "user_id": user.id,
        "branch_id": user.branch_id if user.role == "branch_head" else None,
        "today": today,
        "now": now,
        "horizon": today + timedelta(days=EXPIRING_DAYS),
    }
    day = Day()
    for name, stmt in _statements(user.role).items():
        rows = db.session.execute(stmt, params).all()
        if len(rows) > _limit(name):
            day.more.add(name)
        setattr(day, name, rows[: _limit(name)])
    return day
