"""Review periods: a quarter (2026Q3) or a year (2026), their days and the period before."""

import re
from dataclasses import dataclass
from datetime import date, timedelta

PERIOD = re.compile(r"^(\d{4})(?:Q([1-4]))?$")


@dataclass(frozen=True)
class Period:
    """A review period: its code, first and last day."""

    code: str
    start: date
    end: date

    @property
    def is_quarter(self) -> bool:
        return "Q" in self.code

    def previous(self) -> "Period":
        """The period of the same length just before this one."""
        if self.is_quarter:
            year, q = self.start.year, int(self.code[-1])
            return parse(f"{year - 1}Q4" if q == 1 else f"{year}Q{q - 1}")
        return parse(str(self.start.year - 1))

    def months(self) -> list[date]:
        """The first day of each month of the period."""
        result, day = [], self.start
        while day <= self.end:
            result.append(day)
            day = date(day.year + (day.month == 12), day.month % 12 + 1, 1)
        return result


def parse(code: str) -> Period:
    """A Period from "2026Q3" or "2026"; ValueError for anything else."""
    match = PERIOD.match((code or "").strip().upper())
    if not match or not 2000 <= int(match.group(1)) <= 2100:
        raise ValueError(f"not a period: {code!r} (expected YYYYQn, e.g. 2026Q3, or YYYY)")
    year = int(match.group(1))
    if match.group(2):
        q = int(match.group(2))
        start = date(year, 3 * q - 2, 1)
        end = date(year + (q == 4), (3 * q) % 12 + 1, 1) - timedelta(days=1)
        return Period(f"{year}Q{q}", start, end)
    return Period(str(year), date(year, 1, 1), date(year, 12, 31))


def current_quarter(today: date) -> Period:
    """The quarter `today` falls in."""
    return parse(f"{today.year}Q{(today.month - 1) // 3 + 1}")


def last_complete_quarter(today: date) -> Period:
    """The last quarter that has ended before `today`."""
    return current_quarter(today).previous()
