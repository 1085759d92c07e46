"""Booking (flown coupon) import: columns by header, every row validated with precompiled
lookups, valid rows inserted in chunks by a bulk writer (portal.bulk) that skips coupons already
stored (same ticket_number and coupon_number), so a re-import changes nothing."""

import os
import re
import sys
import time
from collections.abc import Iterable, Iterator
from datetime import date, timedelta
from itertools import islice

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal import bulk
from portal.agreements.models import Agreement
from portal.airports import is_iata_code
from portal.companies import credit_code
from portal.companies.models import Company, Traveller
from portal.demo import reference
from portal.extensions import db
from portal.imports.reading import (
    BadValue,
    Sheet,
    UnreadableRow,
    normalize_header,
    open_sheet,
    parse_date,
    parse_int,
    text,
)
from portal.segments import rollup
from portal.segments.models import FLOWN_COLUMNS, Segment

CHUNK = 5_000  # rows per bulk write, and per load of the companies and travellers they name
KEYS_PER_QUERY = 500  # values of one IN list (SQLite binds at most 999 in older builds)
MAX_REVENUE_FEN = 1_000_000 * 100  # more than 1,000,000 CNY for one coupon is a typo
MAX_DISTANCE_KM = 20_000
EARLIEST = date(2000, 1, 1)

# Header names as exported (Chinese and English), normalised by normalize_header.
ALIASES = {
    "ticket_number": ("票号", "客票号", "ticket_number", "ticket", "ticket_no", "ticketnumber"),
    "coupon_number": ("航段序号", "航段号", "联号", "coupon", "coupon_number", "coupon_no"),
    "credit_code": ("信用代码", "统一社会信用代码", "credit_code", "creditcode"),
    "agreement_number": ("协议号", "协议编号", "agreement_number", "agreement", "agreement_no"),
    "traveller_name": ("旅客姓名", "旅客", "乘机人", "traveller", "traveler", "passenger", "traveller_name"),
    "flight_number": ("航班号", "航班", "flight", "flight_number", "flight_no"),
    "flight_date": ("航班日期", "乘机日期", "日期", "date", "flight_date"),
    "origin": ("出发", "出发地", "始发", "起飞机场", "origin", "from"),
    "destination": ("到达", "到达地", "目的地", "到达机场", "destination", "to"),
    "cabin": ("舱位", "舱位等级", "舱等", "cabin"),
    "fare_class": ("子舱位", "订座舱位", "fare_class", "booking_class", "class"),
    "net_revenue": ("净收入", "净收入元", "收入", "net_revenue", "revenue", "net_revenue_cny"),
    "distance_km": ("里程", "里程公里", "距离", "distance", "distance_km"),
    # Optional: the roster compliance check matches travellers by it before their name.
    "ff_number": ("常旅客卡号", "常旅客号", "会员卡号", "ff_number", "frequent_flyer", "ffp"),
}
HEADER_ALIASES = {normalize_header(name): field for field, names in ALIASES.items() for name in names}
REQUIRED = [
    ("ticket_number",),
    ("coupon_number",),
    ("credit_code", "agreement_number"),
    ("traveller_name",),
    ("flight_number",),
    ("flight_date",),
    ("origin",),
    ("destination",),
    ("cabin", "fare_class"),
    ("net_revenue",),
]

# Booking classes to cabins: the reference airline's, plus common ones of other carriers.
FARE_CLASS_CABIN = {fare: cabin for cabin, fares in reference.FARE_CLASSES.items() for fare, *_ in fares}
FARE_CLASS_CABIN.update({"P": "F", "I": "C", "W": "W", "S": "Y", "T": "Y", "N": "Y", "X": "Y", "O": "Y"})
CABIN_WORDS = {
    "F": "F", "C": "C", "W": "W", "Y": "Y",
    "头等舱": "F", "FIRST": "F", "公务舱": "C", "商务舱": "C", "BUSINESS": "C",
    "超级经济舱": "W", "高端经济舱": "W", "PREMIUMECONOMY": "W", "经济舱": "Y", "ECONOMY": "Y",
}  # fmt: skip
COLUMNS = (*FLOWN_COLUMNS, "import_batch_id", "ff_number")
_FLIGHT = re.compile(r"[A-Z0-9]{2}\d{1,4}[A-Z]?")
_MONEY_FAST = re.compile(r"([0-9]{1,9})(?:\.([0-9]{1,2}))?")


class _Lookups:
    """Everything a row is checked against: every company's credit code, and the agreements
    and travellers its rows name, loaded chunk by chunk as the rows come (`loading`); memos of
    parsed values."""

    def __init__(self, batch_id: int, today: date):
        # All companies: a few thousand short rows (on PostgreSQL, an IN list of credit codes
        # is planned on their trigram index, and is far slower).
        self.company_by_code = dict(db.session.execute(select(Company.credit_code, Company.id)).all())
        self.company_by_agreement: dict[str, int] = {}  # by the number in upper case
        self.traveller: dict[tuple[int, str], int] = {}  # (company, name) -> id
        self.numbers_asked: set[str] = set()
        self.companies_asked: set[int] = set()  # whose travellers are loaded
        self.latest = today + timedelta(days=366)
        self.batch_id = batch_id
        # Memos: exports repeat the same few airports, dates and flight numbers endlessly.
        self.dates: dict = {}
        self.airports: dict = {}
        self.flights: dict = {}
        self.cabins: dict = {}
        self.distances: dict = {}

    def loading(self, rows: Iterable, code_at: int | None, agreement_at: int | None) -> Iterator:
        """`rows` as they come, each CHUNK of them once what it names is loaded."""
        rows = iter(rows)
        while chunk := list(islice(rows, CHUNK)):
            codes, numbers = set(), set()
            for _line, cells in chunk:
                if isinstance(cells, UnreadableRow):
                    continue
                if code_at is not None and code_at < len(cells):
                    codes.add(cells[code_at])
                if agreement_at is not None and agreement_at < len(cells):
                    numbers.add(cells[agreement_at])
            self.load({text(c) for c in codes}, {text(n).upper() for n in numbers})
            yield from chunk

    def load(self, codes: set[str], numbers: set[str]) -> None:
        """Load the agreements of these numbers (upper case) and the travellers of the companies
        of these credit codes (as written or normalised) and agreements."""
        wanted = sorted(numbers - self.numbers_asked - {""})
        self.numbers_asked.update(wanted)
        # Agreement numbers are ASCII (AG<year>-<company>-<n>): SQL's upper() is Python's then.
        for number, company_id in _where_in(
            select(Agreement.number, Agreement.company_id).order_by(Agreement.id),
            func.upper(Agreement.number),
            wanted,
        ):
            self.company_by_agreement[number.upper()] = company_id
        by_code = self.company_by_code
        named = {by_code.get(code) or by_code.get(credit_code.normalize(code)) for code in codes}
        named |= {self.company_by_agreement.get(number) for number in numbers}
        wanted = sorted(named - self.companies_asked - {None})
        self.companies_asked.update(wanted)
        for traveller_id, company_id, name in _where_in(
            select(Traveller.id, Traveller.company_id, Traveller.name)
            .where(Traveller.deleted_at.is_(None))
            .order_by(Traveller.id),
            Traveller.company_id,
            wanted,
        ):
            self.traveller[(company_id, name)] = traveller_id


def _where_in(statement, column, values: list) -> Iterator:
    """The rows of `statement` whose `column` is one of `values`, KEYS_PER_QUERY at a time."""
    for at in range(0, len(values), KEYS_PER_QUERY):
        yield from db.session.execute(statement.where(column.in_(values[at : at + KEYS_PER_QUERY])))


def _company(row_code: str, row_agreement: str, lk: _Lookups) -> int:
    company_id = None
    if row_code:
        company_id = lk.company_by_code.get(row_code)
        if company_id is None:
            code = credit_code.normalize(row_code)
            if not credit_code.is_valid(code):
                raise BadValue(_("%(value)s is not a valid credit code.", value=row_code))
            company_id = lk.company_by_code.get(code)
            if company_id is None:
                raise BadValue(_("No company has the credit code %(value)s.", value=code))
    if row_agreement:
        by_agreement = lk.company_by_agreement.get(text(row_agreement).upper())
        if by_agreement is None:
            raise BadValue(_("No agreement has the number %(value)s.", value=row_agreement))
        if company_id is not None and by_agreement != company_id:
            raise BadValue(_("The agreement %(value)s belongs to another company.", value=row_agreement))
        company_id = by_agreement
    if company_id is None:
        raise BadValue(_("Neither a credit code nor an agreement number is given."))
    return company_id


def _ticket(raw) -> str:
    if isinstance(raw, str) and len(raw) == 13 and raw.isascii() and raw.isdigit():
        return raw
    value = text(raw).replace("-", "").replace(" ", "")
    if value.endswith(".0"):
        value = value[:-2]
    if "E+" in value.upper():
        raise BadValue(
            _("%(value)s was turned into a number by a spreadsheet; export it as text.", value=raw)
        )
    if not (value.isdigit() and len(value) == 13):
        raise BadValue(_("%(value)s is not a ticket number (13 digits).", value=raw))
    return value


def _airport(raw, lk: _Lookups) -> str:
    code = lk.airports.get(raw)
    if code is None:
        code = text(raw).upper()
        if not is_iata_code(code):
            raise BadValue(_("%(value)s is not a three-letter IATA airport code.", value=raw))
        lk.airports[raw] = code
    return code


def _flight(raw, lk: _Lookups) -> str:
    value = lk.flights.get(raw)
    if value is None:
        value = text(raw).upper().replace(" ", "")
        if not _FLIGHT.fullmatch(value):
            raise BadValue(_("%(value)s is not a flight number.", value=raw))
        lk.flights[raw] = value
    return value


def _cabin(raw_cabin, raw_fare, lk: _Lookups) -> tuple[str, str]:
    key = (raw_cabin, raw_fare)
    value = lk.cabins.get(key)
    if value is not None:
        return value
    cabin_text = text(raw_cabin).upper().replace(" ", "")
    fare = text(raw_fare).upper()
    cabin = CABIN_WORDS.get(cabin_text) if cabin_text else None
    if cabin_text and cabin is None:
        if cabin_text in FARE_CLASS_CABIN:  # a booking class in the cabin column
            cabin, fare = FARE_CLASS_CABIN[cabin_text], fare or cabin_text
        else:
            raise BadValue(
                _("%(value)s is not a cabin (F, C, W, Y) or a known booking class.", value=raw_cabin)
            )
    if fare:
        if len(fare) != 1 or fare not in FARE_CLASS_CABIN:
            raise BadValue(_("%(value)s is not a known booking class.", value=raw_fare))
        if cabin is None:
            cabin = FARE_CLASS_CABIN[fare]
        elif FARE_CLASS_CABIN[fare] != cabin and fare != cabin:
            raise BadValue(
                _("The booking class %(fare)s is not in the cabin %(cabin)s.", fare=fare, cabin=cabin)
            )
    else:
        fare = cabin
    lk.cabins[key] = (cabin, fare)
    return cabin, fare


def _money(raw) -> int:
    if isinstance(raw, str):
        match = _MONEY_FAST.fullmatch(raw)
        if match:
            fen = int(match[1]) * 100 + int((match[2] or "0").ljust(2, "0"))
            if fen > MAX_REVENUE_FEN:
                raise BadValue(
                    _("%(value)s is above the limit of %(limit)s CNY.", value=raw, limit="1,000,000")
                )
            return fen
    from portal.imports.reading import parse_money_fen

    return parse_money_fen(raw, MAX_REVENUE_FEN)


def _distance(raw, origin: str, destination: str, lk: _Lookups) -> int:
    if raw not in (None, ""):
        if isinstance(raw, str) and raw.isascii() and raw.isdigit() and len(raw) < 6:
            value = int(raw)
        else:
            value = parse_int(raw, 0, MAX_DISTANCE_KM)
        if value > MAX_DISTANCE_KM:
            raise BadValue(
                _("%(value)s is outside %(low)s to %(high)s.", value=value, low=0, high=MAX_DISTANCE_KM)
            )
        return value
    key = (origin, destination)
    if key not in lk.distances:
        known = origin in reference.AIRPORTS and destination in reference.AIRPORTS
        lk.distances[key] = reference.great_circle_km(origin, destination) if known else None
    value = lk.distances[key]
    if value is None:
        raise BadValue(_("The distance is missing and the route is not in the reference."))
    return value


def _date(raw, lk: _Lookups) -> date:
    value = lk.dates.get(raw) if isinstance(raw, str) else None
    if value is None:
        value = parse_date(raw, EARLIEST, lk.latest)
        if isinstance(raw, str):
            lk.dates[raw] = value
    return value


class SegmentWriter(bulk.Writer):
    """Chunked writes of prepared row tuples in COLUMNS order; a coupon already stored (same
    ticket and coupon number) is skipped, so a re-import changes nothing."""

    def __init__(self, connection):
        super().__init__(
            connection, Segment.__table__, COLUMNS, ignore_conflicts_on=("ticket_number", "coupon_number")
        )


def import_rows(data: bytes, filename: str, outcome, batch, progress) -> None:
    """Validate and insert every row of a bookings file into the session's transaction."""
    import_sheet(open_sheet(data, filename, HEADER_ALIASES, REQUIRED), outcome, batch, progress)


def import_sheet(sheet: Sheet, outcome, batch, progress) -> None:
    """Validate and insert every row of `sheet` (a file's, or the API's records)."""
    from portal.timeutil import local_today

    session = db.session
    connection = session.connection()
    writer = SegmentWriter(connection)
    lk = _Lookups(batch.id, local_today())
    col = sheet.columns
    label = sheet.headers
    fields = list(ALIASES)
    index = [col.get(f) for f in fields]
    (i_ticket, i_coupon, i_code, i_agreement, i_name, i_flight, i_date, i_origin, i_dest, i_cabin, i_fare,
     i_revenue, i_distance, i_ff) = index  # fmt: skip
    width = max(i for i in index if i is not None) + 1
    seen: dict[tuple[str, int], int] = {}
    sums = rollup.MonthSums(COLUMNS)  # of the rows written, for the rollup
    chunk: list[tuple] = []
    total = rejected = written = 0
    delay = _test_delay()
    traveller_ids = lk.traveller
    keys_by_line = outcome.keys_by_line

    def cell(cells, i):
        return cells[i] if i is not None else None

    errors: list[tuple] = []

    def check(field, parse, *args):
        try:
            return parse(*args)
        except BadValue as e:
            errors.append((field, e.args[0], args[0]))
            return None

    def check_either(first: str, second: str, parse, cells):
        """A value given by one column or another (or both): a problem is reported on the first
        if the sheet has it."""
        i, j = col.get(first), col.get(second)
        return check(first if i is not None else second, parse, (cell(cells, i), cell(cells, j)), lk)

    for line, cells in lk.loading(sheet.rows, i_code, i_agreement):
        if isinstance(cells, UnreadableRow):
            total += 1
            rejected += 1
            outcome.reject(line, None, cells.reason)
            continue
        if not any(c not in (None, "") and not (isinstance(c, str) and c.isspace()) for c in cells):
            continue  # blank lines are not rows
        total += 1
        if len(cells) < width:
            cells = list(cells) + [None] * (width - len(cells))
        errors.clear()

        ticket = check("ticket_number", _ticket, cells[i_ticket])
        coupon = check("coupon_number", _coupon, cells[i_coupon])
        company_id = check_either("credit_code", "agreement_number", _company_cell, cells)
        name = check("traveller_name", _name, cells[i_name])
        flight = check("flight_number", _flight, cells[i_flight], lk)
        day = check("flight_date", _date, cells[i_date], lk)
        origin = check("origin", _airport, cells[i_origin], lk)
        destination = check("destination", _airport, cells[i_dest], lk)
        cabin_fare = check_either("cabin", "fare_class", _cabin_cell, cells)
        revenue = check("net_revenue", _money, cells[i_revenue])
        ff_number = check("ff_number", _ff_number, cell(cells, i_ff))
        distance = None
        if origin and destination:
            if origin == destination:
                errors.append(("destination", _("The destination is the origin."), cells[i_dest]))
            else:
                distance = check(
                    "distance_km", _distance_cell, (cell(cells, i_distance), origin, destination), lk
                )
        if not errors:
            key = (ticket, coupon)
            first = seen.get(key)
            if first is not None:
                errors.append(
                    (
                        "ticket_number",
                        _("Duplicate of line %(line)s (same ticket and coupon).", line=first),
                        ticket,
                    )
                )
            else:
                seen[key] = line
        if errors:
            rejected += 1
            for field, reason, value in errors:
                outcome.reject(line, label.get(field, field), reason, _display(value))
            continue
        if keys_by_line is not None:
            keys_by_line[line] = (ticket, coupon)
        chunk.append(
            (
                ticket,
                coupon,
                company_id,
                traveller_ids.get((company_id, name)),
                name,
                flight,
                day,
                origin,
                destination,
                cabin_fare[0],
                cabin_fare[1],
                revenue,
                distance,
                lk.batch_id,
                ff_number,
            )
        )
        if len(chunk) >= CHUNK:
            writer.write(chunk)
            sums.add(chunk)
            written += len(chunk)
            chunk = []
            if progress:
                progress(total, rejected=rejected, written=written)
            if delay:
                print("import: chunk written", file=sys.stderr, flush=True)
                time.sleep(delay)
    writer.write(chunk)
    sums.add(chunk)
    written += len(chunk)
    if writer.inserted == written:  # every row new (the usual case): add their sums
        sums.add_to_rollup()
    elif writer.inserted:  # some were there already: sum their months again
        sums.refresh()
    if progress:
        progress(total, rejected=rejected, written=written)
    outcome.rows_total = total
    outcome.rows_rejected = rejected
    outcome.rows_imported = writer.inserted
    outcome.rows_existing = total - rejected - writer.inserted


def _coupon(raw) -> int:
    if isinstance(raw, str) and len(raw) == 1 and raw in "1234":
        return int(raw)
    return parse_int(raw, 1, 4)


def _company_cell(pair, lk: _Lookups) -> int:
    code, agreement = pair
    return _company(text(code), text(agreement), lk)


def _cabin_cell(pair, lk: _Lookups) -> tuple[str, str]:
    return _cabin(pair[0], pair[1], lk)


def _distance_cell(triple, lk: _Lookups) -> int:
    raw, origin, destination = triple
    raw = text(raw) if not isinstance(raw, int) else raw
    return _distance(raw, origin, destination, lk)


def _name(raw) -> str:
    name = text(raw)
    if not name:
        raise BadValue(_("The traveller's name is missing."))
    if len(name) > 100:
        raise BadValue(_("The traveller's name is longer than 100 characters."))
    return name


def _ff_number(raw) -> str | None:
    """A frequent-flyer number (optional): letters and digits, at most 20, upper case."""
    number = text(raw)
    if not number:
        return None
    number = number.replace(" ", "").upper()
    if len(number) > 20 or not number.isascii() or not number.isalnum():
        raise BadValue(_("A frequent-flyer number has at most 20 letters and digits."))
    return number


def _display(value) -> str:
    if isinstance(value, tuple):
        return " / ".join(str(v) for v in value if v not in (None, ""))
    return "" if value is None else str(value)


def _test_delay() -> float:
    """Test mode only: seconds to sleep after each chunk (to interrupt an import mid-way)."""
    if not current_app.testing:
        return 0.0
    return float(os.environ.get("PORTAL_IMPORT_TEST_DELAY", "0") or 0)
