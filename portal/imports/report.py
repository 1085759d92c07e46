"""An import's report as CSV: UTF-8 with a BOM for Excel, cells that look like formulas neutralised."""

import csv
import io

from flask_babel import gettext as _

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # as in the rankings export


def safe_cell(value) -> str:
    """A CSV cell as text; one that a spreadsheet would read as a formula is quoted."""
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(entries: list[dict]) -> str:
    """The rejected rows: line, column, value, reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Line"), _("Column"), _("Value"), _("Reason")])
    for e in entries:
        writer.writerow(
            [
                e.get("line") or "",
                safe_cell(e.get("column")),
                safe_cell(e.get("value")),
                safe_cell(e.get("reason")),
            ]
        )
    return BOM + out.getvalue()
