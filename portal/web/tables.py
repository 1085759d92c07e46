"""A table (translated header, rows of cells) as a CSV or XLSX file the way the portal's
exports write them: CSV in UTF-8 with a BOM, so Excel reads Chinese; text never read as a
formula."""

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet: names come from imports.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _safe_text(value):
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would store "=…" as a formula
    return cell


def table_csv(header: list[str], rows: list[list]) -> bytes:
    """The table as CSV text, UTF-8 with a BOM; empty cells for None."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _safe_text(v) for v in row])
    return out.getvalue().encode("utf-8")


def table_xlsx(header: list[str], rows: list[list], title: str) -> bytes:
    """The table as an XLSX workbook with one sheet named `title`, its header bold and frozen."""
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
