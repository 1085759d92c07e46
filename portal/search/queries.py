"""Search: companies by name (Chinese, its pinyin in full or initials, English) or credit
code, contacts, key travellers and interaction summaries, by substring (two Chinese characters
are enough), limited to what the user may see.

SQLite answers from the FTS5 trigram index (a quoted phrase for three characters or more;
shorter queries scan the index's text); PostgreSQL uses ILIKE, which its pg_trgm GIN indexes
serve. An account manager sees other managers' companies by name only: those are found by
their names alone, and contacts, travellers and interactions come only from companies the user
sees in full. One query per group.
"""

import re
from dataclasses import dataclass, field

from sqlalchemy import Integer, Select, or_, select, text

from portal.auth.models import User
from portal.companies.access import full_view_condition, listed_condition
from portal.companies.models import Company, Contact, Interaction, Traveller
from portal.companies.pinyin import pinyin_query
from portal.extensions import db
from portal.search.ddl import CODES, FTS_TABLE, KINDS

MIN_LENGTH = 2
MAX_LENGTH = 100
LIMIT = 20
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


@dataclass
class Results:
    query: str
    companies: list = field(default_factory=list)
    contacts: list = field(default_factory=list)
    travellers: list = field(default_factory=list)
    interactions: list = field(default_factory=list)
    more: set = field(default_factory=set)

    @property
    def total(self) -> int:
        return len(self.companies) + len(self.contacts) + len(self.travellers) + len(self.interactions)


def normalise(q: str | None) -> str:
    """The query as searched: no control characters, spaces collapsed, length capped."""
    return " ".join(_CONTROL.sub(" ", q or "").split())[:MAX_LENGTH]


def _like_pattern(q: str) -> str:
    return "%" + q.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"


def _fts_ids(q: str, kind: str):
    """SQLite: the ids of `kind` rows whose indexed text contains q (a subquery)."""
    code = CODES[kind]
    if len(q) >= 3:
        # A quoted FTS5 phrase: every character is literal inside double quotes (doubled).
        phrase = '"' + q.replace('"', '""') + '"'
        stmt = text(
            f"SELECT rowid / {KINDS} AS row_id FROM {FTS_TABLE} "
            f"WHERE {FTS_TABLE} MATCH :phrase AND rowid % {KINDS} = {code}"
        ).bindparams(phrase=phrase)
    else:
        # The trigram index needs three characters: shorter queries scan its text.
        stmt = text(
            f"SELECT rowid / {KINDS} AS row_id FROM {FTS_TABLE} "
            f"WHERE instr(lower(body), lower(:needle)) > 0 AND rowid % {KINDS} = {code}"
        ).bindparams(needle=q)
    return stmt.columns(row_id=Integer).subquery()


def _matches(q: str, kind: str, model, columns) -> object:
    if db.session.get_bind().dialect.name == "sqlite":
        ids = _fts_ids(q, kind)
        return model.id.in_(select(ids.c.row_id))
    pattern = _like_pattern(q)
    return or_(*(column.ilike(pattern, escape="\\") for column in columns))


def _limited(stmt, results: Results, name: str) -> list:
    rows = list(db.session.execute(stmt.limit(LIMIT + 1)).all())
    if len(rows) > LIMIT:
        results.more.add(name)
    return rows[:LIMIT]


def _with_company_name(model, *conditions) -> Select:
    """The `model` rows that meet `conditions`, each with its company's Chinese name."""
    return select(model, Company.name_zh).join(Company, model.company_id == Company.id).where(*conditions)


def search(user: User, q: str) -> Results:
    """The grouped results of `q` for `user` (four queries)."""
    q = normalise(q)
    results = Results(query=q)
    if len(q) < MIN_LENGTH:
        return results
    full = full_view_condition(user)
    pattern = _like_pattern(q)
    company_match = _matches(q, "company", Company, (Company.name_zh, Company.name_en, Company.credit_code))
    by_name = [Company.name_zh.ilike(pattern, escape="\\"), Company.name_en.ilike(pattern, escape="\\")]
    pinyin = pinyin_query(q)
    if pinyin:
        # Pinyin of the Chinese name, full or initials (`bjfx` finds 北京丰星…).
        by_pinyin = [Company.name_pinyin.contains(pinyin), Company.name_initials.contains(pinyin)]
        company_match = or_(company_match, *by_pinyin)
        by_name += by_pinyin
    results.companies = _limited(
        select(Company, full.label("in_full"))
        .where(
            company_match,
            listed_condition(user),
            # A company listed by name only is found by its name, never by its credit code.
            or_(full, *by_name),
        )
        .order_by(Company.name_pinyin, Company.name_zh, Company.id),
        results,
        "companies",
    )
    results.contacts = _limited(
        _with_company_name(
            Contact, _matches(q, "contact", Contact, (Contact.name,)), Contact.deleted_at.is_(None), full
        ).order_by(Contact.name, Contact.id),
        results,
        "contacts",
    )
    results.travellers = _limited(
        _with_company_name(
            Traveller,
            _matches(q, "traveller", Traveller, (Traveller.name, Traveller.name_en)),
            Traveller.deleted_at.is_(None),
            full,
        ).order_by(Traveller.name, Traveller.id),
        results,
        "travellers",
    )
    results.interactions = _limited(
        _with_company_name(
            Interaction, _matches(q, "interaction", Interaction, (Interaction.summary,)), full
        ).order_by(Interaction.occurred_at.desc(), Interaction.id.desc()),
        results,
        "interactions",
    )
    return results
