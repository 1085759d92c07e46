"""Quotas, requests and dates the quota tests share."""

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from portal.quotas.models import PriorityRequest, Quota
from portal.quotas.queries import next_month
from portal.quotas.schedule import departure_time
from tests import factories

ZONE = ZoneInfo("Asia/Shanghai")


def local_today() -> date:
    return datetime.now(ZONE).date()


def this_month() -> date:
    return local_today().replace(day=1)


def month_after() -> date:
    """Next month: inside the world's agreements, and far enough ahead for any cut-off."""
    return next_month(this_month())


def flight_day(day: int = 15) -> date:
    """A day of next month (at least 10 days ahead)."""
    return month_after().replace(day=day)


def departure_utc(flight: str, day: date) -> datetime:
    """Naive UTC departure of a timetable flight on `day` (Beijing is UTC+8, no DST)."""
    return datetime.combine(day, departure_time(int(flight[2:]))) - timedelta(hours=8)


def quota(session, agreement, **kw) -> Quota:
    """A PEK-SHA economy quota of next month with two seats."""
    obj = Quota(
        agreement_id=agreement.id,
        origin=kw.pop("origin", "PEK"),
        destination=kw.pop("destination", "SHA"),
        cabin=kw.pop("cabin", "Y"),
        month=kw.pop("month", month_after()),
        seats=kw.pop("seats", 2),
        used=kw.pop("used", 0),
        **kw,
    )
    session.add(obj)
    session.flush()
    return obj


def priority_request(session, quota_obj: Quota, traveller, **kw) -> PriorityRequest:
    """A request row written directly (for pages and access tests, not for the rules)."""
    day = kw.pop("flight_date", flight_day())
    flight = kw.pop("flight_number", "CA1501")
    status = kw.pop("status", "confirmed")
    obj = PriorityRequest(
        quota_id=quota_obj.id,
        company_id=traveller.company_id,
        traveller_id=traveller.id,
        requested_by_id=kw.pop("requested_by_id", None),
        flight_number=flight,
        flight_date=day,
        departure_at=kw.pop("departure_at", departure_utc(flight, day)),
        origin=quota_obj.origin,
        destination=quota_obj.destination,
        cabin=quota_obj.cabin,
        status=status,
        priority=kw.pop("priority", 3),
        **kw,
    )
    session.add(obj)
    if status == "confirmed":
        quota_obj.used += 1
    session.flush()
    return obj


def ask_seat(world, traveller=None, *, actor=None, now=None, **kw) -> PriorityRequest:
    """Request CA1501 PEK-SHA economy next month for a traveller of company A (booker A's, unless
    another `actor` asks); keywords override the request's fields."""
    from portal.quotas import operations

    values = dict(
        traveller=traveller or world.traveller_a,
        flight_number="CA1501",
        flight_date=flight_day(),
        origin="PEK",
        destination="SHA",
        cabin="Y",
    )
    values.update(kw)
    return operations.request_seat(actor or world.booker_a, world.company_a, now=now, **values)


def page_text(response) -> str:
    return response.get_data(as_text=True)


def submit_form(client, url, **data):
    """Open the form's page (it must answer 200) and post `data` with its CSRF token."""
    page = client.get(url)
    assert page.status_code == 200, url
    return client.post(url, data={"csrf_token": factories.csrf_from(page), **data})
