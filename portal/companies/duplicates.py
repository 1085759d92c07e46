"""Telling companies apart: the same credit code is the same company; the same normalised name
probably is. The company import and the company form (new and edit) ask the same questions here."""

import unicodedata
from dataclasses import dataclass, field

from sqlalchemy import select

from portal.companies.models import Company
from portal.extensions import db

# Legal-form suffixes that do not tell companies apart, longest first; "(集团)" loses its
# brackets with the punctuation before these are stripped.
NAME_SUFFIXES = ("股份有限公司", "有限责任公司", "有限公司", "集团公司", "总公司", "公司", "集团")


def normalize_name(name: str) -> str:
    """A company name made comparable: full-width to half-width (NFKC), lower case, spaces and
    punctuation removed, and legal-form suffixes (有限公司, 有限责任公司, 股份有限公司, (集团), ...)
    stripped from the end, repeatedly, so "京华能源（集团）有限公司" equals "京华能源集团股份有限公司"."""
    value = unicodedata.normalize("NFKC", name or "").lower()
    value = "".join(c for c in value if not (c.isspace() or unicodedata.category(c)[0] in "PS"))
    stripped = True
    while stripped:
        stripped = False
        for suffix in NAME_SUFFIXES:
            if value.endswith(suffix) and len(value) > len(suffix):
                value = value[: -len(suffix)]
                stripped = True
                break
    return value


def code_index() -> dict[str, int]:
    """Every company's credit code and its id."""
    return dict(db.session.execute(select(Company.credit_code, Company.id)).all())


def name_index() -> dict[str, int]:
    """Every company's normalised name and the lowest id that has it."""
    index: dict[str, int] = {}
    for company_id, name in db.session.execute(select(Company.id, Company.name_zh).order_by(Company.id)):
        index.setdefault(normalize_name(name), company_id)
    return index


@dataclass
class Duplicates:
    """What already stands for a company about to be saved."""

    same_code: Company | None = None
    same_name: list[Company] = field(default_factory=list)


def find_duplicates(credit_code: str, name_zh: str, *, exclude_id: int | None = None) -> Duplicates:
    """The company with this credit code and the companies whose normalised name equals that of
    `name_zh` (the import's rule), other than `exclude_id` (the company being edited)."""
    found = Duplicates()
    if credit_code:
        stmt = select(Company).where(Company.credit_code == credit_code)
        if exclude_id is not None:
            stmt = stmt.where(Company.id != exclude_id)
        found.same_code = db.session.scalar(stmt)
    key = normalize_name(name_zh)
    if key:
        ids = [
            company_id
            for company_id, name in db.session.execute(select(Company.id, Company.name_zh))
            if company_id != exclude_id and normalize_name(name) == key
        ]
        if ids:
            found.same_name = list(
                db.session.scalars(select(Company).where(Company.id.in_(ids)).order_by(Company.id))
            )
    return found
