"""Changes to the organisation: branches and sales offices opened, renamed and closed, and
companies moved between offices. Functions flush, never commit: the route commits once."""

import re
from dataclasses import dataclass
from datetime import datetime

from flask_babel import gettext as _
from flask_babel import ngettext
from sqlalchemy import func, select
from sqlalchemy.orm import contains_eager

from portal.audit.trail import one_change, record_event
from portal.auth.models import User
from portal.companies.models import Company
from portal.companies.operations import reassign_manager
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.org.access import may_manage_org
from portal.org.models import Branch, SalesOffice

CODE = re.compile(r"^[A-Z0-9][A-Z0-9-]{0,15}$")
# Companies of these statuses no longer keep an office open (their rows stay as history).
GONE_COMPANY_STATUSES = ("closed",)
MOVE_LIMIT = 500  # companies in one move: a page of choices, not the whole book


def _require_admin(actor: User) -> None:
    if not may_manage_org(actor):
        raise NotAllowed(_("Only administrators change the organisation."))


def _text(reasons: dict, field: str, value: str | None, limit: int, message: str) -> str:
    value = (value or "").strip()
    if not value:
        reasons.setdefault(field, []).append(message)
    elif len(value) > limit:
        reasons.setdefault(field, []).append(_("At most %(n)s characters.", n=limit))
    return value


def _names(reasons: dict, name_zh, name_en, city) -> dict:
    return dict(
        name_zh=_text(reasons, "name_zh", name_zh, 100, _("Enter the Chinese name.")),
        name_en=_text(reasons, "name_en", name_en, 100, _("Enter the English name.")),
        city=_text(reasons, "city", city, 50, _("Enter the city.")),
    )


def _code(reasons: dict, model, code: str | None) -> str:
    code = (code or "").strip().upper()
    if not CODE.match(code):
        reasons.setdefault("code", []).append(
            _("A code is 1 to 16 letters, digits or hyphens, starting with a letter or digit.")
        )
    elif db.session.scalar(select(model.id).where(model.code == code)) is not None:
        reasons.setdefault("code", []).append(_("This code is taken."))
    return code


# --- branches and offices -----------------------------------------------------------------


def create_branch(actor: User, *, code: str, name_zh: str, name_en: str, city: str) -> Branch:
    """Open a branch."""
    _require_admin(actor)
    reasons: dict = {}
    values = _names(reasons, name_zh, name_en, city)
    code = _code(reasons, Branch, code)
    if reasons:
        raise ValidationFailed(reasons)
    branch = Branch(code=code, **values)
    db.session.add(branch)
    db.session.flush()
    return branch


def create_office(
    actor: User, *, branch_id: int | None, code: str, name_zh: str, name_en: str, city: str
) -> SalesOffice:
    """Open a sales office in an open branch."""
    _require_admin(actor)
    reasons: dict = {}
    branch = db.session.get(Branch, branch_id) if branch_id else None
    if branch is None or branch.closed_at is not None:
        reasons["branch_id"] = [_("Choose an open branch.")]
    values = _names(reasons, name_zh, name_en, city)
    code = _code(reasons, SalesOffice, code)
    if reasons:
        raise ValidationFailed(reasons)
    office = SalesOffice(branch_id=branch.id, code=code, **values)
    db.session.add(office)
    db.session.flush()
    return office


def rename(actor: User, unit: Branch | SalesOffice, *, name_zh: str, name_en: str, city: str) -> None:
    """Change a branch's or office's names and city (its code stays: files and imports use it)."""
    _require_admin(actor)
    reasons: dict = {}
    values = _names(reasons, name_zh, name_en, city)
    if reasons:
        raise ValidationFailed(reasons)
    for key, value in values.items():
        setattr(unit, key, value)
    db.session.flush()


@dataclass(frozen=True)
class Occupancy:
    """What still keeps offices open: enabled staff and companies that are not closed."""

    staff: int
    companies: int

    @property
    def empty(self) -> bool:
        return not self.staff and not self.companies


def occupancy(office_ids) -> Occupancy:
    """Enabled staff and live companies of the offices."""
    staff = db.session.scalar(
        select(func.count(User.id)).where(User.office_id.in_(office_ids), User.is_enabled.is_(True))
    )
    companies = db.session.scalar(
        select(func.count(Company.id)).where(
            Company.office_id.in_(office_ids), Company.status.not_in(GONE_COMPANY_STATUSES)
        )
    )
    return Occupancy(staff or 0, companies or 0)


def _refuse_occupied(found: Occupancy, what: str) -> None:
    if found.empty:
        return
    raise ValidationFailed(
        _(
            "%(what)s cannot close: %(staff)s and %(companies)s remain. Move them to another office first.",
            what=what,
            staff=ngettext("%(num)d member of staff", "%(num)d members of staff", found.staff),
            companies=ngettext("%(num)d company", "%(num)d companies", found.companies),
        )
    )


def close_office(actor: User, office: SalesOffice, now: datetime | None = None) -> None:
    """Close an office that no enabled staff and no live company belongs to."""
    _require_admin(actor)
    if office.closed_at is not None:
        raise ValidationFailed(_("This office is closed already."))
    _refuse_occupied(occupancy([office.id]), office.name_zh)
    office.closed_at = now or utcnow()
    db.session.flush()


def close_branch(actor: User, branch: Branch, now: datetime | None = None) -> None:
    """Close a branch whose offices are empty; its offices that are still open close with it."""
    _require_admin(actor)
    if branch.closed_at is not None:
        raise ValidationFailed(_("This branch is closed already."))
    office_ids = [o.id for o in branch.offices]
    _refuse_occupied(occupancy(office_ids), branch.name_zh)
    now = now or utcnow()
    with one_change():
        for office in branch.offices:
            if office.closed_at is None:
                office.closed_at = now
        branch.closed_at = now
        db.session.flush()


def open_offices_query():
    """Offices that take new staff and companies, with their branch, in code order."""
    return (
        select(SalesOffice)
        .join(SalesOffice.branch)
        .options(contains_eager(SalesOffice.branch))
        .where(SalesOffice.closed_at.is_(None), Branch.closed_at.is_(None))
        .order_by(SalesOffice.code)
    )


def check_open_office(office_id: int | None, reasons: dict, *, unchanged_from: int | None = None) -> None:
    """Add a reason when `office_id` names no open office (a row keeping the office it had
    before it closed is left alone: closing an office does not rewrite its history)."""
    if not office_id or office_id == unchanged_from:
        return
    if db.session.scalar(open_offices_query().where(SalesOffice.id == office_id)) is None:
        reasons.setdefault("office_id", []).append(_("Choose an open sales office."))


# --- moving companies -----------------------------------------------------------------------


@dataclass
class Move:
    """What a move did: the companies, the target office, the new manager (if any), its batch."""

    companies: list[Company]
    office: SalesOffice
    manager: User | None
    batch: str


def _new_manager(manager_id: int | None, office: SalesOffice | None, reasons: dict) -> User | None:
    if not manager_id:
        return None
    manager = db.session.scalar(
        select(User).where(User.id == manager_id, User.role == "account_manager", User.is_enabled.is_(True))
    )
    if manager is None or (office is not None and manager.office_id != office.id):
        reasons.setdefault("manager_id", []).append(
            _("Choose an enabled account manager of the target office.")
        )
        return None
    return manager


def move_companies(
    actor: User,
    company_ids,
    office_id: int | None,
    manager_id: int | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Move:
    """Move companies to another office in one audited change. A new manager (of the target
    office) takes over each moved company through the ordinary handover, so its open
    reminders and opportunities follow; one is required when a company's manager is not in
    the target office."""
    _require_admin(actor)
    reasons: dict = {}
    try:
        ids = list(dict.fromkeys(int(i) for i in company_ids or ()))
    except (TypeError, ValueError):
        raise ValidationFailed({"company_ids": [_("Some of the chosen companies do not exist.")]}) from None
    office = db.session.get(SalesOffice, office_id) if office_id else None
    if office is None or office.closed_at is not None or office.branch.closed_at is not None:
        reasons["office_id"] = [_("Choose an open sales office.")]
        office = None
    if not ids:
        reasons["company_ids"] = [_("Choose at least one company.")]
    elif len(ids) > MOVE_LIMIT:
        reasons["company_ids"] = [_("At most %(n)s companies can move at once.", n=MOVE_LIMIT)]
    companies = (
        db.session.scalars(select(Company).where(Company.id.in_(ids)).order_by(Company.id)).all()
        if ids and len(ids) <= MOVE_LIMIT
        else []
    )
    if ids and len(ids) <= MOVE_LIMIT and len(companies) != len(ids):
        reasons["company_ids"] = [_("Some of the chosen companies do not exist.")]
    manager = _new_manager(manager_id, office, reasons)
    if office is not None and companies:
        there = [c.name_zh for c in companies if c.office_id == office.id]
        if there:
            reasons.setdefault("company_ids", []).append(
                _("Already in this office: %(names)s.", names="、".join(there))
            )
        if manager is None and "manager_id" not in reasons:
            stranded = [
                c.name_zh for c in companies if c.manager is not None and c.manager.office_id != office.id
            ]
            if stranded:
                reasons["manager_id"] = [
                    _(
                        "Choose a new manager: the managers of %(names)s are not in the target office.",
                        names="、".join(stranded),
                    )
                ]
    if reasons:
        raise ValidationFailed(reasons)
    now = now or utcnow()
    with one_change() as batch:
        moved = []
        for company in companies:
            moved.append(
                {"id": company.id, "from_office_id": company.office_id, "manager_id": company.manager_id}
            )
            company.office_id = office.id
            db.session.flush()
            if manager is not None and company.manager_id != manager.id:
                reassign_manager(actor, company, manager.id, note=note, now=now)
        record_event(
            "move",
            "sales_office",
            office.id,
            after={
                "companies": moved,
                "office_id": office.id,
                "manager_id": manager.id if manager else None,
            },
        )
    return Move(list(companies), office, manager, batch)
