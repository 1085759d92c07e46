"""Read helpers for the company pages."""

import re

from sqlalchemy import ColumnElement, Row, Select, and_, bindparam, case, func, or_, select, true
from sqlalchemy.orm import aliased, joinedload

from portal.auth.models import User
from portal.companies.access import (
    full_view_condition,
    has_portfolio,
    listed_condition,
    lists_others_by_name,
    portfolio_condition,
)
from portal.companies.dossier import OPEN_COMPLAINT, has_signals, next_revisit_id
from portal.companies.models import Company, Interaction
from portal.companies.pinyin import pinyin_query
from portal.extensions import db
from portal.org.models import SalesOffice
from portal.reminders.models import Reminder

SORTS = {
    "name": Company.name_pinyin,  # the order Chinese users expect, not the code points
    "city": Company.city,
    "tier": Company.score,  # tiers follow the score
    "score": Company.score,
    "status": Company.status,
}
SORT_CHOICES = tuple(f"{d}{k}" for k in SORTS for d in ("", "-"))
SEARCH_LENGTH = 100
# Sort keys on what a company outside the user's full view does not show (DESIGN §5).
RESTRICTED_SORTS = frozenset({"city", "tier", "score", "status"})
CREDIT_CODE_FRAGMENT = re.compile(r"^[0-9A-Za-z]{4,18}$")


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(q: str, full: ColumnElement[bool] | None = None):
    """Match a Chinese or English name fragment, pinyin of the Chinese name (full or initials:
    `bjfx` finds 北京丰星…), or the start of a credit code (only of the companies matching
    `full`, when given: the others do not show their credit code)."""
    q = q.strip()[:SEARCH_LENGTH]
    fragment = f"%{like_escape(q)}%"
    conditions = [
        Company.name_zh.like(fragment, escape="\\"),
        Company.name_en.ilike(fragment, escape="\\"),
    ]
    pinyin = pinyin_query(q)
    if pinyin:
        # The keys are lowercase letters and digits: nothing in `pinyin` needs escaping.
        conditions.append(Company.name_pinyin.contains(pinyin))
        conditions.append(Company.name_initials.contains(pinyin))
    if CREDIT_CODE_FRAGMENT.match(q):
        code = Company.credit_code.like(f"{like_escape(q.upper())}%", escape="\\")
        conditions.append(code if full is None else and_(full, code))
    return or_(*conditions)


def _name_only(user: User) -> ColumnElement[bool] | None:
    """The condition of the rows the user sees in full when the list also shows others by name
    only; None when every listed row is seen in full."""
    return full_view_condition(user) if lists_others_by_name(user) else None


def _list_conditions(user: User, q: str, tier: str, status: str, portfolio: bool) -> list:
    """What the user may list, searched and filtered (no condition at all when a manager may
    list every name: SQLite cannot count a table's rows by its index under `WHERE 1 = 1`);
    `portfolio` keeps an account manager's own companies only. Tier, status and credit code
    select only among the companies the user sees in full: a company listed by name only is
    never included or left out by what it does not show."""
    listed = portfolio_condition(user) if portfolio and has_portfolio(user) else listed_condition(user)
    conditions = [] if listed is true() else [listed]
    full = _name_only(user)
    if q.strip():
        conditions.append(search_condition(q, full))
    if tier:
        conditions.append(Company.tier == tier)
    if status:
        conditions.append(Company.status == status)
    if full is not None and (tier or status):
        conditions.append(full)
    return conditions


def company_list(
    user: User, q: str = "", sort: str = "name", tier: str = "", status: str = "", portfolio: bool = False
) -> Select:
    """The rows behind /companies/: what the user may list (only their portfolio with
    `portfolio`), searched and sorted, as the columns the list shows; `full` says whether the
    user sees the company in full."""
    stmt = (
        select(
            Company.id,
            Company.name_zh,
            Company.name_en,
            Company.credit_code,
            Company.city,
            Company.tier,
            Company.score,
            Company.status,
            SalesOffice.name_zh.label("office_name_zh"),
            SalesOffice.name_en.label("office_name_en"),
            User.name.label("manager_name"),
            full_view_condition(user).label("full"),
        )
        .join(SalesOffice, SalesOffice.id == Company.office_id)
        .outerjoin(User, User.id == Company.manager_id)
        .where(*_list_conditions(user, q, tier, status, portfolio))
    )
    key = sort.lstrip("-")
    column = SORTS.get(key, Company.name_pinyin)
    full = _name_only(user)
    if full is not None and key in RESTRICTED_SORTS:
        # Companies listed by name only sort as if unscored: after the others, by id.
        column = case((full, column))
    descending = sort.startswith("-")
    if key in ("tier", "score"):
        descending = not descending  # best first by default
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return stmt.order_by(order, Company.name_zh, Company.id)


def company_count(
    user: User, q: str = "", tier: str = "", status: str = "", portfolio: bool = False
) -> Select:
    """How many companies `company_list` has for the same search."""
    return (
        select(func.count()).select_from(Company).where(*_list_conditions(user, q, tier, status, portfolio))
    )


_subsidiary = aliased(Company)
_parent = aliased(Company)
_revisit = aliased(Reminder)
_revisit_assignee = aliased(User)
# Built once, with a bound parameter: the overview runs it on every view, and putting it
# together costs more than running it. The two flags let the overview skip the statements
# for subsidiaries and open complaints, which most companies do not have. Of the parent
# company the overview shows only the name: its whole row would double the columns read.
_DOSSIER_COMPANY = (
    select(
        Company,
        select(_subsidiary.id).where(_subsidiary.parent_id == Company.id).exists().label("has_subsidiaries"),
        select(Interaction.id)
        .where(Interaction.company_id == Company.id, OPEN_COMPLAINT)
        .exists()
        .label("has_open_complaints"),
        has_signals(Company.id).label("has_signals"),
        _parent.name_zh.label("parent_name_zh"),
        _revisit.due_on,
        _revisit.kind,
        _revisit.title,
        _revisit_assignee.name.label("assignee_name"),
    )
    .outerjoin(_parent, _parent.id == Company.parent_id)
    .outerjoin(_revisit, _revisit.id == next_revisit_id(Company.id))
    .outerjoin(_revisit_assignee, _revisit_assignee.id == _revisit.assignee_id)
    .where(Company.id == bindparam("company_id"))
    .options(
        joinedload(Company.manager),
        joinedload(Company.office).joinedload(SalesOffice.branch),
    )
)


def dossier_company(company_id: int) -> Row | None:
    """What the overview shows of the company besides its lists, in one statement: a row of
    the company (with its manager, office and branch), whether it has subsidiaries and open
    complaints, its parent company's name (None without a parent), and its next revisit
    (`dossier.next_revisit_id`) under the names the overview's card reads: due_on, kind,
    title and assignee_name (all None when none is open)."""
    return db.session.execute(_DOSSIER_COMPANY, {"company_id": company_id}).first()


_WITH_MANAGER = (
    select(Company)
    .where(Company.id == bindparam("company_id"))
    .options(joinedload(Company.manager).joinedload(User.office))
)


def with_manager(company_id: int) -> Company | None:
    """The company with its account manager and the manager's office: what a card needs (the
    booker's home, on every view; built once like the dossier's)."""
    return db.session.scalar(_WITH_MANAGER, {"company_id": company_id})
