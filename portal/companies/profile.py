"""Creating a company and editing its profile: who may, which offices and managers they may
choose, the field rules, the group rules and the de-duplication the import runs too.

`set_profile` is the one place a company's columns are written from a profile (the form and
the import): anything derived from them is set there. The functions flush, never commit.
"""

from datetime import datetime

from flask_babel import gettext as _
from sqlalchemy import Select, inspect, select
from sqlalchemy.exc import IntegrityError

from portal.auth.models import User
from portal.auth.roles import CHANGERS
from portal.companies import credit_code, groups, merge
from portal.companies.access import may_change
from portal.companies.duplicates import find_duplicates, normalize_name
from portal.companies.models import (
    HEADCOUNT_BANDS,
    INDUSTRIES,
    Company,
    CompanyStatusChange,
    ManagerAssignment,
)
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.org.models import SalesOffice

# Column -> longest value (the model's lengths).
TEXT_LIMITS = {"name_zh": 200, "name_en": 200, "city": 50, "address": 300}
PROFILE_FIELDS = ("name_zh", "name_en", "credit_code", "industry", "headcount_band", "city", "address")


class CreditCodeTaken(ValidationFailed):
    """Another company has this credit code: it is the same company."""

    def __init__(self, company: Company, other_reasons: dict | None = None):
        self.company = company
        reasons = dict(other_reasons or {})
        reasons["credit_code"] = [
            _(
                "This credit code belongs to %(name)s (company %(id)s) already.",
                name=company.name_zh,
                id=company.id,
            )
        ]
        super().__init__(reasons)


class SimilarNames(ValidationFailed):
    """Companies with the same normalised name exist: saving needs a confirmation."""

    def __init__(self, companies: list[Company]):
        self.companies = companies
        super().__init__(
            {
                "name_zh": [
                    _(
                        "Companies with a similar name exist. Check they are not this company, "
                        "then confirm to save."
                    )
                ]
            }
        )


def may_create(user: User) -> bool:
    """Admins, branch heads and account managers create companies (in their own scope)."""
    return user.role in CHANGERS


def office_scope(user: User):
    """The open offices the user may put a new company in: all (admin), the branch's (branch
    head), the own office (account manager)."""
    from portal.org.operations import open_offices_query

    stmt = open_offices_query()
    if user.role == "admin":
        return stmt
    if user.role == "branch_head":
        return stmt.where(SalesOffice.branch_id == user.branch_id)
    if user.role == "account_manager":
        return stmt.where(SalesOffice.id == user.office_id)
    return stmt.where(False)


def manager_scope(user: User):
    """The account managers the user may give a new company to: enabled account managers of
    the offices in the user's scope (an account manager: only themselves)."""
    stmt = (
        select(User)
        .where(User.role == "account_manager", User.is_enabled.is_(True))
        .order_by(User.name, User.id)
    )
    if user.role == "account_manager":
        return stmt.where(User.id == user.id)
    offices = office_scope(user).with_only_columns(SalesOffice.id)
    return stmt.where(User.office_id.in_(offices))


def set_profile(company: Company, values: dict) -> None:
    """Write profile values onto the company: the one place its columns are set from a profile
    (the form and the import), so what derives from them is kept here too."""
    for key, value in values.items():
        setattr(company, key, value)


def _text(reasons: dict, values: dict, fields: dict, name: str, required: bool) -> None:
    value = " ".join((fields.get(name) or "").split())
    if not value and required:
        reasons.setdefault(name, []).append(_("This field is required."))
    elif len(value) > TEXT_LIMITS[name]:
        reasons.setdefault(name, []).append(_("Longer than %(limit)s characters.", limit=TEXT_LIMITS[name]))
    values[name] = value or None


def _profile_values(fields: dict, reasons: dict) -> dict:
    """The checked, normalised profile fields (reasons collect what is wrong)."""
    values: dict = {}
    _text(reasons, values, fields, "name_zh", True)
    _text(reasons, values, fields, "name_en", False)
    _text(reasons, values, fields, "city", True)
    _text(reasons, values, fields, "address", False)
    code = credit_code.normalize(fields.get("credit_code") or "")
    if not code:
        reasons.setdefault("credit_code", []).append(_("This field is required."))
    elif not credit_code.is_valid(code):
        reasons.setdefault("credit_code", []).append(
            _("Not a valid unified social credit code: 18 characters with the right check character.")
        )
    values["credit_code"] = code
    for name, allowed in (("industry", INDUSTRIES), ("headcount_band", HEADCOUNT_BANDS)):
        if fields.get(name) not in allowed:
            reasons.setdefault(name, []).append(_("Not a valid choice."))
        values[name] = fields.get(name)
    return values


def _parent(company_id: int | None, raw, reasons: dict) -> int | None:
    """The parent named by an id or a credit code (blank: none), checked against the group rules."""
    raw = "" if raw is None else str(raw).strip()
    if not raw:
        return None
    parent = merge.find_company(raw)
    if parent is None:
        reasons.setdefault("parent_id", []).append(_("No company has this number or credit code."))
        return None
    problems = groups.parent_problems(company_id, parent)
    if problems:
        reasons.setdefault("parent_id", []).extend(problems)
        return None
    return parent.id


def _as_id(raw) -> int | None:
    """A row id from a form value; None for anything that cannot be one (ids are 32-bit)."""
    text = str(raw).strip() if raw is not None else ""
    if not (text.isascii() and text.isdigit()) or int(text) >= 2**31:
        return None
    return int(text)


def _offered(raw: str, offered: Select, model) -> tuple[int | None, object]:
    """The id `raw` names and its `model` row among the `offered` ones (None if not offered)."""
    row_id = _as_id(raw)
    if row_id is None:
        return None, None
    return row_id, db.session.scalar(offered.where(model.id == row_id))


def _placement(actor: User, fields: dict, reasons: dict) -> tuple[int | None, int | None]:
    """The office and manager of a new company, within what the actor may use. A manager's new
    company is in their office and their own unless they say otherwise; branch heads and admins
    may leave the manager open."""
    raw_office, raw_manager = (str(fields.get(name) or "").strip() for name in ("office_id", "manager_id"))
    if actor.role == "account_manager":
        raw_office, raw_manager = raw_office or str(actor.office_id), raw_manager or str(actor.id)
    office_id, office = _offered(raw_office, office_scope(actor), SalesOffice)
    if office is None:
        reasons.setdefault("office_id", []).append(_("Choose one of the offices offered."))
    if not raw_manager:
        return office_id, None
    manager_id, manager = _offered(raw_manager, manager_scope(actor), User)
    if manager is None:
        reasons.setdefault("manager_id", []).append(_("Choose one of the managers offered."))
    elif office is not None and manager.office_id != office.id:
        reasons.setdefault("manager_id", []).append(_("The manager must work in the company's office."))
    return office_id, manager_id


def _check_duplicates(values: dict, exclude: Company | None, confirmed: set[int], reasons: dict) -> None:
    """Refuse a credit code in use; ask to confirm similar names (unless the name is unchanged
    or every similar company was confirmed). Field errors come first."""
    exclude_id = exclude.id if exclude else None
    found = find_duplicates(values["credit_code"], values["name_zh"] or "", exclude_id=exclude_id)
    if found.same_code is not None:
        raise CreditCodeTaken(found.same_code, reasons)
    if reasons:
        raise ValidationFailed(reasons)
    if exclude is not None and normalize_name(exclude.name_zh) == normalize_name(values["name_zh"]):
        return  # the name keeps its meaning: nothing new to confirm
    unconfirmed = [c for c in found.same_name if c.id not in confirmed]
    if unconfirmed:
        raise SimilarNames(found.same_name)


def _write_guarded(company: Company, values: dict) -> None:
    """Write the values and flush inside a savepoint (begun before the change, as beginning one
    flushes what is pending); a credit code taken meanwhile (the unique key, the database's last
    word) rolls the savepoint back and becomes CreditCodeTaken."""
    try:
        with db.session.begin_nested():
            set_profile(company, values)
            db.session.add(company)
            db.session.flush()
    except IntegrityError:
        if inspect(company).pending:
            db.session.expunge(company)
        other = db.session.scalar(select(Company).where(Company.credit_code == values["credit_code"]))
        if other is None:
            raise
        raise CreditCodeTaken(other) from None


def create_company(
    actor: User, fields: dict, *, confirmed: set[int] | frozenset = frozenset(), now: datetime | None = None
) -> Company:
    """Create a prospect from the form's fields (named as the Company columns): checked, placed
    in the actor's scope, de-duplicated, with its first status and manager on the timeline."""
    if not may_create(actor):
        raise NotAllowed(_("You may not create companies."))
    now = now or utcnow()
    reasons: dict = {}
    values = _profile_values(fields, reasons)
    values["office_id"], values["manager_id"] = _placement(actor, fields, reasons)
    values["parent_id"] = _parent(None, fields.get("parent_id"), reasons)
    _check_duplicates(values, None, set(confirmed), reasons)
    company = Company(status="prospect")
    _write_guarded(company, values)
    db.session.add(
        CompanyStatusChange(
            company_id=company.id,
            from_status=None,
            to_status="prospect",
            reason="",
            actor_id=actor.id,
            at=now,
        )
    )
    if company.manager_id is not None:
        db.session.add(
            ManagerAssignment(
                company_id=company.id, manager_id=company.manager_id, assigned_by_id=actor.id, started_at=now
            )
        )
    db.session.flush()
    return company


def update_profile(
    actor: User, company: Company, fields: dict, *, confirmed: set[int] | frozenset = frozenset()
) -> Company:
    """Change the profile (names, credit code, industry, headcount, city, address, parent) with
    the rules of a new company. Office and manager move by handover, not here."""
    if not may_change(actor, company):
        raise NotAllowed(_("You may not change this company's dossier."))
    reasons: dict = {}
    values = _profile_values(fields, reasons)
    values["parent_id"] = _parent(company.id, fields.get("parent_id"), reasons)
    _check_duplicates(values, company, set(confirmed), reasons)
    _write_guarded(company, values)
    return company
