"""Read helpers for the reminders pages: a manager's groups, branch completion rates, call lists."""

from dataclasses import dataclass, field
from datetime import date, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.auth.models import User
from portal.companies.models import Company, Contact, Interaction
from portal.db import grouped
from portal.extensions import db
from portal.org.models import Branch, SalesOffice
from portal.reminders.models import Reminder
from portal.reminders.operations import CONTACT_KINDS, PENDING, REVISIT_KINDS, effective_due, revisit_bases
from portal.timeutil import utc_to_local

GROUPS = ("overdue", "today", "week", "later")


def grouped_for(user: User, today: date) -> dict[str, list[tuple[Reminder, date]]]:
    """The user's pending reminders as overdue / today / this week (7 days) / later."""
    reminders = db.session.scalars(
        select(Reminder)
        .where(Reminder.assignee_id == user.id, Reminder.status.in_(PENDING))
        .options(joinedload(Reminder.company))
        .order_by(Reminder.due_on, Reminder.id)
    ).all()
    groups: dict[str, list] = {g: [] for g in GROUPS}
    for r in sorted(reminders, key=lambda r: (effective_due(r), r.id)):
        due = effective_due(r)
        if due < today:
            key = "overdue"
        elif due == today:
            key = "today"
        elif due <= today + timedelta(days=7):
            key = "week"
        else:
            key = "later"
        groups[key].append((r, due))
    return groups


def pending_reminder(reminder_id: int) -> Reminder | None:
    """A reminder with its company loaded (None when there is none)."""
    return db.session.scalar(
        select(Reminder).where(Reminder.id == reminder_id).options(joinedload(Reminder.company))
    )


@dataclass
class ManagerRate:
    """One manager's revisits due in a period and how many were done on time."""

    manager: User
    due: int = 0
    on_time: int = 0
    late: int = 0
    open_overdue: int = 0

    @property
    def rate(self) -> int | None:
        """Percent done on time (None when nothing was due)."""
        return round(100 * self.on_time / self.due) if self.due else None


def branch_rates(branch_id: int, start: date, end: date, today: date) -> list[ManagerRate]:
    """Per account manager of the branch: revisits due between start and end (inclusive), done
    by their due date, done late, and still open past due."""
    managers = db.session.scalars(
        select(User)
        .join(User.office)
        .where(User.role == "account_manager", SalesOffice.branch_id == branch_id)
        .order_by(User.name, User.id)
    ).all()
    rates = {m.id: ManagerRate(m) for m in managers}
    reminders = db.session.scalars(
        select(Reminder).where(
            Reminder.assignee_id.in_(rates),
            Reminder.kind.in_(REVISIT_KINDS),
            Reminder.due_on >= start,
            Reminder.due_on <= end,
            Reminder.status != "cancelled",
        )
    ).all()
    for r in reminders:
        rate = rates[r.assignee_id]
        rate.due += 1
        if r.status == "done" and r.completed_at is not None:
            if utc_to_local(r.completed_at).date() <= r.due_on:
                rate.on_time += 1
            else:
                rate.late += 1
        elif r.status in PENDING and effective_due(r) < today:
            rate.open_overdue += 1
    return list(rates.values())


def branches() -> list[Branch]:
    """Every branch, by code."""
    return list(db.session.scalars(select(Branch).order_by(Branch.code)))


def offices_for(user: User) -> list[SalesOffice]:
    """The offices whose call list the user may print (a branch head: the branch's)."""
    stmt = select(SalesOffice).order_by(SalesOffice.code)
    if user.role == "branch_head":
        stmt = stmt.where(SalesOffice.branch_id == user.branch_id)
    return list(db.session.scalars(stmt))


@dataclass
class CallRow:
    """One line of the courtesy-call list."""

    company_id: int
    name: str
    tier: str | None
    activity_status: str | None
    manager: str
    contact: str
    phone: str
    last_contact: date | None
    next_due: date | None
    notes: list[str] = field(default_factory=list)


def call_list(office_id: int, tiers: list[str], activities: list[str]) -> list[CallRow]:
    """The office's active companies for a "亲切关怀" campaign: tier, activity, manager, first
    contact with a phone, last visit/call/meeting and the next revisit date."""
    stmt = (
        select(Company)
        .where(Company.office_id == office_id, Company.status == "active")
        .options(joinedload(Company.manager))
        .order_by(Company.tier, Company.name_zh, Company.id)
    )
    if tiers:
        stmt = stmt.where(Company.tier.in_(tiers))
    if activities:
        stmt = stmt.where(Company.activity_status.in_(activities))
    companies = db.session.scalars(stmt).unique().all()
    ids = [c.id for c in companies]
    if not ids:
        return []
    contacts: dict[int, Contact] = {}
    for contact in db.session.scalars(
        select(Contact)
        .where(Contact.company_id.in_(ids), Contact.deleted_at.is_(None), Contact.phone.is_not(None))
        .order_by(Contact.company_id, Contact.id)
    ):
        contacts.setdefault(contact.company_id, contact)
    last_contact = grouped(
        db.session,
        Interaction.company_id,
        func.max(Interaction.occurred_at),
        Interaction.company_id.in_(ids),
        Interaction.kind.in_(CONTACT_KINDS),
    )
    bases = revisit_bases(ids)
    rows = []
    tier_order = {"platinum": 0, "gold": 1, "silver": 2, "standard": 3}
    for c in sorted(companies, key=lambda c: (tier_order.get(c.tier or "standard", 4), c.name_zh, c.id)):
        contact = contacts.get(c.id)
        last = last_contact.get(c.id)
        rows.append(
            CallRow(
                company_id=c.id,
                name=c.name_zh,
                tier=c.tier,
                activity_status=c.activity_status,
                manager=c.manager.name if c.manager else "",
                contact=contact.name if contact else "",
                phone=contact.phone if contact else "",
                last_contact=utc_to_local(last).date() if last else None,
                next_due=bases[c.id].due if c.id in bases else None,
            )
        )
    return rows
