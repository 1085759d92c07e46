"""Changes to a company's dossier: contacts, key travellers (with their encrypted identity
documents), interactions and complaints, and the handover to another account manager (with
the company's pending reminders and open opportunities).

Every function checks the actor may make the change, flushes, and never commits: the route
commits once. The audit trail records each row change through the flush hook; a reveal of a
document number, which changes no row, is recorded explicitly.
"""

from datetime import datetime, timedelta

from flask import current_app
from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import select
from sqlalchemy.orm import contains_eager

from portal.audit.trail import record_event
from portal.auth.models import User
from portal.companies import secrets
from portal.companies.access import may_change
from portal.companies.models import (
    COMPLAINT_STATUSES,
    CONTACT_ROLES,
    ID_DOCUMENT_TYPES,
    INTERACTION_KINDS,
    MEAL_PREFERENCES,
    MEMBER_TIERS,
    SEAT_PREFERENCES,
    SERVICE_NEEDS,
    VIP_LEVELS,
    Company,
    Contact,
    Interaction,
    ManagerAssignment,
    Traveller,
)
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.notifications.models import Notification
from portal.org.models import SalesOffice
from portal.pipeline.models import OPEN_STAGES, Opportunity
from portal.reminders.models import Reminder

# An interaction may be recorded a little ahead of the server's clock (a laptop's clock drifts),
# but not in the future: planned visits are reminders, not interactions.
CLOCK_SLACK = timedelta(minutes=10)
EARLIEST_INTERACTION = datetime(2000, 1, 1)
# Reminders that are still to be done follow the company to its new manager.
PENDING_REMINDER_STATUSES = ("open", "snoozed")


def _require_change(actor: User, company: Company) -> None:
    if not may_change(actor, company):
        raise NotAllowed(_("You may not change this company's dossier."))


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _check_choice(reasons: dict, field: str, value, allowed) -> None:
    if value not in allowed:
        reasons.setdefault(field, []).append(_("Not a valid choice."))


# --- contacts -----------------------------------------------------------------------------


def _contact_fields(*, name, title, role, phone, email, notes) -> dict:
    reasons: dict = {}
    if not (name or "").strip():
        reasons["name"] = [_("Enter the contact's name.")]
    _check_choice(reasons, "role", role, CONTACT_ROLES)
    if reasons:
        raise ValidationFailed(reasons)
    return dict(
        name=name.strip(),
        title=_blank_to_none(title),
        role=role,
        phone=_blank_to_none(phone),
        email=(_blank_to_none(email) or "").lower() or None,
        notes=_blank_to_none(notes),
    )


def create_contact(actor: User, company: Company, **fields) -> Contact:
    """Add a contact person to the company."""
    _require_change(actor, company)
    contact = Contact(company_id=company.id, **_contact_fields(**fields))
    db.session.add(contact)
    db.session.flush()
    return contact


def update_contact(actor: User, contact: Contact, **fields) -> None:
    """Change a contact's details."""
    _require_change(actor, contact.company)
    for key, value in _contact_fields(**fields).items():
        setattr(contact, key, value)
    db.session.flush()


def delete_contact(actor: User, contact: Contact) -> None:
    """Hide a contact (soft delete: the row and its history stay, the audit shows "delete")."""
    _require_change(actor, contact.company)
    contact.deleted_at = utcnow()
    db.session.flush()


# --- key travellers -----------------------------------------------------------------------


def _ff_number_taken(company_id: int, ff_number: str, traveller_id: int | None) -> bool:
    stmt = select(Traveller.id).where(
        Traveller.company_id == company_id,
        Traveller.ff_number == ff_number,
        Traveller.deleted_at.is_(None),
    )
    if traveller_id is not None:
        stmt = stmt.where(Traveller.id != traveller_id)
    return db.session.scalar(stmt.limit(1)) is not None


def _release_ff_number(company_id: int, ff_number: str | None, traveller_id: int | None) -> None:
    """A removed traveller keeps its frequent-flyer number, but the unique key (company, number)
    must not stop the number being used again: the removed row gives it up (audited)."""
    if not ff_number:
        return
    stmt = select(Traveller).where(
        Traveller.company_id == company_id,
        Traveller.ff_number == ff_number,
        Traveller.deleted_at.is_not(None),
    )
    if traveller_id is not None:
        stmt = stmt.where(Traveller.id != traveller_id)
    for removed in db.session.scalars(stmt):
        removed.ff_number = None
    db.session.flush()


def _apply_document(
    traveller: Traveller, document_type: str | None, number: str | None, clear: bool, reasons: dict
) -> None:
    """Set, keep, replace or remove the traveller's identity document (encrypted and masked)."""
    document_type = document_type or None
    number = secrets.normalise(number or "")
    if document_type is not None and document_type not in ID_DOCUMENT_TYPES:
        reasons.setdefault("id_document_type", []).append(_("Not a valid choice."))
        return
    if clear:
        if number:
            reasons.setdefault("id_document_number", []).append(
                _("Either enter a new number or remove the document, not both.")
            )
            return
        traveller.id_document_type = None
        traveller.id_document_encrypted = None
        traveller.id_document_masked = None
        return
    if number:
        if document_type is None:
            reasons.setdefault("id_document_type", []).append(_("Choose the type of the document."))
            return
        problems = secrets.number_problems(document_type, number)
        if problems:
            reasons.setdefault("id_document_number", []).extend(problems)
            return
        traveller.id_document_type = document_type
        traveller.id_document_encrypted = secrets.encrypt(number)
        traveller.id_document_masked = secrets.mask(number)
        return
    # No number entered: the stored one stays, and its type cannot change without it.
    stored = traveller.id_document_encrypted is not None
    if document_type != traveller.id_document_type and (stored or document_type is not None):
        reasons.setdefault("id_document_number", []).append(
            _("Enter the document number again when you change the document type.")
            if stored
            else _("Enter the document number.")
        )


def _traveller_fields(
    company_id: int,
    traveller_id: int | None,
    *,
    name,
    name_en,
    ff_number,
    member_tier,
    seat_preference,
    meal_preference,
    notes,
    reasons: dict,
    vip_level="none",
    service_needs=(),
) -> dict:
    if not (name or "").strip():
        reasons["name"] = [_("Enter the traveller's name.")]
    ff_number = _blank_to_none(ff_number)
    ff_number = ff_number.upper().replace(" ", "") if ff_number else None
    if ff_number and _ff_number_taken(company_id, ff_number, traveller_id):
        reasons["ff_number"] = [_("Another traveller of this company has this frequent-flyer number.")]
    _check_choice(reasons, "member_tier", member_tier, MEMBER_TIERS)
    _check_choice(reasons, "seat_preference", seat_preference, SEAT_PREFERENCES)
    _check_choice(reasons, "meal_preference", meal_preference, MEAL_PREFERENCES)
    _check_choice(reasons, "vip_level", vip_level, VIP_LEVELS)
    needs = list(dict.fromkeys(service_needs or ()))
    if set(needs) - set(SERVICE_NEEDS):
        reasons["service_needs"] = [_("Choose from the listed needs.")]
    return dict(
        name=(name or "").strip(),
        name_en=_blank_to_none(name_en),
        ff_number=ff_number,
        member_tier=member_tier,
        seat_preference=seat_preference,
        meal_preference=meal_preference,
        notes=_blank_to_none(notes),
        vip_level=vip_level,
        service_needs=[n for n in SERVICE_NEEDS if n in needs] or None,
    )


def create_traveller(
    actor: User,
    company: Company,
    *,
    id_document_type: str | None = None,
    id_document_number: str | None = None,
    **fields,
) -> Traveller:
    """Add a key traveller; an identity-document number is stored encrypted, shown masked."""
    _require_change(actor, company)
    reasons: dict = {}
    values = _traveller_fields(company.id, None, reasons=reasons, **fields)
    traveller = Traveller(company_id=company.id, **values)
    _apply_document(traveller, id_document_type, id_document_number, False, reasons)
    if reasons:
        raise ValidationFailed(reasons)
    _release_ff_number(company.id, traveller.ff_number, None)
    db.session.add(traveller)
    db.session.flush()
    return traveller


def update_traveller(
    actor: User,
    traveller: Traveller,
    *,
    id_document_type: str | None = None,
    id_document_number: str | None = None,
    clear_id_document: bool = False,
    **fields,
) -> None:
    """Change a traveller; a blank number keeps the stored document, a new one replaces it."""
    _require_change(actor, traveller.company)
    reasons: dict = {}
    values = _traveller_fields(traveller.company_id, traveller.id, reasons=reasons, **fields)
    if reasons:
        raise ValidationFailed(reasons)
    # Validate the document before touching the row, so a refused change leaves it as it was.
    probe = Traveller(
        id_document_type=traveller.id_document_type,
        id_document_encrypted=traveller.id_document_encrypted,
        id_document_masked=traveller.id_document_masked,
    )
    _apply_document(probe, id_document_type, id_document_number, clear_id_document, reasons)
    if reasons:
        raise ValidationFailed(reasons)
    _release_ff_number(traveller.company_id, values["ff_number"], traveller.id)
    for key, value in values.items():
        setattr(traveller, key, value)
    for key in ("id_document_type", "id_document_encrypted", "id_document_masked"):
        if getattr(traveller, key) != getattr(probe, key):
            setattr(traveller, key, getattr(probe, key))
    db.session.flush()


def delete_traveller(actor: User, traveller: Traveller) -> None:
    """Hide a traveller (soft delete), the identity-document number erased with it."""
    _require_change(actor, traveller.company)
    erase_traveller(traveller)


def erase_traveller(traveller: Traveller) -> None:
    """The removal itself, whoever removes (a manager or the company's booker): the row stays,
    hidden, so segments and past requests keep their link; the identity-document number is
    erased at the same time: nothing needs it any more, and it is the most sensitive thing the
    dossier holds. The audit trail records the change through the flush."""
    traveller.deleted_at = utcnow()
    traveller.id_document_encrypted = None
    traveller.id_document_masked = None
    db.session.flush()


def may_reveal(user: User, company: Company) -> bool:
    """Who may see a document number in full: admins and the company's own manager or branch
    head (those who may change the dossier); management and other managers may not."""
    return may_change(user, company)


def reveal_id_document(actor: User, traveller: Traveller) -> str:
    """The traveller's document number in clear; the reveal is audited (without the number)."""
    if not may_reveal(actor, traveller.company):
        raise NotAllowed(_("You may not see identity-document numbers of this company."))
    if traveller.id_document_encrypted is None:
        raise ValidationFailed(_("No identity document is recorded for this traveller."))
    number = secrets.decrypt(traveller.id_document_encrypted)
    record_event(
        "reveal",
        "traveller",
        traveller.id,
        company_id=traveller.company_id,
        after={"field": "id_document", "type": traveller.id_document_type},
    )
    return number


# --- interactions and complaints ----------------------------------------------------------


def complaint_due(recorded_at: datetime) -> datetime:
    """When a complaint recorded at `recorded_at` must be resolved (COMPLAINT_SLA_HOURS later;
    calendar hours, so weekends and holidays count: customers wait through them too)."""
    return recorded_at + timedelta(hours=current_app.config["COMPLAINT_SLA_HOURS"])


def record_interaction(
    actor: User,
    company: Company,
    *,
    kind: str,
    occurred_at: datetime,
    summary: str,
    outcome: str | None = None,
    next_step: str | None = None,
    now: datetime | None = None,
) -> Interaction:
    """Record a visit, call, email, meeting, feedback or complaint (times in naive UTC). A
    complaint opens with a due date COMPLAINT_SLA_HOURS after it was recorded."""
    _require_change(actor, company)
    now = now or utcnow()
    reasons: dict = {}
    _check_choice(reasons, "kind", kind, INTERACTION_KINDS)
    if occurred_at is None:
        reasons["occurred_at"] = [_("Enter when it happened.")]
    elif occurred_at > now + CLOCK_SLACK:
        reasons["occurred_at"] = [
            _("This time is in the future: record an interaction once it has happened.")
        ]
    elif occurred_at < EARLIEST_INTERACTION:
        reasons["occurred_at"] = [_("This time is too far in the past.")]
    if not (summary or "").strip():
        reasons["summary"] = [_("Enter a summary.")]
    if reasons:
        raise ValidationFailed(reasons)
    interaction = Interaction(
        company_id=company.id,
        author_id=actor.id,
        kind=kind,
        occurred_at=occurred_at,
        summary=summary.strip(),
        outcome=_blank_to_none(outcome),
        next_step=_blank_to_none(next_step),
    )
    if kind == "complaint":
        interaction.complaint_status = "open"
        interaction.due_at = complaint_due(now)
    db.session.add(interaction)
    db.session.flush()
    return interaction


def set_complaint_status(
    actor: User,
    interaction: Interaction,
    status: str,
    resolution: str | None = None,
    now: datetime | None = None,
) -> None:
    """Move a complaint to open, in progress or resolved. Resolving stamps resolved_at (and the
    resolution, if given, becomes the outcome); reopening a resolved complaint gives it a new
    due date."""
    _require_change(actor, interaction.company)
    now = now or utcnow()
    if interaction.kind != "complaint":
        raise ValidationFailed(_("Only complaints have a status."))
    if status not in COMPLAINT_STATUSES:
        raise ValidationFailed({"status": [_("Not a valid choice.")]})
    resolution = _blank_to_none(resolution)
    if status == interaction.complaint_status and not resolution:
        raise ValidationFailed({"status": [_("The complaint has this status already.")]})
    was_resolved = interaction.complaint_status == "resolved"
    interaction.complaint_status = status
    if status == "resolved":
        if not was_resolved:
            interaction.resolved_at = now
    elif was_resolved:
        interaction.resolved_at = None
        interaction.due_at = complaint_due(now)
    if resolution:
        interaction.outcome = resolution
    db.session.flush()
    if status == "resolved" and not was_resolved:
        from portal.surveys.operations import send_after_complaint  # surveys import companies

        send_after_complaint(interaction, now)


# --- manager handover ---------------------------------------------------------------------


def may_reassign(user: User, company: Company) -> bool:
    """Admins reassign any company; a branch head those of the branch."""
    if user.role == "admin":
        return True
    return user.role == "branch_head" and company.office.branch_id == user.branch_id


def candidates_query(actor: User, company: Company):
    """Who may take the company over: enabled account managers; of the company's branch unless
    the actor is an admin."""
    stmt = (
        select(User)
        .join(User.office)
        .options(contains_eager(User.office))
        .where(User.role == "account_manager", User.is_enabled.is_(True))
        .order_by(SalesOffice.code, User.name, User.id)
    )
    if actor.role != "admin":
        stmt = stmt.where(SalesOffice.branch_id == company.office.branch_id)
    return stmt


def reassign_manager(
    actor: User, company: Company, manager_id: int, note: str | None = None, now: datetime | None = None
) -> ManagerAssignment:
    """Hand the company over to another account manager: the open assignment closes, a new one
    opens, pending reminders and open opportunities follow (the audit trail records each), and
    both managers are told in the portal."""
    if not may_reassign(actor, company):
        raise NotAllowed(_("You may not reassign this company."))
    now = now or utcnow()
    new_manager = db.session.scalar(candidates_query(actor, company).where(User.id == manager_id))
    if new_manager is None:
        raise ValidationFailed(
            {"manager_id": [_("Choose an enabled account manager of the company's branch.")]}
        )
    if new_manager.id == company.manager_id:
        raise ValidationFailed({"manager_id": [_("This manager serves the company already.")]})
    note = _blank_to_none(note)
    previous = company.manager
    for assignment in db.session.scalars(
        select(ManagerAssignment).where(
            ManagerAssignment.company_id == company.id, ManagerAssignment.ended_at.is_(None)
        )
    ):
        assignment.ended_at = now
    assignment = ManagerAssignment(
        company_id=company.id, manager_id=new_manager.id, assigned_by_id=actor.id, started_at=now, note=note
    )
    db.session.add(assignment)
    company.manager_id = new_manager.id
    for reminder in db.session.scalars(
        select(Reminder).where(
            Reminder.company_id == company.id, Reminder.status.in_(PENDING_REMINDER_STATUSES)
        )
    ):
        reminder.assignee_id = new_manager.id
    moved = _move_open_opportunities(company, new_manager)
    link = f"/companies/{company.id}"
    message = _(
        "%(company)s is now in your portfolio (assigned by %(actor)s).",
        company=company.name_zh,
        actor=actor.name,
    )
    if moved:
        message += " " + ngettext(
            "%(num)s open opportunity comes with it.", "%(num)s open opportunities come with it.", moved
        )
    if note:
        message += " " + _("Note: %(note)s", note=note)
    db.session.add(Notification(user_id=new_manager.id, kind="company_assigned", message=message, link=link))
    if previous is not None and previous.id != actor.id:
        db.session.add(
            Notification(
                user_id=previous.id,
                kind="company_handed_over",
                message=_(
                    "%(company)s has been handed over to %(manager)s.",
                    company=company.name_zh,
                    manager=new_manager.name,
                ),
                link=link,
            )
        )
    db.session.flush()
    return assignment


def _move_open_opportunities(company: Company, new_manager: User) -> int:
    """The company's open opportunities pass to its new manager; returns how many moved.

    Whoever owned them (the previous manager, or a colleague who started one) would otherwise
    keep seeing and changing the company's pipeline after the handover. Closed ones keep their
    owner: they are the record of who won or lost them."""
    opportunities = db.session.scalars(
        select(Opportunity).where(
            Opportunity.company_id == company.id,
            Opportunity.stage.in_(OPEN_STAGES),
            Opportunity.owner_id != new_manager.id,
        )
    ).all()
    for opportunity in opportunities:
        opportunity.owner_id = new_manager.id
    return len(opportunities)
