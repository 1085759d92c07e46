"""Staff leaving: an account manager's companies, open reminders and opportunities are handed
over in one audited change before the account is disabled. Functions flush, never commit."""

from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import joinedload

from portal.audit.trail import one_change, record_event
from portal.auth.models import User
from portal.auth.operations import set_enabled
from portal.companies.models import Company
from portal.companies.operations import PENDING_REMINDER_STATUSES, reassign_manager
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.org.access import may_manage_org
from portal.pipeline.models import OPEN_STAGES, Opportunity
from portal.reminders.models import Reminder


@dataclass
class Portfolio:
    """What a leaving account manager still holds."""

    companies: list[Company]
    reminders: list[Reminder]
    opportunities: list[Opportunity]

    @property
    def empty(self) -> bool:
        return not (self.companies or self.reminders or self.opportunities)


def _companies(user_id: int):
    return select(Company).where(Company.manager_id == user_id).order_by(Company.name_zh, Company.id)


def _reminders(user_id: int):
    return select(Reminder).where(
        Reminder.assignee_id == user_id, Reminder.status.in_(PENDING_REMINDER_STATUSES)
    )


def _opportunities(user_id: int):
    return select(Opportunity).where(Opportunity.owner_id == user_id, Opportunity.stage.in_(OPEN_STAGES))


def portfolio(user: User) -> Portfolio:
    """The user's companies, pending reminders and open opportunities."""
    return Portfolio(
        companies=db.session.scalars(_companies(user.id)).all(),
        reminders=db.session.scalars(
            _reminders(user.id).options(joinedload(Reminder.company)).order_by(Reminder.due_on, Reminder.id)
        ).all(),
        opportunities=db.session.scalars(
            _opportunities(user.id)
            .options(joinedload(Opportunity.company))
            .order_by(Opportunity.close_date, Opportunity.id)
        ).all(),
    )


def holdings(user: User) -> tuple[int, int, int]:
    """How many companies, pending reminders and open opportunities the user holds."""

    def count(stmt) -> int:
        return db.session.scalar(select(func.count()).select_from(stmt.subquery())) or 0

    return count(_companies(user.id)), count(_reminders(user.id)), count(_opportunities(user.id))


def hand_over_and_disable(
    actor: User,
    leaver: User,
    managers: dict[int, int | None],
    note: str | None = None,
    now: datetime | None = None,
) -> dict[int, int]:
    """Hand each of the leaver's companies to the manager chosen for it (`managers` maps a
    company id to a manager id) through the ordinary handover, give the leaver's other
    pending reminders and open opportunities to their company's manager, and disable the
    account, all in one audited change. Returns company id -> new manager id."""
    if not may_manage_org(actor):
        raise NotAllowed(_("Only administrators hand over a leaver's portfolio."))
    if leaver.id == actor.id:
        raise ValidationFailed(_("You cannot disable your own account."))
    held = portfolio(leaver)
    reasons: dict = {}
    missing = [c.name_zh for c in held.companies if not managers.get(c.id)]
    if missing:
        reasons["managers"] = [_("Choose a new manager for %(names)s.", names="、".join(missing))]
    orphans = _orphans(held)
    if orphans:
        reasons.setdefault("managers", []).append(
            _(
                "%(names)s have no manager to take the leaver's reminders and opportunities: "
                "give them a manager first.",
                names="、".join(orphans),
            )
        )
    if reasons:
        raise ValidationFailed(reasons)
    now = now or utcnow()
    handed: dict[int, int] = {}
    with one_change():
        for company in held.companies:
            try:
                reassign_manager(actor, company, managers[company.id], note=note, now=now)
            except ValidationFailed as e:
                messages = [m for ms in e.reasons.values() for m in ms]
                raise ValidationFailed({"managers": [f"{company.name_zh}: {m}" for m in messages]}) from None
            handed[company.id] = managers[company.id]
        _hand_over_strays(leaver)
        record_event(
            "handover",
            "user",
            leaver.id,
            after={"managers": {str(k): v for k, v in handed.items()}, "note": note},
        )
        set_enabled(actor, leaver, False)
    return handed


def _orphans(held: Portfolio) -> list[str]:
    """Companies, not the leaver's own, where the leaver holds reminders or opportunities but
    that have no manager to take them."""
    own = {c.id for c in held.companies}
    items = [*held.reminders, *held.opportunities]
    names = [i.company.name_zh for i in items if i.company_id not in own and i.company.manager_id is None]
    return list(dict.fromkeys(names))


def _hand_over_strays(leaver: User) -> None:
    """Reminders and opportunities the leaver holds on companies managed by someone else go to
    that company's manager (the handover moved those of the leaver's own companies)."""
    rest = portfolio(leaver)
    for reminder in rest.reminders:
        reminder.assignee_id = reminder.company.manager_id
    for opportunity in rest.opportunities:
        opportunity.owner_id = opportunity.company.manager_id
    db.session.flush()


def disable_account(actor: User, user: User) -> None:
    """Disable an account that holds nothing; a manager with a portfolio is handed over first."""
    companies, reminders, opportunities = holdings(user)
    if companies or reminders or opportunities:
        raise ValidationFailed(
            _(
                "Hand over %(companies)s, %(reminders)s and %(opportunities)s before disabling this account.",
                companies=ngettext("%(num)d company", "%(num)d companies", companies),
                reminders=ngettext("%(num)d open reminder", "%(num)d open reminders", reminders),
                opportunities=ngettext(
                    "%(num)d open opportunity", "%(num)d open opportunities", opportunities
                ),
            )
        )
    set_enabled(actor, user, False)
