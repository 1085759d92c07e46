"""Stations, station users and key travellers' requests the station tests share."""

from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import object_session

from portal.stations.models import ServiceRequest, Station
from tests import factories
from tests.quotas.helpers import priority_request, quota


def station(session, code: str = "PEK", **kw) -> Station:
    obj = Station(
        code=code,
        name=kw.pop("name", "北京首都国际机场"),
        distribution=kw.pop(
            "distribution", f"ground-{code.lower()}@airport.example\nlounge-{code.lower()}@airport.example"
        ),
    )
    session.add(obj)
    session.flush()
    return obj


def station_user(session, station_obj: Station, **kw):
    return factories.user(session, "station", None, station_id=station_obj.id, **kw)


def world_station(world):
    """The world's PEK station and its staff user (made once per world)."""
    if not hasattr(world, "station_pek"):
        session = object_session(world.agreement_a)
        # Several worlds may share one transaction (the hostile-form walk makes one per role).
        existing = session.scalar(select(Station).where(Station.code == "PEK"))
        world.station_pek = existing or station(session)
        world.station_user = station_user(session, world.station_pek, name="首都机场地服")
    return world.station_pek, world.station_user


def confirmed_on(
    session, agreement, traveller, day: date, *, flight="CA1501", services=(), departure=None, **kw
):
    """A confirmed request for `traveller` departing PEK on `day`, with `services`."""
    month = day.replace(day=1)
    route = {k: kw.pop(k) for k in ("origin", "destination") if k in kw}
    q = kw.pop("quota_obj", None) or quota(session, agreement, month=month, seats=kw.pop("seats", 5), **route)
    req = priority_request(
        session,
        q,
        traveller,
        flight_number=flight,
        flight_date=day,
        **({"departure_at": departure} if departure else {}),
        **kw,
    )
    for name in services:
        session.add(ServiceRequest(request_id=req.id, service=name))
    session.flush()
    return req


def utc(local: datetime) -> datetime:
    """Naive UTC of a Beijing wall-clock time."""
    return local - timedelta(hours=8)
