"""Read helpers for the company pages."""

import re

from sqlalchemy import Select, bindparam, or_, select
from sqlalchemy.orm import joinedload

from portal.auth.models import User
from portal.companies.access import listed_condition
from portal.companies.models import Company
from portal.extensions import db
from portal.org.models import SalesOffice

SORTS = {
    "name": Company.name_zh,
    "city": Company.city,
    "tier": Company.score,  # tiers follow the score
    "score": Company.score,
    "status": Company.status,
}
CREDIT_CODE_FRAGMENT = re.compile(r"^[0-9A-Za-z]{4,18}$")


def like_escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")


def search_condition(q: str):
    """Match a Chinese or English name fragment, or the start of a credit code."""
    q = q.strip()[:100]
    fragment = f"%{like_escape(q)}%"
    conditions = [
        Company.name_zh.like(fragment, escape="\\"),
        Company.name_en.ilike(fragment, escape="\\"),
    ]
    if CREDIT_CODE_FRAGMENT.match(q):
        conditions.append(Company.credit_code.like(f"{like_escape(q.upper())}%", escape="\\"))
    return or_(*conditions)


def company_list(user: User, q: str = "", sort: str = "name", tier: str = "", status: str = "") -> Select:
    """The statement behind /companies/: what the user may list, searched and sorted."""
    stmt = (
        select(Company)
        .where(listed_condition(user))
        .options(joinedload(Company.manager), joinedload(Company.office).joinedload(SalesOffice.branch))
    )
    if q.strip():
        stmt = stmt.where(search_condition(q))
    if tier:
        stmt = stmt.where(Company.tier == tier)
    if status:
        stmt = stmt.where(Company.status == status)
    key = sort.lstrip("-")
    column = SORTS.get(key, Company.name_zh)
    descending = sort.startswith("-")
    if key in ("tier", "score"):
        descending = not descending  # best first by default
    order = column.desc().nulls_last() if descending else column.asc().nulls_last()
    return stmt.order_by(order, Company.id)


# Built once, with a bound parameter: the overview runs it on every view, and putting it
# together costs more than running it.
_DOSSIER_COMPANY = (
    select(Company)
    .where(Company.id == bindparam("company_id"))
    .options(
        joinedload(Company.manager),
        joinedload(Company.office).joinedload(SalesOffice.branch),
        joinedload(Company.parent),
    )
)


def dossier_company(company_id: int) -> Company | None:
    """The company with its manager, office, branch and parent company, in one query."""
    return db.session.scalar(_DOSSIER_COMPANY, {"company_id": company_id})


def with_manager_query(company_id: int) -> Select:
    """The company with its account manager and the manager's office: what a card needs."""
    return (
        select(Company)
        .where(Company.id == company_id)
        .options(joinedload(Company.manager).joinedload(User.office))
    )
