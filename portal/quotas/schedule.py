"""The airline's timetable as far as priority requests need it: the route a flight number
flies, the cabins it offers and its scheduled departure (Beijing time).

The timetable is the route reference of the demo world (portal/demo/reference.py): each
listed number flies first -> second airport and the next, even, number flies back (CA1501
out, CA1502 back), every day at a fixed local time per number, the same time the demo seed
gives its requests. A flight that is not in it (a new or seasonal one) can still be requested
when the booker enters its departure time.
"""

import re
from dataclasses import dataclass
from datetime import date, datetime, time
from functools import cache

from portal.demo import reference

FLIGHT_NUMBER = re.compile(r"^([A-Z][A-Z0-9]|[0-9][A-Z])0*(\d{1,4})$")
AIRLINE = "CA"


@dataclass(frozen=True)
class ScheduledFlight:
    """One timetable entry."""

    number: str
    origin: str
    destination: str
    cabins: str  # e.g. "FCY"
    departs: time  # local (Beijing) time


def normalise_flight_number(text: str | None) -> str | None:
    """'ca 01501' -> 'CA1501'; None when the text is not an IATA flight number."""
    if not text:
        return None
    compact = re.sub(r"\s+", "", text).upper()
    match = FLIGHT_NUMBER.match(compact)
    if not match or int(match.group(2)) == 0:
        return None
    return f"{match.group(1)}{int(match.group(2))}"


def departure_time(number: int) -> time:
    """The scheduled local departure time of the airline's flight `number` (07:00-21:45)."""
    hour = 7 + (number * 7) % 15
    minute = (number * 13) % 4 * 15
    return time(hour, minute)


@cache
def _timetable() -> dict[str, ScheduledFlight]:
    flights = {}
    for a, b, cabins, numbers in reference.ROUTES:
        for n in numbers:
            for number, origin, destination in ((n, a, b), (n + 1, b, a)):
                code = f"{AIRLINE}{number}"
                flights[code] = ScheduledFlight(code, origin, destination, cabins, departure_time(number))
    return flights


def scheduled(flight_number: str) -> ScheduledFlight | None:
    """The timetable entry of a (normalised) flight number, or None when it is not listed."""
    return _timetable().get(flight_number)


def local_departure(flight: ScheduledFlight, day: date) -> datetime:
    """The flight's departure on `day` as a naive Beijing wall-clock time."""
    return datetime.combine(day, flight.departs)
