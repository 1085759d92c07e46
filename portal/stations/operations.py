"""Stations and their distribution lists (administrators); services marked done (station staff)."""

import re
from datetime import date

from flask_babel import gettext as _
from sqlalchemy import select

from portal.airports import is_iata_code, not_an_iata_code
from portal.auth.models import User
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.quotas.models import PriorityRequest
from portal.stations.access import may_mark_done
from portal.stations.models import ServiceRequest, Station

EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
MAX_ADDRESSES = 50


def _clean_distribution(text: str | None, reasons: dict) -> str:
    """One address a line (commas and semicolons also separate); each must look like an email."""
    addresses = [a.strip() for a in re.split(r"[\s,;]+", text or "") if a.strip()]
    bad = [a for a in addresses if not EMAIL.match(a) or len(a) > 254]
    if bad:
        reasons["distribution"] = [_("Not an email address: %(addresses)s.", addresses=", ".join(bad[:5]))]
    elif len(addresses) > MAX_ADDRESSES:
        reasons["distribution"] = [_("At most %(n)s addresses.", n=MAX_ADDRESSES)]
    unique = list(dict.fromkeys(a.lower() for a in addresses))
    return "\n".join(unique)


def _require_admin(actor: User) -> None:
    if actor.role != "admin":
        raise NotAllowed(_("Only administrators manage stations."))


def _clean_name(name: str | None, reasons: dict) -> str:
    """The station's name, trimmed; a blank one is a reason."""
    name = (name or "").strip()
    if not name:
        reasons["name"] = [_("Enter the station's name.")]
    return name


def create_station(actor: User, *, code: str, name: str, distribution: str | None) -> Station:
    """A new station (an airport by IATA code) with its distribution list (flushes)."""
    _require_admin(actor)
    reasons: dict = {}
    code = (code or "").strip().upper()
    if not is_iata_code(code):
        reasons["code"] = [not_an_iata_code()]
    elif db.session.scalar(select(Station.id).where(Station.code == code)) is not None:
        reasons["code"] = [_("This station exists already.")]
    name = _clean_name(name, reasons)
    addresses = _clean_distribution(distribution, reasons)
    if reasons:
        raise ValidationFailed(reasons)
    station = Station(code=code, name=name[:100], distribution=addresses)
    db.session.add(station)
    db.session.flush()
    return station


def update_station(actor: User, station: Station, *, name: str, distribution: str | None) -> None:
    """Rename a station or change its distribution list (flushes)."""
    _require_admin(actor)
    reasons: dict = {}
    name = _clean_name(name, reasons)
    addresses = _clean_distribution(distribution, reasons)
    if reasons:
        raise ValidationFailed(reasons)
    station.name = name[:100]
    station.distribution = addresses
    db.session.flush()


def mark_done(actor: User, service: ServiceRequest, *, today: date) -> bool:
    """Mark a per-trip service done; False when it was done already (flushes)."""
    req = db.session.get(PriorityRequest, service.request_id)
    station_id = db.session.scalar(select(Station.id).where(Station.code == req.origin))
    if station_id is None or not may_mark_done(actor, station_id, req.flight_date, today):
        raise NotAllowed(_("This service is not one of your station's."))
    if req.status != "confirmed":
        raise ValidationFailed(_("The request is no longer confirmed."))
    if service.done_at is not None:
        return False
    service.done_at = utcnow()
    service.done_by_id = actor.id
    db.session.flush()
    return True
