"""Tables as downloads: CSV in UTF-8 with a BOM (so Excel reads Chinese) and one-sheet XLSX
workbooks; a text cell a spreadsheet would read as a formula is neutralised in both."""

import csv
import io

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font

BOM = "\ufeff"
# A cell starting with one of these is a formula to a spreadsheet: names come from imports.
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _neutralised(value):
    """Text that starts like a formula, quoted; anything else as it is."""
    if isinstance(value, str) and value.startswith(FORMULA_START):
        return "'" + value
    return value


def safe_cell(value) -> str:
    """A CSV cell as text; one that a spreadsheet would read as a formula is quoted."""
    return _neutralised("" if value is None else str(value))


def table_csv(header: list[str], rows) -> bytes:
    """A table (translated header, rows of cells) as CSV bytes, UTF-8 with a BOM."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow(["" if v is None else _neutralised(v) for v in row])
    return out.getvalue().encode("utf-8")


def _text_cell(sheet, value: str) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.data_type = "s"  # openpyxl would store "=…" as a formula
    return cell


def table_xlsx(header: list[str], rows, title: str) -> bytes:
    """A table as a one-sheet XLSX workbook (bold header, frozen first row); text is never read
    as a formula."""
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
