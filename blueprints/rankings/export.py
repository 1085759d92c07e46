"""The filtered ranking as CSV and XLSX (written as every export is: portal/web/tables.py)."""

from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _

from portal.labels import LABELS
from portal.scoring.engine import COMPONENTS
from portal.scoring.queries import RankingRow
from portal.web.tables import table_csv, table_xlsx

LABELLED = ("industry", "tier", "activity_status")


def headers() -> list[str]:
    """The translated column titles."""
    component_titles = {
        "revenue": _("Revenue percentile"),
        "frequency": _("Frequency percentile"),
        "premium": _("Premium percentile"),
        "growth": _("Growth percentile"),
        "recency": _("Recency percentile"),
        "attainment": _("Attainment percentile"),
    }
    return [
        _("Rank"),
        _("Previous rank"),
        _("Movement"),
        _("Company"),
        _("English name"),
        _("Credit code"),
        _("Branch"),
        _("Office"),
        _("Account manager"),
        _("Industry"),
        _("Tier"),
        _("Activity status"),
        _("Total score"),
        *(component_titles[name] for name in COMPONENTS),
        _("Revenue, last 12 months (CNY)"),
        _("Segments, last 12 months"),
        _("Days since last flight"),
    ]


def _movement(row: RankingRow):
    if row.is_new:
        return _("new")
    return row.movement


def _labels() -> dict[str, dict[str, str]]:
    """The translated labels the cells use, looked up once per file rather than once a cell."""
    return {kind: {value: str(text) for value, text in LABELS[kind].items()} for kind in LABELLED}


def values(row: RankingRow, zh: bool, labels: dict[str, dict[str, str]] | None = None) -> list:
    """One row's cells: numbers as numbers, codes as translated labels."""
    labels = labels or _labels()
    company, snapshot = row.company, row.snapshot
    office = company.office
    return [
        snapshot.rank,
        row.previous_rank,
        _movement(row),
        company.name_zh,
        company.name_en or "",
        company.credit_code,
        office.branch.name_zh if zh else office.branch.name_en,
        office.name_zh if zh else office.name_en,
        company.manager.name if company.manager else "",
        labels["industry"].get(company.industry, company.industry),
        labels["tier"].get(snapshot.tier, snapshot.tier),
        labels["activity_status"].get(snapshot.activity_status, snapshot.activity_status),
        Decimal(snapshot.total),
        *(Decimal(getattr(snapshot, f"pct_{name}")) for name in COMPONENTS),
        Decimal(snapshot.revenue_fen) / 100,
        snapshot.segments,
        snapshot.recency_days,
    ]


def _is_zh() -> bool:
    return str(get_locale()) == "zh"


def to_csv(rows: list[RankingRow]) -> bytes:
    """The rows as CSV text, UTF-8 with a BOM."""
    zh, labels = _is_zh(), _labels()
    return table_csv(headers(), [values(row, zh, labels) for row in rows])


def to_xlsx(rows: list[RankingRow], title: str) -> bytes:
    """The rows as an XLSX workbook with one sheet; text is never read as a formula."""
    zh, labels = _is_zh(), _labels()
    return table_xlsx(headers(), [values(row, zh, labels) for row in rows], title)
