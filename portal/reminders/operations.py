"""Revisit rules (DESIGN §4 "Revisits and reminders"): generation, escalation, expiry reminders,
completing and snoozing. Functions flush, never commit; the jobs in portal.jobs commit.

When a revisit is due: the base date is the later of the last completed revisit (a reminder of
kind revisit or reactivation with status done, on the local date it was completed) and the last
visit, call or meeting on the company's timeline; a company with neither counts from the day it
was created. The revisit is due on base + cadence of the company's tier (REVISIT_CADENCE_DAYS;
a company without a tier counts as standard), and one is generated once that date is today or
earlier and no revisit or reactivation is still pending.
"""

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import and_, func, insert, or_, select, update
from sqlalchemy.orm import contains_eager, joinedload

from portal.agreements.models import Agreement
from portal.api import webhooks
from portal.auth.models import User
from portal.companies import access
from portal.companies.models import Company, Interaction
from portal.companies.operations import record_interaction
from portal.db import grouped, insert_missing, utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.mail import operations as mail
from portal.notifications.models import Notification
from portal.org.models import SalesOffice
from portal.reminders.models import Reminder
from portal.scoring.models import ScoreSnapshot
from portal.timeutil import utc_to_local

DEFAULT_CADENCE = {"platinum": 30, "gold": 60, "silver": 90, "standard": 180}
REVISIT_KINDS = ("revisit", "reactivation")
PENDING = ("open", "snoozed")
CONTACT_KINDS = ("visit", "call", "meeting")  # interactions that count as a revisit
EXPIRY_DAYS = (90, 60, 30)
MAX_SNOOZE_DAYS = 60


def cadence_days(tier: str | None) -> int:
    """Days between revisits for a tier (configurable; no tier counts as standard)."""
    cadence = {**DEFAULT_CADENCE, **(current_app.config.get("REVISIT_CADENCE_DAYS") or {})}
    return int(cadence.get(tier or "standard", cadence["standard"]))


def escalation_days() -> int:
    """Days overdue after which a revisit escalates to the branch head."""
    return int(current_app.config.get("REVISIT_ESCALATION_DAYS", 7))


def effective_due(reminder: Reminder) -> date:
    """The date a pending reminder is due: its snooze date when snoozed."""
    if reminder.status == "snoozed" and reminder.snoozed_until:
        return reminder.snoozed_until
    return reminder.due_on


def _local_date(value: datetime | None) -> date | None:
    return utc_to_local(value).date() if value else None


def _insert_ignore(rows: list[dict]) -> int:
    """Insert reminders, skipping those whose (company, kind, due_on) exists; how many new."""
    now = utcnow()
    created = insert_missing(
        db.session,
        Reminder,
        [dict(row, status="open", created_at=now, updated_at=now) for row in rows],
        ["company_id", "kind", "due_on"],
    )
    db.session.flush()
    return created


def create_follow_up(company_id: int, assignee_id: int | None, title: str, due_on: date) -> int:
    """A follow-up reminder for the company, once per company and due date (the unique key):
    1 when created, 0 when one was there."""
    return _insert_ignore(
        [
            {
                "company_id": company_id,
                "kind": "follow_up",
                "due_on": due_on,
                "assignee_id": assignee_id,
                "title": title[:200],
            }
        ]
    )


@dataclass
class RevisitBase:
    """Why a company's next revisit falls when it does."""

    company_id: int
    base: date
    due: date


def revisit_bases(company_ids: list[int] | None = None) -> dict[int, RevisitBase]:
    """For each managed active company: its last completed revisit (or contact) and next due date."""
    last_done = (
        select(Reminder.company_id, func.max(Reminder.completed_at).label("at"))
        .where(Reminder.kind.in_(REVISIT_KINDS), Reminder.status == "done")
        .group_by(Reminder.company_id)
        .subquery()
    )
    last_contact = (
        select(Interaction.company_id, func.max(Interaction.occurred_at).label("at"))
        .where(Interaction.kind.in_(CONTACT_KINDS))
        .group_by(Interaction.company_id)
        .subquery()
    )
    stmt = (
        select(Company.id, Company.tier, Company.created_at, last_done.c.at, last_contact.c.at)
        .outerjoin(last_done, last_done.c.company_id == Company.id)
        .outerjoin(last_contact, last_contact.c.company_id == Company.id)
        .where(Company.status == "active", Company.manager_id.is_not(None))
    )
    if company_ids is not None:
        stmt = stmt.where(Company.id.in_(company_ids))
    result = {}
    for company_id, tier, created_at, done_at, contact_at in db.session.execute(stmt):
        candidates = [d for d in (_local_date(done_at), _local_date(contact_at)) if d]
        base = max(candidates) if candidates else _local_date(created_at)
        result[company_id] = RevisitBase(company_id, base, base + timedelta(days=cadence_days(tier)))
    return result


def _pending_revisit_companies() -> set[int]:
    return set(
        db.session.scalars(
            select(Reminder.company_id).where(Reminder.kind.in_(REVISIT_KINDS), Reminder.status.in_(PENDING))
        )
    )


def generate_revisits(today: date) -> dict:
    """Create the revisits that are due by `today` and the reactivation visits of companies that
    turned sleeping. Idempotent: a pending revisit blocks another, and the unique key
    (company, kind, due_on) is the last word."""
    pending = _pending_revisit_companies()
    managers = dict(
        db.session.execute(
            select(Company.id, Company.manager_id).where(
                Company.status == "active", Company.manager_id.is_not(None)
            )
        ).all()
    )
    names = dict(
        db.session.execute(select(Company.id, Company.name_zh).where(Company.id.in_(managers))).all()
    )
    reactivation_rows = []
    # Turning sleeping is news that needs a visit now: a pending regular revisit does not wait it
    # out (only a pending reactivation does); a pending reactivation holds back new revisits.
    pending_reactivation = set(
        db.session.scalars(
            select(Reminder.company_id).where(Reminder.kind == "reactivation", Reminder.status.in_(PENDING))
        )
    )
    for company_id in _turned_sleeping(set(managers)):
        if company_id in pending_reactivation:
            continue
        pending.add(company_id)
        reactivation_rows.append(
            {
                "company_id": company_id,
                "kind": "reactivation",
                "due_on": today,
                "assignee_id": managers[company_id],
                "title": _("Reactivation visit: %(company)s", company=names[company_id])[:200],
            }
        )
    revisit_rows = []
    for company_id, base in revisit_bases().items():
        if company_id in pending or base.due > today:
            continue
        revisit_rows.append(
            {
                "company_id": company_id,
                "kind": "revisit",
                "due_on": base.due,
                "assignee_id": managers[company_id],
                "title": _("Revisit: %(company)s", company=names[company_id])[:200],
            }
        )
    return {"reactivations": _insert_ignore(reactivation_rows), "revisits": _insert_ignore(revisit_rows)}


def _turned_sleeping(company_ids: set[int]) -> list[int]:
    """Sleeping companies without a reactivation visit since they were last seen not sleeping
    (by their score snapshots; a company never scored otherwise counts from any reactivation)."""
    sleeping = list(
        db.session.scalars(
            select(Company.id).where(Company.activity_status == "sleeping", Company.id.in_(company_ids))
        )
    )
    if not sleeping:
        return []
    awake_until = grouped(
        db.session,
        ScoreSnapshot.company_id,
        func.max(ScoreSnapshot.score_date),
        ScoreSnapshot.company_id.in_(sleeping),
        ScoreSnapshot.activity_status != "sleeping",
    )
    last_reactivation = grouped(
        db.session,
        Reminder.company_id,
        func.max(Reminder.due_on),
        Reminder.company_id.in_(sleeping),
        Reminder.kind == "reactivation",
    )
    turned = []
    for company_id in sleeping:
        last = last_reactivation.get(company_id)
        awake = awake_until.get(company_id)
        if last is None or (awake is not None and last <= awake):
            turned.append(company_id)
    return turned


def branch_heads_of(branch_ids) -> dict[int, list[User]]:
    """The enabled branch heads of each branch (by user id), with their offices loaded."""
    heads: dict[int, list[User]] = {}
    for head in db.session.scalars(
        select(User)
        .join(User.office)
        .where(
            User.role == "branch_head", User.is_enabled.is_(True), SalesOffice.branch_id.in_(set(branch_ids))
        )
        .options(contains_eager(User.office))
        .order_by(User.id)
    ):
        heads.setdefault(head.office.branch_id, []).append(head)
    return heads


def branch_heads(branch_id: int) -> list[User]:
    """The enabled branch heads of a branch."""
    return branch_heads_of([branch_id]).get(branch_id, [])


def escalate_overdue(today: date) -> dict:
    """Escalate pending revisits overdue by REVISIT_ESCALATION_DAYS or more to the branch heads:
    escalated_at is set once (a conditional UPDATE claims them), heads are told in the portal and
    by mail (queued in the outbox)."""
    limit = today - timedelta(days=escalation_days())
    now = utcnow()
    claimed = list(
        db.session.scalars(
            update(Reminder)
            .where(
                Reminder.kind.in_(REVISIT_KINDS),
                Reminder.status.in_(PENDING),
                Reminder.escalated_at.is_(None),
                or_(
                    and_(Reminder.status == "open", Reminder.due_on <= limit),
                    and_(Reminder.status == "snoozed", Reminder.snoozed_until <= limit),
                ),
            )
            .values(escalated_at=now)
            .returning(Reminder.id)
            .execution_options(synchronize_session=False)
        )
    )
    if not claimed:
        return {"escalated": 0, "escalation_mails": 0}
    escalated = db.session.scalars(
        select(Reminder)
        .where(Reminder.id.in_(claimed))
        .options(
            joinedload(Reminder.company).joinedload(Company.office),
            joinedload(Reminder.assignee),
        )
        .order_by(Reminder.id)
    ).all()
    heads = branch_heads_of(r.company.office.branch_id for r in escalated)
    notices, mails = [], []
    for reminder in escalated:
        company = reminder.company
        due = effective_due(reminder)
        message = _(
            "Overdue revisit: %(company)s was due on %(due)s (%(days)s days overdue), "
            "assigned to %(manager)s.",
            company=company.name_zh,
            due=due.isoformat(),
            days=(today - due).days,
            manager=reminder.assignee.name if reminder.assignee else _("nobody"),
        )
        for head in heads.get(company.office.branch_id, []):
            # The dedicated escalation mail below replaces the generic notification mail.
            notices.append(
                {
                    "user_id": head.id,
                    "kind": "revisit_escalated",
                    "message": message,
                    "link": f"/companies/{company.id}",
                    "emailed_at": now,
                }
            )
            mails.append(
                mail.mail_row(
                    f"escalation:{reminder.id}:{head.id}",
                    kind="escalation",
                    user=head,
                    subject=_("Overdue revisit: %(company)s", company=company.name_zh),
                    body=message,
                )
            )
    if notices:
        db.session.execute(insert(Notification), notices)
    return {"escalated": len(escalated), "escalation_mails": mail.enqueue_rows(mails)}


def expiry_threshold(days_left: int) -> int | None:
    """The expiry reminder (90, 60 or 30 days) an agreement with `days_left` has reached."""
    if days_left < 0:
        return None
    reached = [t for t in EXPIRY_DAYS if days_left <= t]
    return min(reached) if reached else None


def agreement_expiry_reminders(today: date) -> int:
    """Remind the manager of an active agreement 90, 60 and 30 days before it ends (one reminder
    per threshold, due on valid_to - threshold; a missed day is caught up the next run)."""
    rows = db.session.execute(
        select(Agreement.id, Agreement.company_id, Agreement.number, Agreement.valid_to, Company.manager_id)
        .join(Company, Company.id == Agreement.company_id)
        .where(
            Agreement.status == "active",
            Agreement.valid_to >= today,
            Agreement.valid_to <= today + timedelta(days=max(EXPIRY_DAYS)),
        )
    ).all()
    new = []
    for agreement_id, company_id, number, valid_to, manager_id in rows:
        threshold = expiry_threshold((valid_to - today).days)
        if threshold is None:
            continue
        webhooks.emit(
            "agreement.expiring",
            company_id,
            {
                "agreement_id": agreement_id,
                "number": number,
                "valid_to": valid_to.isoformat(),
                "days": threshold,
            },
            key=f"{agreement_id}:{threshold}",
        )
        new.append(
            {
                "company_id": company_id,
                "kind": "agreement_expiry",
                "due_on": valid_to - timedelta(days=threshold),
                "assignee_id": manager_id,
                "title": _(
                    "Agreement %(number)s ends on %(end)s (%(days)s days)",
                    number=number,
                    end=valid_to.isoformat(),
                    days=threshold,
                )[:200],
            }
        )
    return _insert_ignore(new)


# --- a person acting on a reminder ----------------------------------------------------------


def may_act(user: User, reminder: Reminder) -> bool:
    """The assignee, and whoever may change the company (its branch head, admins)."""
    if user.role == "account_manager":
        return reminder.assignee_id == user.id and access.may_change(user, reminder.company)
    return access.may_change(user, reminder.company)


def _require_pending(actor: User, reminder: Reminder) -> None:
    if not may_act(actor, reminder):
        raise NotAllowed(_("You may not change this reminder."))
    if reminder.status not in PENDING:
        raise ValidationFailed(_("This reminder is no longer open."))


def complete_reminder(
    actor: User,
    reminder: Reminder,
    *,
    kind: str,
    now: datetime | None = None,
    **details,
) -> Interaction:
    """Complete a reminder: record the visit, call or meeting on the company's timeline and link
    it. `details` are the interaction's, as record_interaction takes them (occurred_at, summary,
    outcome, next_step)."""
    _require_pending(actor, reminder)
    if kind not in CONTACT_KINDS:
        raise ValidationFailed({"kind": [_("Choose a visit, call or meeting.")]})
    now = now or utcnow()
    interaction = record_interaction(actor, reminder.company, kind=kind, now=now, **details)
    reminder.status = "done"
    reminder.completed_at = now
    reminder.interaction_id = interaction.id
    db.session.flush()
    return interaction


def snooze_reminder(
    actor: User, reminder: Reminder, *, until: date | None, reason: str | None, today: date
) -> None:
    """Put a reminder off to a later date (tomorrow up to MAX_SNOOZE_DAYS ahead), with a reason."""
    _require_pending(actor, reminder)
    reasons: dict = {}
    if until is None:
        reasons["until"] = [_("Enter the new date.")]
    elif until <= today:
        reasons["until"] = [_("The new date must be in the future.")]
    elif until > today + timedelta(days=MAX_SNOOZE_DAYS):
        reasons["until"] = [_("Snooze for at most %(days)s days.", days=MAX_SNOOZE_DAYS)]
    if not (reason or "").strip():
        reasons["reason"] = [_("Say why the reminder is put off.")]
    if reasons:
        raise ValidationFailed(reasons)
    reminder.status = "snoozed"
    reminder.snoozed_until = until
    reminder.snooze_reason = reason.strip()
    db.session.flush()
