"""A booker's changes: its company's travellers and feedback. They flush, never commit.

The company is always `actor.company_id`: nothing here takes a company from the caller, so a
booker cannot reach another company's rows through these functions.
"""

from datetime import datetime

from flask_babel import gettext as _

from portal.auth.models import User
from portal.companies.models import MEAL_PREFERENCES, SEAT_PREFERENCES, Company, Interaction, Traveller

# The dossier's rules for frequent-flyer numbers (unique among a company's live travellers; a
# removed traveller gives its number up), shared rather than repeated.
from portal.companies.operations import _ff_number_taken, _release_ff_number, erase_traveller
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.notifications.operations import notify
from portal.quotas.queries import live_request_of

MAX_FEEDBACK_CHARS = 4000


def _require_booker(actor: User) -> int:
    if actor.role != "booker" or actor.company_id is None:
        raise NotAllowed(_("Only a company's bookers manage its travellers here."))
    return actor.company_id


def _blank_to_none(value: str | None) -> str | None:
    value = (value or "").strip()
    return value or None


def _traveller_values(
    company_id: int, traveller_id: int | None, *, name, name_en, ff_number, seat_preference, meal_preference
) -> dict:
    reasons: dict = {}
    name = (name or "").strip()
    if not name:
        reasons["name"] = [_("Enter the traveller's name.")]
    ff_number = _blank_to_none(ff_number)
    ff_number = ff_number.upper().replace(" ", "") if ff_number else None
    if ff_number and not ff_number.isalnum():
        reasons["ff_number"] = [_("Use letters and digits only.")]
    elif ff_number and _ff_number_taken(company_id, ff_number, traveller_id):
        reasons["ff_number"] = [_("Another traveller of this company has this frequent-flyer number.")]
    if seat_preference not in SEAT_PREFERENCES:
        reasons["seat_preference"] = [_("Not a valid choice.")]
    if meal_preference not in MEAL_PREFERENCES:
        reasons["meal_preference"] = [_("Not a valid choice.")]
    if reasons:
        raise ValidationFailed(reasons)
    return dict(
        name=name,
        name_en=_blank_to_none(name_en),
        ff_number=ff_number,
        seat_preference=seat_preference,
        meal_preference=meal_preference,
    )


def create_traveller(
    actor: User,
    *,
    name: str | None,
    name_en: str | None = None,
    ff_number: str | None = None,
    seat_preference: str = "none",
    meal_preference: str = "none",
) -> Traveller:
    """Add a traveller to the booker's company (no identity document: that is the account
    manager's, and bookers never see the number)."""
    company_id = _require_booker(actor)
    values = _traveller_values(
        company_id,
        None,
        name=name,
        name_en=name_en,
        ff_number=ff_number,
        seat_preference=seat_preference,
        meal_preference=meal_preference,
    )
    _release_ff_number(company_id, values["ff_number"], None)
    traveller = Traveller(company_id=company_id, **values)
    db.session.add(traveller)
    db.session.flush()
    return traveller


def update_traveller(actor: User, traveller: Traveller, **fields) -> None:
    """Change one of the booker's company's travellers (names, frequent-flyer number,
    preferences); member tier, notes and the identity document stay the manager's."""
    company_id = _require_booker(actor)
    if traveller.company_id != company_id or traveller.deleted_at is not None:
        raise NotAllowed(_("This traveller is not one of your company's."))
    values = _traveller_values(company_id, traveller.id, **fields)
    _release_ff_number(company_id, values["ff_number"], traveller.id)
    for key, value in values.items():
        setattr(traveller, key, value)
    db.session.flush()


def removal_refused(traveller: Traveller, *, now: datetime | None = None) -> str | None:
    """Why the traveller cannot be removed now, or None: a live request (confirmed or
    waitlisted) on a flight still to come, which the booker cancels first."""
    live = live_request_of(traveller.id, now or utcnow())
    if live is None:
        return None
    return _(
        "%(name)s holds a priority request on %(flight)s on %(date)s. "
        "Cancel that request first, then remove the traveller.",
        name=traveller.name,
        flight=live.flight_number,
        date=live.flight_date.isoformat(),
    )


def remove_traveller(actor: User, traveller: Traveller, *, now: datetime | None = None) -> None:
    """Remove one of the booker's company's travellers (soft delete, identity-document number
    erased, audited); refused while `removal_refused` gives a reason."""
    company_id = _require_booker(actor)
    if traveller.company_id != company_id or traveller.deleted_at is not None:
        raise NotAllowed(_("This traveller is not one of your company's."))
    reason = removal_refused(traveller, now=now)
    if reason:
        raise ValidationFailed(reason)
    erase_traveller(traveller)


def send_feedback(actor: User, summary: str | None, *, now: datetime | None = None) -> Interaction:
    """Put the booker's feedback on its company's timeline and tell the account manager."""
    company_id = _require_booker(actor)
    summary = (summary or "").strip()
    if not summary:
        raise ValidationFailed({"summary": [_("Write your feedback.")]})
    if len(summary) > MAX_FEEDBACK_CHARS:
        raise ValidationFailed({"summary": [_("At most %(n)s characters.", n=MAX_FEEDBACK_CHARS)]})
    interaction = Interaction(
        company_id=company_id,
        author_id=actor.id,
        kind="feedback",
        occurred_at=now or utcnow(),
        summary=summary,
    )
    db.session.add(interaction)
    db.session.flush()
    company = db.session.get(Company, company_id)
    if company is not None and company.manager_id is not None:
        notify(
            company.manager_id,
            "feedback_received",
            _("%(booker)s of %(company)s sent feedback.", booker=actor.name, company=company.name_zh),
            f"/companies/{company_id}/timeline",
        )
    return interaction
