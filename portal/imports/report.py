"""An import's report as CSV: UTF-8 with a BOM for Excel, cells that look like formulas neutralised."""

import csv
import io

from flask_babel import gettext as _

BOM = "\ufeff"
FORMULA_START = ("=", "+", "-", "@", "\t", "\r")  # as in the rankings export


def _safe(value) -> str:
    value = "" if value is None else str(value)
    return "'" + value if value.startswith(FORMULA_START) else value


def write_csv(entries: list[dict]) -> str:
    """The rejected rows: line, column, value, reason."""
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow([_("Line"), _("Column"), _("Value"), _("Reason")])
    for e in entries:
        writer.writerow(
            [e.get("line") or "", _safe(e.get("column")), _safe(e.get("value")), _safe(e.get("reason"))]
        )
    return BOM + out.getvalue()
