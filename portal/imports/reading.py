"""Reading exported files: CSV in UTF-8 (with or without BOM) or GB18030/GBK, and XLSX; finding
the header row and mapping its columns to field names; parsing the cell values people type."""

import csv
import io
import re
import unicodedata
import zipfile
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal, InvalidOperation

from flask import current_app
from flask_babel import gettext as _

from portal.errors import ValidationFailed

XLSX_MAGIC = b"PK\x03\x04"
HEADER_SCAN_ROWS = 15  # a title block above the header is common in Excel exports
EXCEL_EPOCH = date(1899, 12, 30)  # Excel's day 0 (its 1900 leap-year bug included)


class FileRefused(ValidationFailed):
    """The file as a whole cannot be read (encoding, format, missing columns, a zip bomb)."""


@dataclass(frozen=True)
class UnreadableRow:
    """A line the CSV reader could not split (a field over the csv module's size limit, a NUL
    character): the importers report it as a rejected row, and the lines after it are read."""

    reason: str


def decode(data: bytes) -> str:
    """UTF-8 (a BOM is dropped), else GB18030 (a superset of GBK and GB2312): tried in order,
    which is deterministic and right for what Chinese Excel and reservation systems write."""
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            return data.decode(encoding)
        except UnicodeDecodeError:
            continue
    raise FileRefused(_("The file is neither UTF-8 nor GB18030/GBK text."))


def normalize_header(text) -> str:
    """A header cell made comparable: NFKC, lower case, without spaces, underscores or brackets."""
    text = unicodedata.normalize("NFKC", str(text or "")).lower()
    return re.sub(r"[\s_\-()\[\]（）/:：*]+", "", text)


@dataclass
class Sheet:
    """The rows of a file after its header: (line number, cells), and the mapped columns."""

    columns: dict[str, int]  # field name -> cell index
    headers: dict[str, str]  # field name -> the header as written in the file
    rows: Iterator[tuple[int, list]]


def records_sheet(records: list[dict], aliases: dict[str, str], labels: dict[str, str]) -> Sheet:
    """A sheet of JSON records keyed by column names: every known field is a column (absent
    keys are empty cells, unknown keys are ignored), line n is the record at index n - 1.
    `labels` names each field in reports. Values must be what a cell holds (text, numbers)."""
    fields = list(dict.fromkeys(aliases.values()))
    position = {field: i for i, field in enumerate(fields)}
    field_of: dict = {}  # key -> field (or None): records repeat the same few keys

    def cells(record: dict) -> list:
        row: list = [None] * len(fields)
        for key, value in record.items():
            if key not in field_of:
                field_of[key] = aliases.get(normalize_header(key))
            field = field_of[key]
            if field is None or row[position[field]] is not None:
                continue
            row[position[field]] = value
        return row

    return Sheet(
        columns=position,
        headers={field: labels.get(field, field) for field in fields},
        rows=((n, cells(record)) for n, record in enumerate(records, start=1)),
    )


def _delimiter(text: str) -> str:
    """Comma, unless tabs, semicolons or bars clearly separate the first lines instead."""
    sample = "\n".join(text[:8192].splitlines()[:HEADER_SCAN_ROWS])
    counts = {d: sample.count(d) for d in (",", "\t", ";", "|")}
    best = max(counts, key=counts.get)
    return best if counts[best] > counts[","] else ","


def _csv_rows(data: bytes) -> Iterator[tuple[int, list | UnreadableRow]]:
    text = decode(data)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=_delimiter(text))
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as e:
            # The reader drops the rest of the offending line and goes on with the next one.
            yield reader.line_num, UnreadableRow(_("The line cannot be read as CSV (%(reason)s).", reason=e))
            continue
        yield reader.line_num, row


def check_xlsx_archive(data: bytes) -> None:
    """Refuse a workbook whose parts would unpack beyond the configured limits (a zip bomb),
    judged from the sizes its zip directory declares, before any part is decompressed.

    The declared sizes bound what openpyxl can read: zipfile never inflates a part beyond its
    declared size (it stops there and the CRC check fails). Small parts may compress well
    (repeated markup), so the ratio is only judged on parts above a megabyte.
    """
    config = current_app.config
    max_bytes = config["IMPORT_XLSX_MAX_UNPACKED_MB"] * 1024 * 1024
    max_ratio = config["IMPORT_XLSX_MAX_RATIO"]
    try:
        with zipfile.ZipFile(io.BytesIO(data)) as archive:
            parts = archive.infolist()
    except (zipfile.BadZipFile, ValueError) as e:
        raise FileRefused(_("The file is not a readable XLSX workbook.")) from e
    if len(parts) > config["IMPORT_XLSX_MAX_PARTS"]:
        raise FileRefused(
            _(
                "The workbook has more than %(limit)s parts; it is refused.",
                limit=config["IMPORT_XLSX_MAX_PARTS"],
            )
        )
    total = 0
    for part in parts:
        total += part.file_size
        if part.file_size > 1024 * 1024 and part.file_size > max_ratio * max(part.compress_size, 1):
            raise FileRefused(
                _(
                    "The workbook is refused: its part %(name)s unpacks to %(ratio)s times its packed "
                    "size (the limit is %(limit)s), as a zip bomb does.",
                    name=part.filename[:100],
                    ratio=part.file_size // max(part.compress_size, 1),
                    limit=max_ratio,
                )
            )
    if total > max_bytes:
        raise FileRefused(
            _(
                "The workbook is refused: it unpacks to %(size)s MB, above the limit of %(limit)s MB.",
                size=total // (1024 * 1024),
                limit=max_bytes // (1024 * 1024),
            )
        )


def _xlsx_rows(data: bytes) -> Iterator[tuple[int, list]]:
    from openpyxl import load_workbook

    check_xlsx_archive(data)
    unreadable = _("The file is not a readable XLSX workbook.")
    try:
        workbook = load_workbook(io.BytesIO(data), read_only=True, data_only=True)
    except Exception as e:  # a damaged or non-workbook zip, XML that defusedxml refuses
        raise FileRefused(unreadable) from e
    try:
        sheet = workbook.worksheets[0]
        try:
            # Read-only sheets are parsed while iterating: bad XML surfaces here, not above.
            for number, row in enumerate(sheet.iter_rows(values_only=True), start=1):
                yield number, list(row)
        except Exception as e:
            raise FileRefused(unreadable) from e
    finally:
        workbook.close()


def estimate_rows(data: bytes) -> int | None:
    """About how many rows a file holds, for a progress bar: its lines (CSV), or None (XLSX)."""
    if data.startswith(XLSX_MAGIC):
        return None
    return max(data.count(b"\n") - 1, 0) or None


def open_sheet(data: bytes, filename: str, aliases: dict[str, str], required: list[tuple[str, ...]]) -> Sheet:
    """The file's rows after its header row, the header found among the first rows as the first
    row naming at least three known columns. `aliases` maps normalised header names to fields;
    each tuple in `required` needs one of its fields present."""
    if data.startswith(XLSX_MAGIC) or filename.lower().endswith((".xlsx", ".xlsm")):
        rows = _xlsx_rows(data)
    else:
        if b"\x00" in data[:4096]:
            raise FileRefused(_("The file is binary, not CSV text or XLSX."))
        rows = _csv_rows(data)
    for number, cells in rows:
        columns, headers = {}, {}
        # An unreadable line is no header; after the header it is reported as a rejected row.
        for index, cell in enumerate([] if isinstance(cells, UnreadableRow) else cells):
            field = aliases.get(normalize_header(cell))
            if field and field not in columns:
                columns[field] = index
                headers[field] = str(cell).strip()
        if len(columns) >= 3:
            missing = [group for group in required if not any(f in columns for f in group)]
            if missing:
                names = ", ".join(" / ".join(group) for group in missing)
                raise FileRefused(
                    _(
                        "The header row (line %(line)s) lacks the columns: %(names)s.",
                        line=number,
                        names=names,
                    )
                )
            return Sheet(columns, headers, rows)
        if number >= HEADER_SCAN_ROWS:
            break
    raise FileRefused(_("No header row with the expected column names in the first rows of the file."))


# --- Values ------------------------------------------------------------------------------------


class BadValue(ValueError):
    """A cell that cannot be read as the value the column needs."""


def text(value) -> str:
    """A cell as clean text: NFKC (full-width digits and letters become ASCII), trimmed."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    value = str(value)
    if not value.isascii():
        value = unicodedata.normalize("NFKC", value)
    return value.strip()


_DATE_FORMATS = (
    re.compile(r"^(\d{4})[-/.](\d{1,2})[-/.](\d{1,2})(?:[ T]\d{1,2}:\d{2}(?::\d{2})?)?$"),
    re.compile(r"^(\d{4})年(\d{1,2})月(\d{1,2})日?$"),
    re.compile(r"^(\d{4})(\d{2})(\d{2})$"),
)


def parse_date(value, earliest: date, latest: date) -> date:
    """2026-03-05, 2026/3/5, 2026.3.5, 20260305, 2026年3月5日, a date cell or an Excel serial."""
    if isinstance(value, datetime):
        day = value.date()
    elif isinstance(value, date):
        day = value
    elif isinstance(value, int | float) and not isinstance(value, bool):
        day = _serial(value)
    else:
        raw = text(value)
        if not raw:
            raise BadValue(_("The date is missing."))
        day = None
        for pattern in _DATE_FORMATS:
            match = pattern.match(raw)
            if match:
                try:
                    day = date(int(match[1]), int(match[2]), int(match[3]))
                except ValueError:
                    raise BadValue(_("%(value)s is not a calendar date.", value=raw)) from None
                break
        if day is None:
            if re.fullmatch(r"\d{5}(\.\d+)?", raw):
                day = _serial(float(raw))
            else:
                raise BadValue(_("%(value)s is not a date (use 2026-03-05).", value=raw))
    if not earliest <= day <= latest:
        raise BadValue(
            _("%(value)s is outside %(low)s to %(high)s.", value=day.isoformat(), low=earliest, high=latest)
        )
    return day


def _serial(number: float) -> date:
    if not 1 <= number < 2_958_466:
        raise BadValue(_("%(value)s is not an Excel date.", value=number))
    return EXCEL_EPOCH + timedelta(days=int(number))


_MONEY_JUNK = re.compile(r"[,\s¥$元]|cny|rmb", re.IGNORECASE)


def parse_money_fen(value, maximum_fen: int) -> int:
    """An amount in CNY as whole fen: thousands separators, ¥/￥, 元, CNY and full-width digits
    are accepted; negative, more than two decimals or above the maximum are refused."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        raw = repr(value)
    else:
        raw = text(value)
    if not raw:
        raise BadValue(_("The amount is missing."))
    cleaned = _MONEY_JUNK.sub("", raw)
    negative = cleaned.startswith("(") and cleaned.endswith(")")
    if negative:
        cleaned = cleaned[1:-1]
    try:
        amount = Decimal(cleaned)
    except InvalidOperation:
        raise BadValue(_("%(value)s is not an amount.", value=raw)) from None
    if not amount.is_finite():
        raise BadValue(_("%(value)s is not an amount.", value=raw))
    if negative or amount < 0:
        raise BadValue(_("%(value)s is negative.", value=raw))
    fen = amount * 100
    if fen != fen.to_integral_value():
        raise BadValue(_("%(value)s has more than two decimals.", value=raw))
    if fen > maximum_fen:
        raise BadValue(
            _("%(value)s is above the limit of %(limit)s CNY.", value=raw, limit=f"{maximum_fen // 100:,}")
        )
    return int(fen)


def parse_int(value, low: int, high: int) -> int:
    """A whole number in [low, high]; "01", "1.0" and full-width digits are accepted."""
    raw = text(value).replace(",", "")
    if raw.endswith(".0"):
        raw = raw[:-2]
    if not raw.isdigit():
        raise BadValue(_("%(value)s is not a whole number.", value=raw or "-"))
    number = int(raw)
    if not low <= number <= high:
        raise BadValue(_("%(value)s is outside %(low)s to %(high)s.", value=number, low=low, high=high))
    return number
