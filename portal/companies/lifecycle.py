"""A company's lifecycle: prospect → active → suspended → closed, and back where it makes
sense. TRANSITIONS is the one list of allowed moves; each move carries a reason that lands on
the timeline. Closing waits for the company's live agreements to end, and ends its pending
reminders; a closed company keeps its dossier but leaves scoring, rankings, revisits and call
lists (they read only companies that are not closed, or only active ones)."""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import select

from portal.agreements.models import Agreement
from portal.auth.models import User
from portal.companies.access import may_change
from portal.companies.merge import CLOSED_PREFIX
from portal.companies.models import COMPANY_STATUSES, Company, CompanyStatusChange
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.reminders.models import Reminder

TRANSITIONS: dict[str, tuple[str, ...]] = {
    "prospect": ("active", "closed"),
    "active": ("suspended", "closed"),
    "suspended": ("active", "closed"),
    "closed": ("prospect",),  # a company that comes back is won again, from the start
}
# Agreements that keep a company from closing.
LIVE_AGREEMENT_STATUSES = ("active", "pending_approval")
PENDING_REMINDERS = ("open", "snoozed")
REASON_LIMIT = 2000


def allowed_moves(company: Company) -> tuple[str, ...]:
    """The statuses the company may move to next."""
    return TRANSITIONS.get(company.status, ())


def may_change_status(user: User, company: Company) -> bool:
    """Who may move the status: whoever may change the dossier."""
    return may_change(user, company)


def live_agreements(company_id: int) -> list[Agreement]:
    """The company's agreements that are active or waiting for approval."""
    return list(
        db.session.scalars(
            select(Agreement)
            .where(Agreement.company_id == company_id, Agreement.status.in_(LIVE_AGREEMENT_STATUSES))
            .order_by(Agreement.number)
        )
    )


def _merged(company: Company) -> bool:
    """A company closed by a merge (its rows moved to the survivor) never reopens."""
    return company.name_zh.startswith(CLOSED_PREFIX.split("{")[0])


def change_status(
    actor: User, company: Company, to_status: str, reason: str, now: datetime | None = None
) -> CompanyStatusChange:
    """Move the company to `to_status` with a reason (flushes). Closing is refused while an
    agreement is active or pending approval, and cancels the company's pending reminders."""
    if not may_change_status(actor, company):
        raise NotAllowed(_("You may not change this company's dossier."))
    reason = (reason or "").strip()
    reasons: dict = {}
    if to_status not in COMPANY_STATUSES:
        reasons["status"] = [_("Not a valid choice.")]
    elif to_status not in allowed_moves(company):
        reasons["status"] = [
            _(
                "A company cannot move from %(old)s to %(new)s.",
                old=label(company.status, "company_status"),
                new=label(to_status, "company_status"),
            )
        ]
    if not reason:
        reasons["reason"] = [_("Give the reason for the change.")]
    elif len(reason) > REASON_LIMIT:
        reasons["reason"] = [_("Longer than %(limit)s characters.", limit=REASON_LIMIT)]
    if reasons:
        raise ValidationFailed(reasons)
    if to_status == "closed":
        blocking = live_agreements(company.id)
        if blocking:
            raise ValidationFailed(
                {
                    "status": [
                        _(
                            "The company cannot close while these agreements are active or pending "
                            "approval: %(list)s. Terminate or withdraw them first.",
                            list=", ".join(
                                f"{a.number} ({label(a.status, 'agreement_status')})" for a in blocking
                            ),
                        )
                    ]
                }
            )
    if company.status == "closed" and _merged(company):
        raise ValidationFailed({"status": [_("This company was merged into another and cannot reopen.")]})
    now = now or utcnow()
    change = CompanyStatusChange(
        company_id=company.id,
        from_status=company.status,
        to_status=to_status,
        reason=reason,
        actor_id=actor.id,
        at=now,
    )
    company.status = to_status
    db.session.add(change)
    if to_status == "closed":
        # Nothing is to be done for a closed company: its open revisits and follow-ups end.
        for reminder in db.session.scalars(
            select(Reminder).where(Reminder.company_id == company.id, Reminder.status.in_(PENDING_REMINDERS))
        ):
            reminder.status = "cancelled"  # each one audited by the flush
    db.session.flush()
    return change
