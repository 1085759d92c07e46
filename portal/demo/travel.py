"""Travel: each company's key travellers and years of flown segments, company by company,
each with its own random stream."""

import itertools
import math
import random
from datetime import date, timedelta
from typing import TYPE_CHECKING

from tqdm import tqdm

from portal.companies.models import Traveller
from portal.demo import people
from portal.demo import reference as ref
from portal.demo.plans import CompanyPlan
from portal.segments.models import FLOWN_COLUMNS, Segment

if TYPE_CHECKING:
    from portal.demo.world import World

CHUNK = 50_000  # segments per bulk write: big enough to amortise, small enough for memory
SEGMENT_COLUMNS = ("id", *FLOWN_COLUMNS)
# Business travel by month and weekday (relative), and the public holidays that empty planes
# of business travellers: Spring Festival (by year), Labour Day and National Day weeks.
MONTH_FACTOR = (0.95, 0.75, 1.10, 1.10, 1.00, 1.05, 0.95, 0.90, 1.10, 0.95, 1.15, 1.05)
WEEKDAY_FACTOR = (1.25, 1.10, 1.05, 1.10, 1.20, 0.45, 0.75)
SPRING_FESTIVAL = {
    2021: date(2021, 2, 12), 2022: date(2022, 2, 1), 2023: date(2023, 1, 22), 2024: date(2024, 2, 10),
    2025: date(2025, 1, 29), 2026: date(2026, 2, 17), 2027: date(2027, 2, 6), 2028: date(2028, 1, 26),
    2029: date(2029, 2, 13), 2030: date(2030, 2, 3), 2031: date(2031, 1, 23), 2032: date(2032, 2, 11),
}  # fmt: skip
ADVANCE_DAYS = (0, 1, 1, 2, 2, 3, 4, 5, 7, 7, 10, 14, 21, 28)  # ticketing before the flight
DOMESTIC_STAYS = (0, 1, 1, 1, 2, 2, 2, 3, 3, 4, 5, 7)
CABIN_FALLBACK = {"F": "C", "W": "Y", "C": "Y", "Y": "Y"}
# Booking classes by cabin as a 100-slot table: one random index picks a class by its weight.
_CLASS_TABLE = {
    cabin: [(code, multiple) for code, weight, multiple in classes for _ in range(weight)]
    for cabin, classes in ref.FARE_CLASSES.items()
}
assert all(len(table) == 100 for table in _CLASS_TABLE.values())


def write(world: "World", progress: bool) -> None:
    """Travellers and segments, company by company (each with its own random stream), written in chunks."""
    travellers: list[dict] = []
    segments: list[tuple] = []
    world.segment_id = 0
    world.ticket_counters: dict[int, int] = {}
    bar = tqdm(total=world.n, desc="seeding", unit="company", disable=not progress, leave=False)
    for c in world.companies:
        rng = random.Random(f"portal-demo:{world.seed}:travel:{c.id}")
        start = len(segments)
        _travel_of(world, c, rng, travellers, segments)
        _traveller_rows(world, c, rng, travellers, segments, start)
        if len(segments) >= CHUNK:
            _flush(world, travellers, segments)
        bar.update(1)
    _flush(world, travellers, segments)
    bar.close()


def _flush(world: "World", travellers: list, segments: list) -> None:
    # Travellers first: segments refer to them.
    world.insert(Traveller, travellers)
    world.insert_tuples(Segment, SEGMENT_COLUMNS, segments)
    travellers.clear()
    segments.clear()


def _travel_of(world: "World", c: CompanyPlan, rng: random.Random, travellers: list, segments: list) -> None:
    c.revenue_by_month = [0] * world.months
    c.segments_by_month = [0] * world.months
    if c.annual > 0:
        key = min(60, max(2, round(2 + math.sqrt(c.annual) * 0.8)))
    else:
        key = rng.randint(0, 3) if c.status in ("active", "prospect") else rng.randint(1, 3)
    if c in world.booker_companies:
        key = max(key, 4)
    names = set()
    key_people = []
    while len(key_people) < key:
        person = people.person(rng)
        if person.name not in names:
            names.add(person.name)
            key_people.append(person)
    c.travellers = [(None, p) for p in key_people]  # ids are given when written
    if c.annual <= 0:
        return

    destinations = _destinations(world, c, rng)
    if not destinations:
        return
    dest_cum = list(itertools.accumulate(d[5] for d in destinations))
    coupons_per_trip = sum(d[5] * (len(d[0]) + d[4] * len(d[1])) for d in destinations) / dest_cum[-1]
    trips = max(1, round(c.expected / coupons_per_trip))

    # Who flies: key travellers (a few fly a lot) and other staff without a traveller record.
    weights = [1 / (k + 1) ** 0.9 for k in range(key)]
    # Executives (about one in seven) fly the premium cabins; the most frequent flyers are
    # mostly staff in economy.
    premium = [min(0.9, c.premium * (2.5 if rng.random() < 0.15 else 0.6)) for k in range(key)]
    pool = []
    while len(pool) < min(400, max(3, int(c.annual / 12))):
        name = people.person(rng).name
        if name not in names:  # a namesake of a key traveller would look like them
            names.add(name)
            pool.append(name)
    flyers = [(k, key_people[k].name, premium[k]) for k in range(key)]
    flyers += [(-1, name, min(0.9, c.premium * 0.5)) for name in pool]
    key_share = 0.75
    flyer_weights = [w / sum(weights) * key_share for w in weights]
    flyer_weights += [(1 - key_share) / len(pool)] * len(pool)
    flyer_cum = list(itertools.accumulate(flyer_weights))

    day_cum = list(
        itertools.accumulate(
            world.season[d] * math.exp(c.trend * (d - world.days + 1) / 365)
            for d in range(c.first_day, c.last_day + 1)
        )
    )
    days = rng.choices(range(c.first_day, c.last_day + 1), cum_weights=day_cum, k=trips)
    days.sort()
    picks = rng.choices(destinations, cum_weights=dest_cum, k=trips)
    who = rng.choices(flyers, cum_weights=flyer_cum, k=trips)

    fares = {}
    discounts = c.discounts
    for out_legs, back_legs, *_ in destinations:
        for leg in out_legs + back_legs:
            if leg[0] not in fares:
                fares[leg[0]] = _leg_fares(leg, discounts)
    classes = _CLASS_TABLE
    rnd = rng.random
    last = world.days - 1
    recent = world.days - 90
    year_ago = world.days - 365
    dates, month_of = world.dates, world.month_of_day
    revenue, flown = c.revenue_by_month, c.segments_by_month
    routes = c.recent_routes
    counters = world.ticket_counters
    flights_of = [0] * key
    cid = c.id
    last_flown = None
    seg_id = world.segment_id
    for day, destination, flyer in zip(days, picks, who, strict=True):
        out_legs, back_legs, international, long_haul, p_round, _ = destination
        k, name, prem = flyer
        if rnd() < prem:
            x = rnd()
            cabin = "F" if x < 0.08 else ("W" if long_haul and x > 0.78 else "C")
        else:
            cabin = "Y"
        issue = day - ADVANCE_DAYS[int(rnd() * len(ADVANCE_DAYS))] + 400
        serial = counters.get(issue, 0) + 1 + int(rnd() * 3)
        counters[issue] = serial
        ticket = _ticket_number(serial * 10_000 + issue)
        legs = [(leg, day) for leg in out_legs]
        if rnd() < p_round:
            if international:
                stay = 3 + int(rnd() * 12)
            else:
                stay = DOMESTIC_STAYS[int(rnd() * len(DOMESTIC_STAYS))]
            legs += [(leg, day + stay) for leg in back_legs]
        coupon = 0
        for leg, flight_day in legs:
            if flight_day > last:
                break  # not flown yet: the coupon stays open
            coupon += 1
            key_, origin, dest_, distance, flights, cabins = leg
            leg_cabin = cabin if cabin in cabins else CABIN_FALLBACK[cabin]
            if leg_cabin not in cabins:
                leg_cabin = "Y"
            table = classes[leg_cabin]
            fare_class, multiple = table[int(rnd() * 100)]
            fen = int(fares[key_][leg_cabin] * multiple * (0.96 + 0.08 * rnd())) * 100
            seg_id += 1
            segments.append(
                (
                    seg_id,
                    ticket,
                    coupon,
                    cid,
                    k,  # the key traveller's index for now; its id once written
                    name,
                    flights[int(rnd() * len(flights))],
                    dates[flight_day],
                    origin,
                    dest_,
                    leg_cabin,
                    fare_class,
                    fen,
                    distance,
                )
            )
            month = month_of[flight_day]
            revenue[month] += fen
            flown[month] += 1
            if flight_day >= recent:
                route = (origin, dest_, leg_cabin)
                routes[route] = routes.get(route, 0) + 1
            if k >= 0 and flight_day >= year_ago:
                flights_of[k] += 1
            if last_flown is None or flight_day > last_flown:
                last_flown = flight_day
    world.segment_id = seg_id
    c.flown_last_day = last_flown
    c.flights_of = flights_of


def _destinations(world: "World", c: CompanyPlan, rng: random.Random) -> list[tuple]:
    """Where the company flies from its home airports: (out legs, back legs, international,
    long-haul, share of round trips, weight), with the company's own favourites."""
    homes = ref.CITIES[c.city][1]
    affinity = ref.INDUSTRY_AFFINITY.get(c.industry, {})
    size = math.log1p(c.annual)
    n_domestic = min(18, max(3, round(2 + size * 1.4)))
    n_international = min(10, max(1, round(size * 0.9))) if c.international > 0.02 else 0
    home_cities = {ref.AIRPORTS[h][0] for h, _ in homes}
    domestic, international = [], []
    for code in ref.DESTINATION_WEIGHT:
        if ref.AIRPORTS[code][0] in home_cities:
            continue
        weight = ref.DESTINATION_WEIGHT[code] * affinity.get(code, 1.0) * rng.lognormvariate(0, 0.9)
        (domestic if code in ref.DOMESTIC else international).append((code, weight))
    chosen = []
    for pool, count, share in (
        (domestic, n_domestic, 1 - c.international),
        (international, n_international, c.international),
    ):
        # Weighted sampling without replacement (Efraimidis-Spirakis keys).
        keyed = sorted(pool, key=lambda cw: -(rng.random() ** (1 / cw[1])))[:count]
        total = sum(w for _, w in keyed) or 1.0
        chosen += [(code, share * w / total) for code, w in keyed]
    result = []
    for code, weight in chosen:
        for home, home_share in homes:
            path = _path(world, home, code)
            if path is None:
                continue
            back = _path(world, code, home)
            international = code not in ref.DOMESTIC
            long_haul = ref.great_circle_km("PEK", code) >= 3500 if international else False
            result.append(
                (path, back, international, long_haul, 0.9 if international else 0.7, weight * home_share)
            )
    if result and c.has_agreements and c.tier in ("platinum", "gold"):
        # City-pair discounts on its busiest domestic routes.
        top = sorted((r for r in result if not r[2] and len(r[0]) == 1), key=lambda r: -r[5])[:2]
        for r in top:
            origin, destination = r[0][0][1], r[0][0][2]
            extra = rng.choice((3, 4, 5))
            c.discounts[(origin, destination, "Y")] = c.discounts[("domestic", "Y")] + extra
        if top:
            c.top_route = (top[0][0][0][1], top[0][0][0][2])
    elif result:
        best = max(result, key=lambda r: r[5])
        c.top_route = (best[0][0][1], best[0][-1][2])
    return result


def _path(world: "World", origin: str, destination: str) -> list | None:
    """Legs from origin to destination: direct, else via Beijing or Chengdu."""
    if (origin, destination) in world.routes:
        return [world.routes[(origin, destination)]]
    for hub in ("PEK", "CTU"):
        if (origin, hub) in world.routes and (hub, destination) in world.routes:
            return [world.routes[(origin, hub)], world.routes[(hub, destination)]]
    return None


def _traveller_rows(
    world: "World", c: CompanyPlan, rng: random.Random, travellers: list, segments: list, start: int
):
    """Write the company's key travellers, then give its segments their traveller ids."""
    ids = []
    flights_of = c.flights_of
    for k, (_, person) in enumerate(c.travellers):
        traveller_id = world.ids("traveller")
        ids.append(traveller_id)
        per_year = flights_of[k] if k < len(flights_of) else 0
        if per_year >= 90:
            tier = "lifetime_platinum" if rng.random() < 0.15 else "platinum"
        elif per_year >= 40:
            tier = "gold"
        elif per_year >= 20:
            tier = "silver"
        else:
            tier = rng.choice(("none", "none", "silver"))
        created = min(world.now, c.created_at + timedelta(days=rng.randint(5, 120)))
        travellers.append(
            dict(
                id=traveller_id,
                company_id=c.id,
                name=person.name,
                name_en=person.name_en,
                ff_number=f"CA{traveller_id * 7919 + 100_000_000_000:012d}" if rng.random() < 0.92 else None,
                member_tier=tier,
                seat_preference=rng.choices(
                    ("none", "window", "aisle", "front", "exit_row"), weights=(20, 30, 35, 10, 5)
                )[0],
                meal_preference=rng.choices(
                    ("none", "vegetarian", "muslim", "diabetic", "low_salt"), weights=(80, 6, 4, 3, 4)
                )[0],
                notes=rng.choice(ref.TRAVELLER_NOTES) if rng.random() < 0.15 else None,
                id_document_type=None,
                id_document_encrypted=None,
                id_document_masked=None,
                deleted_at=None,
                created_at=created,
                updated_at=created,
            )
        )
    c.travellers = [
        (traveller_id, person) for traveller_id, (_, person) in zip(ids, c.travellers, strict=True)
    ]
    for i in range(start, len(segments)):
        row = segments[i]
        k = row[4]
        segments[i] = row[:4] + ((ids[k] if k >= 0 else None),) + row[5:]


def route_map() -> dict:
    """(origin, destination) -> leg: (key, origin, destination, km, flight numbers, cabins)."""
    routes = {}
    for a, b, cabins, numbers in ref.ROUTES:
        distance = ref.great_circle_km(a, b)
        routes[(a, b)] = (f"{a}{b}", a, b, distance, [f"CA{n}" for n in numbers], cabins)
        routes[(b, a)] = (f"{b}{a}", b, a, distance, [f"CA{n + 1}" for n in numbers], cabins)
    return routes


def _leg_fares(leg: tuple, discounts: dict) -> dict[str, float]:
    """The company's net reference fare (CNY) per cabin on one leg, after its agreement discount."""
    _, origin, destination, distance, _, cabins = leg
    international = origin not in ref.DOMESTIC or destination not in ref.DOMESTIC
    scope = "international" if international else "domestic"
    fares = {}
    for cabin in cabins:
        percent = (
            discounts.get((origin, destination, cabin))
            or discounts.get((destination, origin, cabin))  # a city-pair discount holds both ways
            or discounts.get((scope, cabin), 0)
        )
        fares[cabin] = ref.reference_fare_cny(distance, international, cabin) * (1 - percent / 100)
    return fares


def _ticket_number(serial: int) -> str:
    """A 13-digit ticket number with the airline's 999 prefix: the serial scrambled by a
    multiplication modulo 10^10 (a one-to-one map, so distinct serials stay distinct)."""
    return f"999{(serial * 6_364_136_223 + 2_718_281_828) % 10**10:010d}"


def season(day: date) -> float:
    """How busy business travel is on `day`, relative to an ordinary day."""
    factor = MONTH_FACTOR[day.month - 1] * WEEKDAY_FACTOR[day.weekday()]
    for year in (day.year, day.year + 1):
        festival = SPRING_FESTIVAL.get(year, date(year, 2, 5))
        if -7 <= (day - festival).days <= 10:
            factor *= 0.3
    if day.month == 10 and day.day <= 7:
        factor *= 0.3
    if day.month == 5 and day.day <= 5:
        factor *= 0.5
    return factor
