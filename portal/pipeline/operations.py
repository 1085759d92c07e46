"""Opportunity operations: create, update, move between stages, mark won or lost.

Every function checks its rules, changes rows and flushes; none commits (the route does).
Input that breaks a rule raises ValidationFailed (field name -> messages); actors without the
right raise NotAllowed. Every stage change writes an OpportunityStageChange; the audit trail
records the row changes through its flush hook.
"""

from dataclasses import dataclass
from datetime import date, timedelta

from flask_babel import gettext as _
from sqlalchemy import select

from portal.agreements import access as agreement_access
from portal.agreements import operations as agreements
from portal.agreements.attainment import add_years
from portal.agreements.models import Agreement
from portal.agreements.queries import active_agreement
from portal.auth.models import User
from portal.auth.roles import CHANGERS, sees_every_branch
from portal.companies.access import may_change, sees_in_full
from portal.companies.models import Company
from portal.db import claim_row, utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.pipeline.models import (
    DEFAULT_PROBABILITY,
    LOST_REASONS,
    OPEN_STAGES,
    OPPORTUNITY_KINDS,
    STAGES,
    Opportunity,
    OpportunityStageChange,
)

MAX_REVENUE_FEN = 10**15  # as agreements: far above any account, far below BigInteger


@dataclass
class Details:
    """What the opportunity form sets."""

    title: str | None
    kind: str | None
    expected_revenue_fen: int | None
    close_date: date | None
    owner_id: int | None
    probability: int | None = None
    next_step: str | None = None
    next_step_on: date | None = None


# --- who may do what --------------------------------------------------------------------


def _branch_or_own(user: User, opportunity: Opportunity, company_rule) -> bool:
    """For branch heads: the opportunity is in their branch; for managers: they own it, or
    `company_rule` (sees in full, may change) allows them its company."""
    if user.role == "branch_head":
        return opportunity.company.office.branch_id == user.branch_id
    if user.role == "account_manager":
        return opportunity.owner_id == user.id or company_rule(user, opportunity.company)
    return False


def may_see(user: User, opportunity: Opportunity) -> bool:
    """Management and admins see all; branch heads their branch; managers their own (as owner
    or on companies they see in full)."""
    return sees_every_branch(user) or _branch_or_own(user, opportunity, sees_in_full)


def may_edit(user: User, opportunity: Opportunity) -> bool:
    """Admins; branch heads in their branch; managers who own it or may change its company."""
    return user.role == "admin" or _branch_or_own(user, opportunity, may_change)


def _require_edit(actor: User, opportunity: Opportunity) -> None:
    if not may_edit(actor, opportunity):
        raise NotAllowed(_("You may not change this opportunity."))


def owner_choices(actor: User, company: Company) -> list[User]:
    """The people the actor may make owner of an opportunity on the company: a manager only
    themself; a branch head or an admin the enabled managers and heads of the company's branch."""
    if actor.role == "account_manager":
        return [actor]
    from portal.org.models import SalesOffice

    people = db.session.scalars(
        select(User)
        .join(User.office)
        .where(
            User.role.in_(("account_manager", "branch_head")),
            User.is_enabled.is_(True),
            SalesOffice.branch_id == company.office.branch_id,
        )
        .order_by(User.name, User.id)
    ).all()
    if actor not in people and actor.role in CHANGERS:
        people = [actor, *people]
    return list(people)


# --- validation --------------------------------------------------------------------------


def _validate(actor: User, company: Company, details: Details, *, current_owner_id: int | None = None):
    reasons: dict[str | None, list[str]] = {}

    def add(name, message):
        reasons.setdefault(name, []).append(message)

    title = (details.title or "").strip()
    if not title:
        add("title", _("Give the opportunity a title."))
    elif len(title) > 200:
        add("title", _("At most 200 characters."))
    if details.kind not in OPPORTUNITY_KINDS:
        add("kind", _("Choose a kind."))
    if details.expected_revenue_fen is None:
        add("expected_revenue", _("Enter the expected annual revenue."))
    elif not (0 <= details.expected_revenue_fen <= MAX_REVENUE_FEN):
        add("expected_revenue", _("The expected revenue must be zero or more."))
    if details.probability is not None and not (0 <= details.probability <= 100):
        add("probability", _("Between 0 and 100."))
    if details.next_step_on is not None and not (details.next_step or "").strip():
        add("next_step", _("Say what the next step is."))
    if details.owner_id != current_owner_id:
        allowed = {u.id for u in owner_choices(actor, company)}
        if details.owner_id not in allowed:
            add("owner_id", _("Choose an owner from the list."))
    if reasons:
        raise ValidationFailed(reasons)


def _record(opportunity: Opportunity, from_stage: str | None, to_stage: str, actor: User | None):
    now = utcnow()
    db.session.add(
        OpportunityStageChange(
            opportunity_id=opportunity.id,
            from_stage=from_stage,
            to_stage=to_stage,
            actor_id=actor.id if actor else None,
            at=now,
        )
    )
    opportunity.stage_changed_at = now


# --- operations --------------------------------------------------------------------------


def create(actor: User, company: Company, details: Details) -> Opportunity:
    """A new opportunity in the lead stage on a prospect or an existing company."""
    if not may_change(actor, company):
        raise NotAllowed(_("You may not start opportunities for this company."))
    if company.status in ("suspended", "closed"):
        raise ValidationFailed(
            _(
                "The company is %(status)s: reopen it before starting an opportunity.",
                status=label(company.status, "company_status"),
            )
        )
    _validate(actor, company, details)
    opportunity = Opportunity(
        company=company,
        title=details.title.strip(),
        kind=details.kind,
        stage="lead",
        expected_revenue_fen=details.expected_revenue_fen,
        probability=details.probability if details.probability is not None else DEFAULT_PROBABILITY["lead"],
        close_date=details.close_date,
        owner_id=details.owner_id,
        next_step=(details.next_step or "").strip() or None,
        next_step_on=details.next_step_on,
    )
    db.session.add(opportunity)
    db.session.flush()
    _record(opportunity, None, "lead", actor)
    db.session.flush()
    return opportunity


def update_details(actor: User, opportunity: Opportunity, details: Details) -> None:
    """Change an open opportunity's title, kind, revenue, probability, dates, owner, next step."""
    _require_edit(actor, opportunity)
    if not opportunity.is_open:
        raise ValidationFailed(
            _(
                "The opportunity is %(stage)s and can no longer be changed.",
                stage=label(opportunity.stage, "opportunity_stage"),
            )
        )
    _validate(actor, opportunity.company, details, current_owner_id=opportunity.owner_id)
    opportunity.title = details.title.strip()
    opportunity.kind = details.kind
    opportunity.expected_revenue_fen = details.expected_revenue_fen
    if details.probability is not None:
        opportunity.probability = details.probability
    opportunity.close_date = details.close_date
    opportunity.owner_id = details.owner_id
    opportunity.next_step = (details.next_step or "").strip() or None
    opportunity.next_step_on = details.next_step_on
    db.session.flush()


def _claim(opportunity: Opportunity, source: str) -> None:
    """Refuse when another request moved the opportunity first (conditional UPDATE)."""
    if not claim_row(db.session, Opportunity, opportunity.id, stage=source):
        raise ValidationFailed(_("Someone else changed this opportunity meanwhile; reload the page."))


def move_stage(
    actor: User,
    opportunity: Opportunity,
    to_stage: str | None,
    *,
    today: date,
    lost_reason: str | None = None,
) -> Agreement | None:
    """Move an open opportunity to another stage; won and lost go through mark_won and
    mark_lost. Returns the agreement a win drafted or renewed, if any."""
    _require_edit(actor, opportunity)
    if to_stage not in STAGES:
        raise ValidationFailed({"stage": [_("Choose a stage.")]})
    if to_stage == "won":
        return mark_won(actor, opportunity, today=today)
    if to_stage == "lost":
        mark_lost(actor, opportunity, lost_reason)
        return None
    _check_open(opportunity)
    if to_stage == opportunity.stage:
        raise ValidationFailed(
            {
                "stage": [
                    _("The opportunity is already at %(stage)s.", stage=label(to_stage, "opportunity_stage"))
                ]
            }
        )
    source = opportunity.stage
    _claim(opportunity, source)
    opportunity.stage = to_stage
    opportunity.probability = DEFAULT_PROBABILITY[to_stage]
    _record(opportunity, source, to_stage, actor)
    db.session.flush()
    return None


def _check_open(opportunity: Opportunity) -> None:
    if not opportunity.is_open:
        raise ValidationFailed(
            {
                "stage": [
                    _(
                        "The opportunity is already %(stage)s: a closed opportunity does not move again; "
                        "start a new one.",
                        stage=label(opportunity.stage, "opportunity_stage"),
                    )
                ]
            }
        )


def mark_lost(actor: User, opportunity: Opportunity, reason: str | None) -> None:
    """Close an open opportunity as lost, with a reason from the list."""
    _require_edit(actor, opportunity)
    _check_open(opportunity)
    if reason not in LOST_REASONS:
        raise ValidationFailed({"lost_reason": [_("Choose why the opportunity was lost.")]})
    source = opportunity.stage
    _claim(opportunity, source)
    opportunity.stage = "lost"
    opportunity.lost_reason = reason
    opportunity.probability = DEFAULT_PROBABILITY["lost"]
    _record(opportunity, source, "lost", actor)
    db.session.flush()


def mark_won(actor: User, opportunity: Opportunity, *, today: date) -> Agreement | None:
    """Close an open opportunity as won and start its agreement.

    A prospect becomes an active company with a draft agreement prefilled from the opportunity
    (commitment = expected revenue; a year from the close date, or from today). An account
    with an active agreement gets a renewal draft of it (or the renewal already drafted); an
    account without one gets a new draft like a prospect. The opportunity links the agreement.
    """
    _require_edit(actor, opportunity)
    _check_open(opportunity)
    company = opportunity.company
    if not may_change(actor, company):
        raise ValidationFailed(
            _("Only the company's account manager, its branch head or an administrator can close a win.")
        )
    source = opportunity.stage
    _claim(opportunity, source)
    current = None if company.status == "prospect" else active_agreement(company.id, today)
    if current is not None:
        agreement = _renewal_of(actor, current, today)
    else:
        agreement = _new_draft(actor, opportunity, today)
    if company.status == "prospect":
        company.status = "active"
    opportunity.stage = "won"
    opportunity.probability = DEFAULT_PROBABILITY["won"]
    opportunity.agreement = agreement
    _record(opportunity, source, "won", actor)
    db.session.flush()
    return agreement


def _renewal_of(actor: User, current: Agreement, today: date) -> Agreement:
    existing = agreement_access.live_renewal(current)
    if existing is not None:
        return existing
    return agreements.renew(actor, current, today=today)


def _new_draft(actor: User, opportunity: Opportunity, today: date) -> Agreement:
    start = opportunity.close_date if opportunity.close_date and opportunity.close_date >= today else today
    terms = agreements.Terms(
        valid_from=start,
        valid_to=add_years(start, 1) - timedelta(days=1),
        commitment_revenue_fen=opportunity.expected_revenue_fen,
        internal_notes=_("From opportunity: %(title)s", title=opportunity.title),
    )
    try:
        return agreements.create_draft(actor, opportunity.company, terms, today=today)
    except ValidationFailed as e:
        # The terms' field names mean nothing on the opportunity's form: show them as one message.
        raise ValidationFailed(
            {"stage": [_("The draft agreement could not be started: %(why)s", why=str(e))]}
        ) from e


def open_stages() -> tuple[str, ...]:
    """The stages an opportunity can be moved between before it closes."""
    return OPEN_STAGES
