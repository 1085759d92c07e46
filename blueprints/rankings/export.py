"""The filtered ranking as CSV (UTF-8 with a BOM, so Excel reads Chinese) and as XLSX."""

import csv
import io
from decimal import Decimal

from flask_babel import get_locale
from flask_babel import gettext as _
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

from portal.labels import LABELS
from portal.scoring.engine import COMPONENTS
from portal.scoring.queries import RankingRow

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet: names come from imports.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")
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


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def to_csv(rows: list[RankingRow]) -> bytes:
    """The rows as CSV text, UTF-8 with a BOM."""
    zh, labels = _is_zh(), _labels()
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(headers())
    for row in rows:
        writer.writerow(["" if v is None else _safe_text(v) for v in values(row, zh, labels)])
    return out.getvalue().encode("utf-8")


def to_xlsx(rows: list[RankingRow], title: str) -> bytes:
    """The rows as an XLSX workbook with one sheet; text is never read as a formula."""
    zh, labels = _is_zh(), _labels()
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for text in headers():
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_text_cell(sheet, v) if isinstance(v, str) else v for v in values(row, zh, labels)])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would store "=…" as a formula
    return cell


def table_csv(header: list[str], rows: list[list]) -> bytes:
    """Any table (translated header, rows of cells) as CSV the way the ranking is written."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_text(v) for v in row])
    return out.getvalue().encode("utf-8")


def table_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    """Any table as a one-sheet XLSX workbook the way the ranking is written."""
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=title[:31])
    sheet.freeze_panes = "A2"
    bold = Font(bold=True)
    header_cells = []
    for text in header:
        cell = WriteOnlyCell(sheet, value=text)
        cell.font = bold
        header_cells.append(cell)
    sheet.append(header_cells)
    for row in rows:
        sheet.append([_text_cell(sheet, v) if isinstance(v, str) else v for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
