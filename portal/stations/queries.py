"""What a station's page shows: its notices of today and tomorrow and the live service list."""

from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select

from portal.extensions import db
from portal.quotas.models import PriorityRequest
from portal.stations.access import station_days
from portal.stations.models import Station, VipNotice
from portal.stations.notices import notice_entries
from portal.stations.services import services_of


@dataclass
class StationDay:
    """One service day: the notices sent, and (once a notice went out) who departs with which
    services, each with its done state."""

    day: date
    notices: list[VipNotice] = field(default_factory=list)
    entries: list[dict] = field(default_factory=list)
    services: dict = field(default_factory=dict)  # request id -> [ServiceRequest]


def station_view(station: Station, today: date) -> list[StationDay]:
    """Today's and tomorrow's notices of the station, with their live lists."""
    days = []
    for day in station_days(today):
        notices = list(
            db.session.scalars(
                select(VipNotice)
                .where(VipNotice.station_id == station.id, VipNotice.service_date == day)
                .order_by(VipNotice.seq)
            )
        )
        view = StationDay(day=day, notices=notices)
        if notices:
            view.entries = notice_entries(station.code, day)
            view.services = services_of(e["request_id"] for e in view.entries)
        days.append(view)
    return days


def notice_in_scope(station_id: int, today: date):
    """Conditions for a notice the station's staff may open."""
    return (VipNotice.station_id == station_id, VipNotice.service_date.in_(station_days(today)))


def service_in_scope(station_code: str, today: date):
    """Conditions (on PriorityRequest) for a service the station's staff may mark."""
    return (PriorityRequest.origin == station_code, PriorityRequest.flight_date.in_(station_days(today)))
