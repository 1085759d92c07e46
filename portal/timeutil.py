"""Dates and times in the portal's time zone (Asia/Shanghai by default)."""

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from flask import current_app


def first_of_month(day: date) -> date:
    """The first day of `day`'s month."""
    return day.replace(day=1)


def next_month(day: date) -> date:
    """The first day of the month after `day`'s."""
    return date(day.year + day.month // 12, day.month % 12 + 1, 1)


def whole_months(first: date, last: date) -> tuple[date, date]:
    """The whole calendar months inside first..last (both included), as the first day of the
    first whole month and the first day after the last one; equal or crossed when there is none."""
    start = first if first.day == 1 else next_month(first)
    end = next_month(last) if (last + timedelta(days=1)).day == 1 else first_of_month(last)
    return start, end


def portal_zone() -> ZoneInfo:
    """The portal's time zone."""
    return ZoneInfo(current_app.config["PORTAL_TIMEZONE"])


def local_now() -> datetime:
    """Now, in the portal's time zone (aware)."""
    return datetime.now(UTC).astimezone(portal_zone())


def local_today() -> date:
    """Today's date in the portal's time zone."""
    return local_now().date()


def local_to_utc(value: datetime) -> datetime:
    """A naive wall-clock time in the portal's zone (what a person types) as naive UTC."""
    return value.replace(tzinfo=portal_zone()).astimezone(UTC).replace(tzinfo=None)


def utc_to_local(value: datetime) -> datetime:
    """A naive-UTC time from the database as a naive wall-clock time in the portal's zone."""
    return value.replace(tzinfo=UTC).astimezone(portal_zone()).replace(tzinfo=None)
