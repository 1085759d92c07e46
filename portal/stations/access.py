"""Who may do what at a station: predicates the views and templates ask."""

from datetime import date, timedelta

from portal.auth.models import User


def station_days(today: date) -> tuple[date, date]:
    """The service days station staff see: today and tomorrow."""
    return today, today + timedelta(days=1)


def works_at(user: User, station_id: int) -> bool:
    """Whether `user` is station staff of that station."""
    return user.role == "station" and user.station_id is not None and user.station_id == station_id


def may_mark_done(user: User, station_id: int, flight_date: date, today: date) -> bool:
    """Station staff mark the services of their own station's departures of today and tomorrow."""
    return works_at(user, station_id) and flight_date in station_days(today)
