"""Stations with VIP service notices, VIP travellers and per-trip services."""

import random
from datetime import date, datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from sqlalchemy import select, update

from portal.auth.models import User
from portal.companies.models import SERVICE_NEEDS, TIERS, Traveller
from portal.demo import quotas as demo_quotas
from portal.quotas.models import PriorityRequest, Quota
from portal.stations.models import SERVICE_ENTITLEMENT, SERVICES, ServiceRequest, Station

if TYPE_CHECKING:
    from portal.demo.world import World

# Stations with VIP service notices (要客通知单), and the teams on each distribution list.
STATIONS = (
    ("PEK", "北京首都国际机场"),
    ("PKX", "北京大兴国际机场"),
    ("SHA", "上海虹桥国际机场"),
    ("CAN", "广州白云国际机场"),
)
STATION_TEAMS = ("ground", "cabin", "catering", "lounge")


def write(world: "World", session) -> None:
    """The big stations with their distribution lists and a station user at PEK; VIP
    travellers; services on tomorrow's confirmed departures from PEK (their own random
    stream: the rest of the world does not move)."""
    rng = random.Random(world.seed * 7919 + 11)
    for code, name in STATIONS:
        lists = "\n".join(f"{team}-{code.lower()}@airport.demo.example" for team in STATION_TEAMS)
        made = datetime.combine(world.start, clock(8))
        session.add(Station(code=code, name=name, distribution=lists, created_at=made, updated_at=made))
    session.flush()
    pek = session.scalar(select(Station).where(Station.code == "PEK"))
    world.emails.add("station@demo.example")
    created = datetime.combine(world.start, clock(9))
    session.add(
        User(
            id=world.ids("user"),
            email="station@demo.example",
            name="刘晓燕",
            password_hash=world.password_hash,
            role="station",
            station_id=pek.id,
            phone="010-6454-0000",
            title="要客服务室值班主任",
            created_at=created,
            updated_at=created,
        )
    )
    session.flush()
    tomorrow = world.today + timedelta(days=1)
    by_id = {c.id: c for c in world.companies}
    departing = [
        r
        for r in world.requests_made
        if r["status"] == "confirmed" and r["origin"] == "PEK" and r["flight_date"] == tomorrow
    ]
    departing += _key_departures(world, rng, tomorrow, by_id, want=4 - len(departing))
    departing.sort(key=lambda r: (r["departure_at"], r["id"]))
    vip_ids = set()
    for company in world.companies:  # a few VIPs among the key accounts' travellers
        if company.tier in ("platinum", "gold") and company.travellers and rng.random() < 0.25:
            vip_ids.add(company.travellers[0][0])
    for i, r in enumerate(departing[:12]):  # some of tomorrow's PEK travellers are VIPs
        if i % 3 == 0:
            vip_ids.add(r["traveller_id"])
    levels = {tid: ("vvip" if rng.random() < 0.2 else "vip") for tid in sorted(vip_ids)}
    for tid, level in levels.items():
        needs = sorted(rng.sample(SERVICE_NEEDS, rng.choice((0, 0, 1, 1, 2))), key=SERVICE_NEEDS.index)
        world.conn.execute(
            update(Traveller)
            .where(Traveller.id == tid)
            .values(vip_level=level, service_needs=needs or None, updated_at=Traveller.updated_at)
        )
    services = []
    for r in departing:
        agreement = by_id[r["company_id"]].current_agreement
        allowed = [s for s in SERVICES if agreement and agreement.get(SERVICE_ENTITLEMENT[s])]
        given = len({row["request_id"] for row in services})
        if not allowed or (given >= 3 and rng.random() < 0.3):  # the first few always ask
            continue
        for name in rng.sample(allowed, min(len(allowed), rng.randint(1, 3))):
            services.append({"request_id": r["id"], "service": name})
    services.sort(key=lambda row: (row["request_id"], SERVICES.index(row["service"])))
    world.insert(ServiceRequest, services)
    world.counts["vip_travellers"] = len(levels)


def _key_departures(world: "World", rng, day: date, by_id: dict, want: int) -> list[dict]:
    """Confirmed requests on `day` from PEK on quotas with seats left, so that even a small
    world shows a VIP service notice (none when it has enough of its own)."""
    made = []
    company_of = {c.current_agreement["id"]: c for c in world.companies if c.current_agreement}
    month = day.replace(day=1)
    for q in world.quotas_made:
        if len(made) >= want:
            break
        c = company_of.get(q["agreement_id"])
        if c is None or q["origin"] != "PEK" or q["month"] != month or q["used"] >= q["seats"]:
            continue
        if not any(c.current_agreement.get(e) for e in SERVICE_ENTITLEMENT.values()):
            continue  # a departure whose agreement allows no service shows little
        flights = world.routes[(q["origin"], q["destination"])][4]
        flight = rng.choice(flights)
        free = [t for t, _ in c.travellers if (t, flight, day) not in world.live_requests]
        if not free:
            continue
        traveller_id = free[0]
        world.live_requests.add((traveller_id, flight, day))
        requested = world.now - timedelta(days=2, hours=rng.randint(0, 10))
        row = dict(
            id=world.ids("priority_request"),
            quota_id=q["id"],
            company_id=c.id,
            traveller_id=traveller_id,
            requested_by_id=c.booker_ids[0] if c.booker_ids else c.manager_id,
            flight_number=flight,
            flight_date=day,
            departure_at=demo_quotas.departure_utc(flight, day),
            origin=q["origin"],
            destination=q["destination"],
            cabin=q["cabin"],
            status="confirmed",
            priority=TIERS.index(c.tier),
            requested_at=requested,
            confirmed_at=requested,
            cancelled_at=None,
            expired_at=None,
        )
        world.insert(PriorityRequest, [row])
        world.conn.execute(update(Quota).where(Quota.id == q["id"]).values(used=Quota.used + 1))
        q["used"] += 1
        made.append(row)
    return made
