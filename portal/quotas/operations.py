"""Priority quotas: managing quotas, requesting and cancelling protected seats, the waitlist.

The rules (DESIGN §4 "Priority quotas"): a request under a quota of the company's active
agreement is confirmed while seats remain and waitlisted otherwise; the waitlist is served by
company tier (platinum first) and then request time; cancelling a confirmed request frees its
seat and promotes the first in line in the same transaction; requests close 24 hours before
departure; waitlisted requests whose flight has left expire.

Never oversold (DESIGN §8 "Limited stock"). Confirmed requests never exceed a quota's seats,
under any concurrency, across processes, on SQLite and PostgreSQL:

- A seat is taken by ONE atomic conditional statement,
  ``UPDATE quota SET used = used + 1 WHERE id = :id AND used < seats``, and its row count
  decides: 1 -> the request is inserted as confirmed, 0 -> as waitlisted, in the same
  transaction. A seat is given back by ``... SET used = used - 1 WHERE id = :id AND used > 0``.
  No read-check-write anywhere: ``used`` is never computed in Python.
- Every change of a request's status is conditional on the status it is expected to have
  (``UPDATE priority_request SET status = ... WHERE id = :id AND status = :expected``), so two
  cancellations of one request free one seat, and a promotion never confirms a request that
  was cancelled meanwhile.
- Everything that touches a quota's seats or its waitlist holds the quota row's lock until it
  commits: on PostgreSQL the conditional UPDATE locks the row (and a waitlisted insert takes
  it with SELECT ... FOR UPDATE, because an UPDATE that matched nothing locked nothing); on
  SQLite every write transaction begins with BEGIN IMMEDIATE (portal/db.py), so writers run
  one at a time. Hence a cancellation sees every waitlisted request committed before it, and
  no request is waitlisted while a seat is free once the writers are done.
- A partial unique index (one live request per traveller, flight and date) is the database's
  last word against double booking; a savepoint around claim and insert gives the seat back
  when that index refuses the row.

Like every operation module, these functions flush and never commit: the route (or the job)
commits once. The seat and status changes are Core statements that bypass the audit flush
hook, so they are written to the trail with `record_bulk`.
"""

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import func, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from portal.agreements.models import CABINS, Agreement
from portal.airports import is_iata_code, not_an_iata_code
from portal.api import webhooks
from portal.audit.trail import record_bulk
from portal.auth.models import User
from portal.companies.access import may_change
from portal.companies.models import Company, Traveller
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.notifications.operations import notify
from portal.quotas import schedule
from portal.quotas.models import LIVE_STATUSES, PriorityRequest, Quota
from portal.quotas.queries import WAITLIST_ORDER, last_day, month_text, next_month, waitlist_positions
from portal.stations import services as trip_services
from portal.timeutil import local_to_utc, utc_to_local

CUTOFF = timedelta(hours=24)  # requests close this long before departure
MAX_SEATS = 999
# Quotas are set while an agreement is drafted, approved or in force; not once it has ended.
QUOTA_EDITABLE_STATUSES = ("draft", "pending_approval", "active")
TIER_PRIORITY = {"platinum": 0, "gold": 1, "silver": 2, "standard": 3}
DEFAULT_PRIORITY = 3
STATUS_ATTEMPTS = 3
SELF_REQUESTS_LINK = "/self/requests"
WEBHOOK_EVENTS = {
    "quota_confirmed": "request.confirmed",
    "quota_waitlisted": "request.waitlisted",
    "quota_promoted": "request.promoted",
}

_quota = Quota.__table__
_request = PriorityRequest.__table__


def priority_of(company: Company) -> int:
    """The waitlist priority of the company's requests: its tier, platinum first."""
    return TIER_PRIORITY.get(company.tier or "", DEFAULT_PRIORITY)


def _require_quota_change(actor: User, agreement: Agreement) -> None:
    if not may_change(actor, agreement.company):
        raise NotAllowed(_("You may not change this agreement's quotas."))
    if agreement.status not in QUOTA_EDITABLE_STATUSES:
        raise ValidationFailed(
            _(
                "The agreement is %(status)s: its quotas can no longer change.",
                status=label(agreement.status, "agreement_status"),
            )
        )


def _may_request(actor: User, company_id: int) -> bool:
    """The company's own bookers, and staff who may change the company, request its seats."""
    if actor.role == "booker":
        return actor.company_id == company_id
    company = db.session.get(Company, company_id)
    return company is not None and may_change(actor, company)


def month_in_validity(agreement: Agreement, month: date) -> bool:
    """Whether any day of `month` lies within the agreement's validity."""
    return month <= agreement.valid_to and last_day(month) >= agreement.valid_from


# --- seats: the only places `used` changes ---------------------------------------------


def _claim_seat(quota_id: int) -> bool:
    """Take one seat if one is left: one atomic conditional UPDATE; True when it matched."""
    result = db.session.execute(
        update(_quota)
        .where(_quota.c.id == quota_id, _quota.c.used < _quota.c.seats)
        .values(used=_quota.c.used + 1)
    )
    return result.rowcount == 1


def _release_seat(quota_id: int) -> bool:
    """Give one seat back (never below zero); True when it matched."""
    result = db.session.execute(
        update(_quota).where(_quota.c.id == quota_id, _quota.c.used > 0).values(used=_quota.c.used - 1)
    )
    return result.rowcount == 1


def _lock_quota(quota_id: int) -> None:
    """Hold the quota row's lock until commit (PostgreSQL; SQLite writers are serialized by
    BEGIN IMMEDIATE already, and FOR UPDATE compiles to nothing there)."""
    db.session.execute(select(_quota.c.id).where(_quota.c.id == quota_id).with_for_update())


def _set_status(request_id: int, expected: str, status: str, **stamps) -> bool:
    """Move a request from `expected` to `status` if it still is `expected`; True when it was."""
    result = db.session.execute(
        update(_request)
        .where(_request.c.id == request_id, _request.c.status == expected)
        .values(status=status, **stamps)
    )
    return result.rowcount == 1


def _audit_seats(quota_id: int, company_id: int, delta: int, request_id: int) -> None:
    record_bulk("quota", [(quota_id, company_id, None, {"used": f"{delta:+d}", "request_id": request_id})])


def _audit_status(req_id: int, company_id: int, before: str, after: str) -> None:
    record_bulk("priority_request", [(req_id, company_id, {"status": before}, {"status": after})])


def _describe(req: PriorityRequest) -> dict:
    return dict(
        traveller=req.traveller.name,
        flight=req.flight_number,
        date=req.flight_date.isoformat(),
        route=f"{req.origin}–{req.destination}",
        cabin=label(req.cabin, "cabin"),
    )


def _tell(req: PriorityRequest, kind: str, message: str) -> None:
    """Tell the requester in the portal, and the systems subscribed to the event."""
    if req.requested_by_id is not None:
        notify(req.requested_by_id, kind, message, SELF_REQUESTS_LINK)
    event = WEBHOOK_EVENTS.get(kind)
    if event is not None:
        webhooks.emit(event, req.company_id, webhook_data(req), key=f"{req.id}:{event}")


def webhook_data(req: PriorityRequest) -> dict:
    """A request as webhooks describe it."""
    return {
        "request_id": req.id,
        "status": req.status,
        "traveller_id": req.traveller_id,
        "flight_number": req.flight_number,
        "flight_date": req.flight_date.isoformat(),
        "origin": req.origin,
        "destination": req.destination,
        "cabin": req.cabin,
    }


# --- managing quotas (account managers, branch heads, admins) ---------------------------


@dataclass
class QuotaFields:
    """What the quota form sets."""

    origin: str | None
    destination: str | None
    cabin: str | None
    month: date | None  # first day of the month
    seats: int | None


def _quota_reasons(agreement: Agreement, fields: QuotaFields, quota: Quota | None) -> dict:
    reasons: dict = {}
    origin = (fields.origin or "").strip().upper()
    destination = (fields.destination or "").strip().upper()
    for name, code in (("origin", origin), ("destination", destination)):
        if not is_iata_code(code):
            reasons[name] = [not_an_iata_code()]
    if "origin" not in reasons and origin == destination:
        reasons["destination"] = [_("The destination must differ from the origin.")]
    if fields.cabin not in CABINS:
        reasons["cabin"] = [_("Choose first (F), business (C), premium economy (W) or economy (Y).")]
    if fields.month is None:
        reasons["month"] = [_("A month as YYYY-MM, e.g. 2026-03.")]
    elif not month_in_validity(agreement, fields.month):
        reasons["month"] = [
            _(
                "The agreement is valid from %(start)s to %(end)s: choose a month within that time.",
                start=agreement.valid_from.isoformat(),
                end=agreement.valid_to.isoformat(),
            )
        ]
    if fields.seats is None or not 1 <= fields.seats <= MAX_SEATS:
        reasons["seats"] = [_("Between 1 and %(max)s seats.", max=MAX_SEATS)]
    elif quota is not None and fields.seats < quota.used:
        reasons["seats"] = [
            _("%(n)s seats are confirmed already: the quota cannot have fewer.", n=quota.used)
        ]
    if not reasons:
        clash = select(Quota.id).where(
            Quota.agreement_id == agreement.id,
            Quota.origin == origin,
            Quota.destination == destination,
            Quota.cabin == fields.cabin,
            Quota.month == fields.month,
        )
        if quota is not None:
            clash = clash.where(Quota.id != quota.id)
        if db.session.scalar(clash.limit(1)) is not None:
            reasons["month"] = [_("This agreement has a quota for this route, cabin and month already.")]
    fields.origin, fields.destination = origin, destination
    return reasons


def create_quota(actor: User, agreement: Agreement, fields: QuotaFields) -> Quota:
    """Protect seats for the agreement on a route, cabin and month."""
    _require_quota_change(actor, agreement)
    reasons = _quota_reasons(agreement, fields, None)
    if reasons:
        raise ValidationFailed(reasons)
    quota = Quota(
        agreement_id=agreement.id,
        origin=fields.origin,
        destination=fields.destination,
        cabin=fields.cabin,
        month=fields.month,
        seats=fields.seats,
        used=0,
    )
    db.session.add(quota)
    db.session.flush()
    return quota


def has_requests(quota_id: int) -> bool:
    """Whether any request (of any status) was made under the quota."""
    found = select(PriorityRequest.id).where(PriorityRequest.quota_id == quota_id).limit(1)
    return db.session.scalar(found) is not None


def update_quota(actor: User, quota: Quota, fields: QuotaFields, *, now: datetime | None = None) -> list:
    """Change a quota. Its route, cabin and month only while no request was made under it; its
    seats never below those confirmed (a conditional UPDATE, so a claim racing this change
    cannot slip under it). More seats serve the waitlist at once; returns who was promoted."""
    agreement = quota.agreement
    _require_quota_change(actor, agreement)
    reasons = _quota_reasons(agreement, fields, quota)
    key_changes = (fields.origin, fields.destination, fields.cabin, fields.month) != (
        quota.origin,
        quota.destination,
        quota.cabin,
        quota.month,
    )
    if key_changes and not reasons and has_requests(quota.id):
        reasons[None] = [
            _("Requests were made under this quota: only its seats can change. Add a new quota instead.")
        ]
    if reasons:
        raise ValidationFailed(reasons)
    if key_changes:
        quota.origin, quota.destination = fields.origin, fields.destination
        quota.cabin, quota.month = fields.cabin, fields.month
        db.session.flush()
    old_seats = quota.seats
    promoted: list = []
    if fields.seats != old_seats:
        result = db.session.execute(
            update(_quota)
            .where(_quota.c.id == quota.id, _quota.c.used <= fields.seats)
            .values(seats=fields.seats)
        )
        db.session.expire(quota, ["seats", "used"])
        if result.rowcount != 1:
            raise ValidationFailed(
                {"seats": [_("More seats were confirmed meanwhile: the quota cannot have so few.")]}
            )
        record_bulk(
            "quota", [(quota.id, agreement.company_id, {"seats": old_seats}, {"seats": fields.seats})]
        )
        if fields.seats > old_seats:
            promoted = _serve_waitlist(quota.id, agreement.company_id, now or utcnow())
    db.session.flush()
    return promoted


def delete_quota(actor: User, quota: Quota) -> None:
    """Remove a quota no request was ever made under."""
    _require_quota_change(actor, quota.agreement)
    if quota.used or has_requests(quota.id):
        raise ValidationFailed(_("Requests were made under this quota: it cannot be deleted."))
    db.session.delete(quota)
    db.session.flush()


@dataclass
class CopyResult:
    """What copying a month's quotas did."""

    target: date
    created: int
    skipped: int


def copy_month(actor: User, agreement: Agreement, month: date) -> CopyResult:
    """Copy the agreement's quotas of `month` to the next month, with the same seats. Quotas
    the next month has already are left alone, so running it twice changes nothing."""
    _require_quota_change(actor, agreement)
    target = next_month(month)
    if not month_in_validity(agreement, target):
        raise ValidationFailed(
            {"month": [_("%(month)s is outside the agreement's validity.", month=month_text(target))]}
        )
    sources = db.session.scalars(
        select(Quota).where(Quota.agreement_id == agreement.id, Quota.month == month).order_by(Quota.id)
    ).all()
    if not sources:
        raise ValidationFailed({"month": [_("There are no quotas in %(month)s.", month=month_text(month))]})
    existing = {
        tuple(row)
        for row in db.session.execute(
            select(Quota.origin, Quota.destination, Quota.cabin).where(
                Quota.agreement_id == agreement.id, Quota.month == target
            )
        )
    }
    created = 0
    for source in sources:
        if (source.origin, source.destination, source.cabin) in existing:
            continue
        db.session.add(
            Quota(
                agreement_id=agreement.id,
                origin=source.origin,
                destination=source.destination,
                cabin=source.cabin,
                month=target,
                seats=source.seats,
                used=0,
            )
        )
        created += 1
    db.session.flush()
    return CopyResult(target=target, created=created, skipped=len(sources) - created)


# --- requesting seats (bookers) --------------------------------------------------------


@dataclass(frozen=True)
class Departure:
    """Where and when a requested flight leaves."""

    flight_number: str
    utc: datetime  # naive UTC, as stored
    local: datetime  # naive Beijing wall-clock time


def resolve_departure(
    flight_number: str | None,
    flight_date: date | None,
    origin: str,
    destination: str,
    cabin: str | None,
    departure_time: time | None,
    reasons: dict,
) -> Departure | None:
    """Check the flight against the timetable and work out its departure (None on a problem,
    with the reason added). A flight in the timetable leaves at its scheduled time; another
    one needs the departure time entered."""
    number = schedule.normalise_flight_number(flight_number)
    if number is None:
        reasons.setdefault("flight_number", []).append(_("A flight number like CA1501."))
        return None
    if flight_date is None:
        reasons.setdefault("flight_date", []).append(_("Enter the date of the flight."))
        return None
    flight = schedule.scheduled(number)
    if flight is not None:
        if (flight.origin, flight.destination) != (origin, destination):
            reasons.setdefault("flight_number", []).append(
                _(
                    "%(flight)s flies %(origin)s–%(destination)s.",
                    flight=number,
                    origin=flight.origin,
                    destination=flight.destination,
                )
            )
            return None
        if cabin in CABINS and cabin not in flight.cabins:
            reasons.setdefault("cabin", []).append(
                _("%(flight)s has no %(cabin)s cabin.", flight=number, cabin=label(cabin, "cabin"))
            )
            return None
        local = schedule.local_departure(flight, flight_date)
    elif departure_time is None:
        reasons.setdefault("departure_time", []).append(
            _("%(flight)s is not in our timetable: enter its departure time.", flight=number)
        )
        return None
    else:
        local = datetime.combine(flight_date, departure_time.replace(second=0, microsecond=0))
    return Departure(number, local_to_utc(local), local)


def find_quota(company_id: int, origin: str, destination: str, cabin: str, flight_date: date) -> Quota | None:
    """The quota of the company's active agreement in force on `flight_date` for the route,
    cabin and month of the flight."""
    return db.session.scalar(
        select(Quota)
        .join(Agreement, Agreement.id == Quota.agreement_id)
        .where(
            Agreement.company_id == company_id,
            Agreement.status == "active",
            Agreement.valid_from <= flight_date,
            Agreement.valid_to >= flight_date,
            Quota.origin == origin,
            Quota.destination == destination,
            Quota.cabin == cabin,
            Quota.month == flight_date.replace(day=1),
        )
        .limit(1)
    )


def _live_request_exists(traveller_id: int, flight_number: str, flight_date: date) -> bool:
    return (
        db.session.scalar(
            select(PriorityRequest.id)
            .where(
                PriorityRequest.traveller_id == traveller_id,
                PriorityRequest.flight_number == flight_number,
                PriorityRequest.flight_date == flight_date,
                PriorityRequest.status.in_(LIVE_STATUSES),
            )
            .limit(1)
        )
        is not None
    )


def request_seat(
    actor: User,
    company: Company,
    *,
    traveller: Traveller | None,
    flight_number: str | None,
    flight_date: date | None,
    origin: str | None,
    destination: str | None,
    cabin: str | None,
    departure_time: time | None = None,
    now: datetime | None = None,
    services: Sequence[str] | None = None,
) -> PriorityRequest:
    """Request a protected seat for one of the company's travellers: confirmed if a seat of
    the matching quota is left, waitlisted otherwise; the requester is told in the portal.
    `services` are per-trip services the company's agreement must include."""
    if not _may_request(actor, company.id):
        raise NotAllowed(_("You may not request seats for this company."))
    now = now or utcnow()
    reasons: dict = {}
    try:
        services = trip_services.clean_services(services)
    except ValidationFailed as e:
        reasons.update(e.reasons)
    if traveller is None or traveller.company_id != company.id or traveller.deleted_at is not None:
        reasons["traveller_id"] = [_("Choose one of your company's travellers.")]
    origin = (origin or "").strip().upper()
    destination = (destination or "").strip().upper()
    for name, code in (("origin", origin), ("destination", destination)):
        if not is_iata_code(code):
            reasons[name] = [not_an_iata_code()]
    if "origin" not in reasons and origin == destination:
        reasons["destination"] = [_("The destination must differ from the origin.")]
    if cabin not in CABINS:
        reasons["cabin"] = [_("Choose first (F), business (C), premium economy (W) or economy (Y).")]
    departure = None
    if not {"origin", "destination"} & reasons.keys():
        departure = resolve_departure(
            flight_number, flight_date, origin, destination, cabin, departure_time, reasons
        )
    if departure is not None:
        local_now = utc_to_local(now)
        if departure.local.date() < local_now.date():
            reasons.setdefault("flight_date", []).append(_("This date is in the past."))
        elif now >= departure.utc - CUTOFF:
            reasons.setdefault("flight_date", []).append(
                _(
                    "Requests close 24 hours before departure; %(flight)s leaves at %(time)s (Beijing time).",
                    flight=departure.flight_number,
                    time=departure.local.strftime("%Y-%m-%d %H:%M"),
                )
            )
    if reasons:
        raise ValidationFailed(reasons)
    quota = find_quota(company.id, origin, destination, cabin, flight_date)
    if quota is None:
        raise ValidationFailed(
            _(
                "Your company's active agreement has no quota for %(route)s in %(cabin)s in %(month)s. "
                "Your account manager can set one up.",
                route=f"{origin}–{destination}",
                cabin=label(cabin, "cabin"),
                month=month_text(flight_date),
            )
        )
    trip_services.check_entitled(quota.agreement, services)
    duplicate = _(
        "%(traveller)s has a request on %(flight)s on %(date)s already.",
        traveller=traveller.name,
        flight=departure.flight_number,
        date=flight_date.isoformat(),
    )
    if _live_request_exists(traveller.id, departure.flight_number, flight_date):
        raise ValidationFailed({"traveller_id": [duplicate]})
    priority = priority_of(company)
    try:
        with db.session.begin_nested():  # the index refusing the row gives the seat back too
            claimed = _claim_seat(quota.id)
            if not claimed:
                # Waitlisting: hold the quota's lock, then look again: a cancellation that
                # committed since may have freed a seat nobody was waiting for.
                _lock_quota(quota.id)
                claimed = _claim_seat(quota.id)
            # Stamped while the quota's lock is held: request times follow the order in which
            # the requests were served (the race test relies on it).
            stamp = utcnow()
            req = PriorityRequest(
                quota_id=quota.id,
                company_id=company.id,
                traveller_id=traveller.id,
                requested_by_id=actor.id,
                flight_number=departure.flight_number,
                flight_date=flight_date,
                departure_at=departure.utc,
                origin=origin,
                destination=destination,
                cabin=cabin,
                status="confirmed" if claimed else "waitlisted",
                priority=priority,
                requested_at=stamp,
                confirmed_at=stamp if claimed else None,
            )
            db.session.add(req)
            db.session.flush()
            trip_services.add_services(req.id, services)
    except IntegrityError:
        raise ValidationFailed({"traveller_id": [duplicate]}) from None
    db.session.expire(quota, ["used"])
    if claimed:
        _audit_seats(quota.id, company.id, +1, req.id)
        _tell(
            req,
            "quota_confirmed",
            _(
                "Seat confirmed: %(traveller)s on %(flight)s, %(date)s (%(route)s, %(cabin)s).",
                **_describe(req),
            ),
        )
    else:
        position = waitlist_positions([quota.id], now).get(req.id, 1)
        _tell(
            req,
            "quota_waitlisted",
            _(
                "Waitlisted at place %(position)s: %(traveller)s on %(flight)s, %(date)s "
                "(%(route)s, %(cabin)s). You are told here when a seat frees up.",
                position=position,
                **_describe(req),
            ),
        )
    return req


def cancel_request(
    actor: User, req: PriorityRequest, *, now: datetime | None = None
) -> list[PriorityRequest]:
    """Cancel a confirmed or waitlisted request. A confirmed one gives its seat back and the
    first in line of the same quota is promoted in the same transaction; returns who was."""
    if not _may_request(actor, req.company_id):
        raise NotAllowed(_("You may not cancel this company's requests."))
    now = now or utcnow()
    request_id, quota_id, company_id = req.id, req.quota_id, req.company_id
    if req.departure_at <= now:
        raise ValidationFailed(_("The flight has left: the request can no longer be cancelled."))
    for _attempt in range(STATUS_ATTEMPTS):
        # The status as committed now; the conditional UPDATE fails if it changes before we
        # get to it (a promotion), and we look again.
        status = db.session.scalar(select(_request.c.status).where(_request.c.id == request_id))
        if status not in LIVE_STATUSES:
            db.session.expire(req)
            raise ValidationFailed(
                _("This request is %(status)s already.", status=label(status, "request_status"))
            )
        if _set_status(request_id, status, "cancelled", cancelled_at=utcnow()):
            break
    else:
        raise ValidationFailed(_("The request changed meanwhile. Please try again."))
    db.session.expire(req)
    _audit_status(request_id, company_id, status, "cancelled")
    webhooks.emit("request.cancelled", company_id, webhook_data(req), key=f"{request_id}:request.cancelled")
    if status != "confirmed":
        return []
    if _release_seat(quota_id):  # also takes the quota's lock until commit
        _audit_seats(quota_id, company_id, -1, request_id)
    return _serve_waitlist(quota_id, company_id, now)


def _serve_waitlist(quota_id: int, company_id: int, now: datetime) -> list[PriorityRequest]:
    """Confirm waitlisted requests of the quota, best first, while seats are left. Called with
    the quota's lock held. Each promotion is a seat claim plus a conditional status change: a
    request cancelled meanwhile is skipped and its seat goes to the next in line."""
    promoted_ids: list[int] = []
    skipped: list[int] = []
    while True:
        candidates = select(PriorityRequest.id).where(
            PriorityRequest.quota_id == quota_id,
            PriorityRequest.status == "waitlisted",
            PriorityRequest.departure_at > now,  # a flight that has left expires instead
        )
        if skipped:
            candidates = candidates.where(PriorityRequest.id.not_in(skipped))
        candidate = db.session.scalar(candidates.order_by(*WAITLIST_ORDER).limit(1))
        if candidate is None:
            break
        if not _claim_seat(quota_id):
            break
        if _set_status(candidate, "waitlisted", "confirmed", confirmed_at=utcnow()):
            promoted_ids.append(candidate)
            _audit_status(candidate, company_id, "waitlisted", "confirmed")
            _audit_seats(quota_id, company_id, +1, candidate)
        else:
            _release_seat(quota_id)
            skipped.append(candidate)
    if not promoted_ids:
        return []
    promoted = db.session.scalars(
        select(PriorityRequest)
        .where(PriorityRequest.id.in_(promoted_ids))
        .options(joinedload(PriorityRequest.traveller))
        .order_by(*WAITLIST_ORDER)
        .execution_options(populate_existing=True)
    ).all()
    for req in promoted:
        _tell(
            req,
            "quota_promoted",
            _(
                "A seat freed up: %(traveller)s on %(flight)s, %(date)s (%(route)s, %(cabin)s) "
                "is now confirmed.",
                **_describe(req),
            ),
        )
    return list(promoted)


def expire_waitlisted(now: datetime | None = None) -> int:
    """Expire the waitlisted requests whose flight has left; how many. Idempotent: a second run
    finds nothing left to expire. Conditional on the status, so a promotion racing it wins or
    loses cleanly. Flushes; the job commits (portal.quotas.jobs)."""
    now = now or utcnow()
    rows = db.session.execute(
        update(_request)
        .where(_request.c.status == "waitlisted", _request.c.departure_at <= now)
        .values(status="expired", expired_at=now)
        .returning(_request.c.id, _request.c.company_id)
    ).all()
    if not rows:
        return 0
    record_bulk(
        "priority_request",
        [(rid, cid, {"status": "waitlisted"}, {"status": "expired"}) for rid, cid in rows],
    )
    expired = db.session.scalars(
        select(PriorityRequest)
        .where(PriorityRequest.id.in_([rid for rid, _cid in rows]))
        .options(joinedload(PriorityRequest.traveller))
        .execution_options(populate_existing=True)
    ).all()
    for req in expired:
        _tell(
            req,
            "quota_expired",
            _(
                "The flight has left: the waitlisted request for %(traveller)s on %(flight)s, %(date)s "
                "(%(route)s, %(cabin)s) has expired.",
                **_describe(req),
            ),
        )
    db.session.flush()
    return len(rows)


def confirmed_count(quota_id: int) -> int:
    """How many requests of the quota are confirmed (for checks and tests)."""
    return db.session.scalar(
        select(func.count(PriorityRequest.id)).where(
            PriorityRequest.quota_id == quota_id, PriorityRequest.status == "confirmed"
        )
    )
