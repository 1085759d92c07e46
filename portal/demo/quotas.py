"""Quotas on the routes agreement companies fly most, and the priority requests behind them."""

from datetime import date, datetime, timedelta
from typing import TYPE_CHECKING

from portal.companies.models import TIERS
from portal.quotas.models import PriorityRequest, Quota
from portal.quotas.schedule import departure_time

if TYPE_CHECKING:
    from portal.demo.world import World


def write(world: "World") -> None:
    """This and next month's quotas of active agreements with priority booking, on the routes the
    company flew most in the last 90 days."""
    rng = world.rng
    quotas, requests = [], []
    this_month = world.today.replace(day=1)
    next_month = (this_month + timedelta(days=32)).replace(day=1)
    month_after = (next_month + timedelta(days=32)).replace(day=1)
    for c in world.companies:
        agreement = c.current_agreement
        if agreement is None or agreement["status"] != "active" or not agreement["priority_booking"]:
            continue
        if not c.recent_routes or not c.travellers:
            continue
        economy = sorted(
            ((count, route) for route, count in c.recent_routes.items() if route[2] == "Y"),
            key=lambda item: (-item[0], item[1]),
        )[: rng.randint(2, 5)]
        wanted = []
        for count, (origin, destination, _) in economy:
            wanted.append((origin, destination, "Y", count))
            business = c.recent_routes.get((origin, destination, "C"), 0)
            if business >= 2:
                wanted.append((origin, destination, "C", business))
        for origin, destination, cabin, count in wanted:
            monthly = count / 3
            for month, month_end in ((this_month, next_month), (next_month, month_after)):
                share = rng.uniform(0.2, 0.4) if cabin == "Y" else rng.uniform(0.3, 0.5)
                seats = min(40, max(1 if cabin == "C" else 2, round(monthly * share)))
                if month == this_month:
                    used = min(seats, round(seats * rng.uniform(0.3, 1.2)))
                else:
                    used = round(seats * rng.uniform(0.0, 0.6))
                quota_id = world.ids("quota")
                quotas.append(
                    dict(
                        id=quota_id,
                        agreement_id=agreement["id"],
                        origin=origin,
                        destination=destination,
                        cabin=cabin,
                        month=month,
                        seats=seats,
                        used=used,
                    )
                )
                leg = world.routes[(origin, destination)]
                made = _requests(world, c, rng, quota_id, leg, cabin, month, month_end, seats, used)
                # A traveller holds one live request per flight and date (a unique index):
                # when a tiny company runs out of distinct ones, fewer seats are confirmed.
                quotas[-1]["used"] = sum(1 for r in made if r["status"] == "confirmed")
                requests += made
    world.insert(Quota, quotas)
    world.insert(PriorityRequest, requests)
    world.requests_made, world.quotas_made = requests, quotas


def _requests(world: "World", c, rng, quota_id, leg, cabin, month, month_end, seats, used) -> list[dict]:
    """The confirmed requests behind a quota's used seats, and some cancelled, waitlisted
    and expired ones around them."""
    _, origin, destination, _, flights, _ = leg
    month_days = (month_end - month).days
    requester = c.booker_ids[0] if c.booker_ids else c.manager_id
    priority = TIERS.index(c.tier)
    rows = []
    live = world.live_requests

    def request(status, flight_date):
        flight = rng.choice(flights)
        traveller_id = rng.choice(c.travellers)[0]
        if status in ("confirmed", "waitlisted"):
            for _ in range(40):
                if (traveller_id, flight, flight_date) not in live:
                    break
                if status == "confirmed":  # waitlisted ones keep their (future) date
                    flight_date = month + timedelta(days=rng.randrange(month_days))
                flight, traveller_id = rng.choice(flights), rng.choice(c.travellers)[0]
            else:
                return
            live.add((traveller_id, flight, flight_date))
        departure = departure_utc(flight, flight_date)
        requested = min(
            departure - timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 10)),
            world.now - timedelta(hours=rng.randint(1, 48)),
        )
        row = dict(
            id=world.ids("priority_request"),
            quota_id=quota_id,
            company_id=c.id,
            traveller_id=traveller_id,
            requested_by_id=requester,
            flight_number=flight,
            flight_date=flight_date,
            departure_at=departure,
            origin=origin,
            destination=destination,
            cabin=cabin,
            status=status,
            priority=priority,
            requested_at=requested,
            confirmed_at=requested if status == "confirmed" else None,
            cancelled_at=None,
            expired_at=departure if status == "expired" else None,
        )
        if status == "cancelled":
            row["cancelled_at"] = min(world.now, requested + timedelta(hours=rng.randint(1, 72)))
        rows.append(row)

    for _ in range(used):
        request("confirmed", month + timedelta(days=rng.randrange(month_days)))
    if rng.random() < 0.15:
        request("cancelled", month + timedelta(days=rng.randrange(month_days)))
    if sum(r["status"] == "confirmed" for r in rows) == seats:  # full: a waitlist may form
        future = [month + timedelta(days=d) for d in range(month_days)]
        later = [d for d in future if d >= world.today + timedelta(days=2)]
        past = [d for d in future if d < world.today]
        for _ in range(rng.randint(1, 2) if later and rng.random() < 0.35 else 0):
            request("waitlisted", rng.choice(later))
        if past and rng.random() < 0.25:
            request("expired", rng.choice(past))
    return rows


def departure_utc(flight: str, day: date) -> datetime:
    """A scheduled departure (UTC) of a timetable flight: its fixed Beijing time (UTC+8, no DST)."""
    return datetime.combine(day, departure_time(int(flight[2:]))) - timedelta(hours=8)
