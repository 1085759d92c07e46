"""Company import with de-duplication on the credit code and on a normalised name, inside the
file and against the database: a duplicate is reported, never inserted twice."""

import re

from flask_babel import gettext as _
from sqlalchemy import select

from portal.auth.models import STAFF_ROLES, User
from portal.companies import credit_code, profile
from portal.companies.duplicates import code_index, name_index, normalize_name
from portal.companies.models import HEADCOUNT_BANDS, INDUSTRIES, Company
from portal.extensions import db
from portal.imports.reading import BadValue, UnreadableRow, normalize_header, open_sheet, text
from portal.org.models import SalesOffice

ALIASES = {
    "name_zh": ("公司名称", "企业名称", "单位名称", "名称", "name_zh", "name", "company", "company_name"),
    "name_en": ("英文名称", "英文名", "name_en", "english_name"),
    "credit_code": ("统一社会信用代码", "信用代码", "credit_code", "creditcode", "uscc"),
    "industry": ("行业", "所属行业", "industry"),
    "headcount": ("规模", "人数", "员工人数", "headcount", "headcount_band", "size"),
    "city": ("城市", "所在城市", "city"),
    "address": ("地址", "注册地址", "办公地址", "address"),
    "office_code": ("营业部", "营业部代码", "office", "office_code"),
    "manager_email": ("客户经理", "客户经理邮箱", "manager", "manager_email"),
}
HEADER_ALIASES = {normalize_header(name): field for field, names in ALIASES.items() for name in names}
REQUIRED = [("name_zh",), ("credit_code",), ("industry",), ("headcount",), ("city",), ("office_code",)]

INDUSTRY_WORDS = {
    "政府": "government", "政府机关": "government", "机关": "government", "能源": "energy",
    "金融": "finance", "银行": "finance", "科技": "technology", "信息技术": "technology",
    "互联网": "technology",
    "制造": "manufacturing", "制造业": "manufacturing", "电信": "telecom", "通信": "telecom",
    "建筑": "construction", "工程": "construction", "医药": "pharma", "制药": "pharma", "教育": "education",
    "传媒": "media", "媒体": "media", "物流": "logistics", "零售": "retail", "咨询": "consulting",
    "汽车": "automotive",
}  # fmt: skip


def _industry(raw) -> str:
    value = text(raw)
    code = value.lower()
    if code in INDUSTRIES:
        return code
    if value in INDUSTRY_WORDS:
        return INDUSTRY_WORDS[value]
    raise BadValue(_("%(value)s is not a known industry.", value=raw))


def _headcount(raw) -> str:
    value = text(raw).replace(" ", "").replace("人", "").replace(",", "")
    if value in HEADCOUNT_BANDS:
        return value
    if value.isdigit():
        n = int(value)
        for band, limit in zip(HEADCOUNT_BANDS, (100, 500, 2000, 10000, None), strict=True):
            if limit is None or n < limit:
                return band
    raise BadValue(_("%(value)s is not a headcount or a band such as 100-499.", value=raw))


def _limited(raw, limit: int, required: bool = False) -> str | None:
    value = re.sub(r"\s+", " ", text(raw))
    if not value:
        if required:
            raise BadValue(_("The value is missing."))
        return None
    if len(value) > limit:
        raise BadValue(_("Longer than %(limit)s characters.", limit=limit))
    return value


def import_rows(data: bytes, filename: str, outcome, batch, progress) -> None:
    """Validate, de-duplicate and insert the companies of a file into the session's transaction."""
    sheet = open_sheet(data, filename, HEADER_ALIASES, REQUIRED)
    session = db.session
    existing_codes = code_index()
    existing_names = name_index()
    offices = {
        code.upper(): office_id
        for code, office_id in session.execute(select(SalesOffice.code, SalesOffice.id))
    }
    managers = {
        email.lower(): user_id
        for email, user_id in session.execute(
            select(User.email, User.id).where(User.role.in_(STAFF_ROLES), User.is_enabled.is_(True))
        )
    }
    col, label = sheet.columns, sheet.headers
    seen_codes: dict[str, int] = {}
    seen_names: dict[str, int] = {}
    total = rejected = imported = existing = 0

    def get(cells, field):
        i = col.get(field)
        return cells[i] if i is not None and i < len(cells) else None

    errors: list[tuple[str, str, object]] = []
    values: dict = {}

    def check(field, parse, *args):
        try:
            values[field] = parse(*args)
        except BadValue as e:
            errors.append((field, e.args[0], args[0]))

    for line, cells in sheet.rows:
        if isinstance(cells, UnreadableRow):
            total += 1
            rejected += 1
            outcome.reject(line, None, cells.reason)
            continue
        if not any(text(c) for c in cells):
            continue
        total += 1
        errors.clear()
        values.clear()

        check("name_zh", _limited, get(cells, "name_zh"), 200, True)
        check("name_en", _limited, get(cells, "name_en"), 200)
        check("credit_code", _code, get(cells, "credit_code"))
        check("industry", _industry, get(cells, "industry"))
        check("headcount", _headcount, get(cells, "headcount"))
        check("city", _limited, get(cells, "city"), 50, True)
        check("address", _limited, get(cells, "address"), 300)
        check(
            "office_code",
            _lookup,
            get(cells, "office_code"),
            offices,
            _("No sales office has the code %(value)s."),
        )
        if text(get(cells, "manager_email")):
            check("manager_email", _manager, get(cells, "manager_email"), managers)
        if not errors:
            code, name_key = values["credit_code"], normalize_name(values["name_zh"])
            if code in seen_codes:
                errors.append(
                    (
                        "credit_code",
                        _("Duplicate of line %(line)s (same credit code).", line=seen_codes[code]),
                        code,
                    )
                )
            elif name_key in seen_names:
                errors.append(
                    (
                        "name_zh",
                        _("Duplicate of line %(line)s (same name).", line=seen_names[name_key]),
                        values["name_zh"],
                    )
                )
            elif code in existing_codes or name_key in existing_names:
                same = _("same credit code") if code in existing_codes else _("same name")
                company_id = existing_codes.get(code) or existing_names[name_key]
                outcome.reject(
                    line,
                    label.get("name_zh"),
                    _("Already in the portal as company %(id)s (%(same)s).", id=company_id, same=same),
                    values["name_zh"],
                )
                existing += 1
                seen_codes[code] = seen_names[name_key] = line
                continue
            seen_codes[code] = seen_names[name_key] = line
        if errors:
            rejected += 1
            for field, reason, value in errors:
                outcome.reject(line, label.get(field, field), reason, "" if value is None else value)
            continue
        company = Company(status="prospect")
        profile.set_profile(
            company,
            {
                "name_zh": values["name_zh"],
                "name_en": values["name_en"],
                "credit_code": values["credit_code"],
                "industry": values["industry"],
                "headcount_band": values["headcount"],
                "city": values["city"],
                "address": values["address"],
                "office_id": values["office_code"],
                "manager_id": values.get("manager_email"),
            },
        )
        session.add(company)
        imported += 1
        if imported % 500 == 0:
            session.flush()
            if progress:
                progress(total, rejected=rejected, written=imported)
    session.flush()
    if progress:
        progress(total, rejected=rejected, written=imported)
    outcome.rows_total = total
    outcome.rows_imported = imported
    outcome.rows_rejected = rejected
    outcome.rows_existing = existing
    batch.rows_imported = imported


def _code(raw) -> str:
    code = credit_code.normalize(text(raw))
    if not code:
        raise BadValue(_("The value is missing."))
    if not credit_code.is_valid(code):
        raise BadValue(_("%(value)s is not a valid credit code.", value=raw))
    return code


def _lookup(raw, table: dict, message: str):
    value = text(raw).upper()
    if value not in table:
        raise BadValue(message.replace("%(value)s", value or "-"))
    return table[value]


def _manager(raw, managers: dict) -> int:
    email = text(raw).lower()
    if email not in managers:
        raise BadValue(_("No enabled staff account has the email %(value)s.", value=email))
    return managers[email]
