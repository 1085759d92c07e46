"""Agreements: yearly terms back to when each company started flying, their discounts,
incentive tiers and approval history, sized to what the company flies."""

from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal
from typing import TYPE_CHECKING

from portal.agreements.models import Agreement, AgreementDiscount, AgreementEvent, IncentiveTier
from portal.companies.models import TIERS
from portal.demo import reference as ref
from portal.demo.plans import CompanyPlan

if TYPE_CHECKING:
    from portal.demo.world import World


def write(world: "World") -> None:
    """Each company's agreement terms with their discounts, incentive tiers and history."""
    rng = world.rng
    agreements, discounts, tiers, events = [], [], [], []
    numbers: dict[tuple[str, int], int] = {}
    window_start = world.start

    def number(c: CompanyPlan, valid_from: date) -> str:
        key = (c.office.branch.code, valid_from.year)
        numbers[key] = numbers.get(key, 0) + 1
        return f"CA-{key[0]}-{key[1]}-{numbers[key]:04d}"

    def add(c, status, valid_from, renewed_from=None, terminated_on=None):
        agreement_id = world.ids("agreement")
        author = c.manager_id or c.office.branch.head_id
        approver = c.office.branch.head_id
        valid_to = valid_from + timedelta(days=364)
        drafted = datetime.combine(valid_from - timedelta(days=rng.randint(20, 45)), clock(rng.randint(1, 9)))
        if status in ("draft", "pending_approval"):
            drafted = world.now - timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 8))
        history = [(None, "draft", author, drafted, None)]
        approved_at = None
        if status != "draft":
            submitted = drafted + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 6))
            history.append(("draft", "pending_approval", author, min(submitted, world.now), None))
        if status in ("active", "expired", "terminated"):
            approved_at = datetime.combine(
                valid_from - timedelta(days=rng.randint(1, 10)), clock(rng.randint(1, 9))
            )
            history.append(("pending_approval", "active", approver, approved_at, None))
        if status == "expired":
            history.append(
                (
                    "active",
                    "expired",
                    None,
                    datetime.combine(valid_to + timedelta(days=1), clock(16)),
                    None,
                )
            )
        if status == "terminated":
            at = datetime.combine(terminated_on, clock(rng.randint(1, 9)))
            history.append(("active", "terminated", approver, at, "客户经营调整，协议提前终止"))
        revenue, segments = _volume_for(world, c, valid_from, status)
        row = dict(
            id=agreement_id,
            number=number(c, valid_from),
            company_id=c.id,
            status=status,
            valid_from=valid_from,
            valid_to=valid_to,
            commitment_revenue_fen=revenue,
            commitment_segments=segments,
            internal_notes=rng.choice(ref.AGREEMENT_NOTES) if rng.random() < 0.3 else None,
            template_version=None,
            author_id=author,
            approved_by_id=approver if approved_at else None,
            approved_at=approved_at,
            renewed_from_id=renewed_from["id"] if renewed_from else None,
            created_at=drafted,
            updated_at=history[-1][3],
            **_entitlements(world, c),
        )
        agreements.append(row)
        older = status == "expired"
        for (scope, *rest), percent in c.discounts.items():
            if scope in ("domestic", "international"):
                origin = destination = None
                cabin = rest[0]
            else:
                origin, destination, cabin = scope, rest[0], rest[1]
                scope = "city_pair"
            value = max(1.0, percent - (1 if older else 0))
            discounts.append(
                dict(
                    id=world.ids("agreement_discount"),
                    agreement_id=agreement_id,
                    scope=scope,
                    origin=origin,
                    destination=destination,
                    cabin=cabin,
                    percent=Decimal(str(value)).quantize(Decimal("0.01")),
                )
            )
        for threshold, rebate in _incentive_tiers(world, c):
            tiers.append(
                dict(
                    id=world.ids("incentive_tier"),
                    agreement_id=agreement_id,
                    threshold_percent=Decimal(threshold).quantize(Decimal("0.01")),
                    rebate_percent=Decimal(str(rebate)).quantize(Decimal("0.01")),
                )
            )
        for from_status, to_status, actor, at, note in history:
            events.append(
                dict(
                    id=world.ids("agreement_event"),
                    agreement_id=agreement_id,
                    from_status=from_status,
                    to_status=to_status,
                    actor_id=actor,
                    at=at,
                    note=note,
                )
            )
        return row

    for c in world.companies:
        if c.status == "prospect":
            if c.manager_id and rng.random() < 0.3:
                status = "draft" if rng.random() < 0.65 else "pending_approval"
                c.current_agreement = add(c, status, world.today + timedelta(days=rng.randint(10, 60)))
            continue
        # The current term, then older yearly terms back to when the company started flying.
        if c.behaviour in ("steady", "sleeping") or (c.behaviour == "lost" and rng.random() < 0.5):
            anchor = world.today - timedelta(days=rng.randint(15, 350))
            status = "active"
        elif c.behaviour == "new":
            anchor = max(
                world.dates[c.first_day] - timedelta(days=rng.randint(3, 20)),
                world.today - timedelta(days=350),
            )
            anchor = min(anchor, world.today - timedelta(days=5))
            status = "active"
        elif c.behaviour == "suspended":
            anchor = world.today - timedelta(days=rng.randint(120, 330))
            status = "terminated"
        else:  # lost without renewal, closed
            anchor = world.today - timedelta(days=rng.randint(400, 700))
            status = "expired" if c.behaviour == "lost" or rng.random() < 0.5 else "terminated"
        # Earlier yearly terms while the earliest one starts after the company's first flight.
        terms = [anchor]
        begins = world.dates[c.first_day] if c.first_day is not None else anchor
        while terms[-1] > begins:
            earlier = terms[-1] - timedelta(days=365)
            if earlier < window_start - timedelta(days=365):
                break
            terms.append(earlier)
        previous = None
        for i, valid_from in enumerate(reversed(terms)):
            last = i == len(terms) - 1
            term_status = status if last else "expired"
            terminated_on = None
            if term_status == "terminated":
                latest = min(world.today, valid_from + timedelta(days=363))
                terminated_on = valid_from + timedelta(
                    days=rng.randint(30, max(31, (latest - valid_from).days))
                )
                terminated_on = min(terminated_on, world.today)
            previous = add(c, term_status, valid_from, renewed_from=previous, terminated_on=terminated_on)
            if c.first_agreement is None:
                c.first_agreement = previous
        if previous["status"] == "active":
            c.current_agreement = previous
            if (previous["valid_to"] - world.today).days <= 75 and rng.random() < 0.6:
                status = "draft" if rng.random() < 0.5 else "pending_approval"
                c.renewal = add(c, status, previous["valid_to"] + timedelta(days=1), renewed_from=previous)
    world.insert(Agreement, agreements)
    world.insert(AgreementDiscount, discounts)
    world.insert(IncentiveTier, tiers)
    world.insert(AgreementEvent, events)


def _volume_for(world: "World", c: CompanyPlan, valid_from: date, status: str) -> tuple[int, int]:
    """An annual commitment sized to what the company flies (or flew in that term)."""
    rng = world.rng
    revenue, segments = _flown_between(world, c, valid_from, valid_from + timedelta(days=364))
    if status in ("active", "draft", "pending_approval"):
        # Negotiated on last year's volume; an account gone quiet keeps the earlier one.
        last_year = _flown_between(world, c, world.today - timedelta(days=364), world.today)
        year_before = _flown_between(
            world, c, world.today - timedelta(days=729), world.today - timedelta(days=365)
        )
        revenue, segments = last_year if last_year[0] >= 0.6 * year_before[0] else year_before
    if segments == 0:
        segments = int(c.annual) or rng.randint(20, 80)
        revenue = segments * 1_500_00
    factor = rng.uniform(0.75, 1.15)
    revenue_cny = max(50_000, round(revenue / 100 * factor, -4))
    return int(revenue_cny) * 100, max(20, int(round(segments * factor, -1)))


def _flown_between(world: "World", c: CompanyPlan, first: date, last: date) -> tuple[int, int]:
    """Revenue (fen) and segments flown between two dates, annualised when partly outside the window."""
    if not c.revenue_by_month:
        return 0, 0
    lo = max(first, world.start)
    hi = min(last, world.today)
    if hi < lo:
        return 0, 0
    first_month = world.start.year * 12 + world.start.month - 1
    m0 = lo.year * 12 + lo.month - 1 - first_month
    m1 = hi.year * 12 + hi.month - 1 - first_month
    revenue = sum(c.revenue_by_month[m0 : m1 + 1])
    segments = sum(c.segments_by_month[m0 : m1 + 1])
    covered = (hi - lo).days + 1
    if covered < 365:
        revenue, segments = revenue * 365 // covered, segments * 365 // covered
    return revenue, segments


def _entitlements(world: "World", c: CompanyPlan) -> dict:
    rng = world.rng
    rank = TIERS.index(c.tier)  # 0 platinum .. 3 standard
    return dict(
        priority_booking=rank < 3 or rng.random() < 0.8,
        waitlist_priority=rank < 3 or rng.random() < 0.3,
        lounge=rank < 2 or (rank == 2 and rng.random() < 0.3),
        fast_track=rank < 2,
        extra_baggage=rank < 2 or (rank == 2 and rng.random() < 0.5),
        dedicated_hotline=rank == 0 or (rank == 1 and rng.random() < 0.5),
        # Per-trip services (no draw: the rest of the world stays as it was).
        ticket_pickup=rank < 2,
        checkin_help=rank < 2,
        escort=rank == 0,
    )


def _incentive_tiers(world: "World", c: CompanyPlan) -> list[tuple[int, float]]:
    rng = world.rng
    steps = {
        "platinum": ((80, 1.0), (100, 2.5), (120, 3.5), (150, 4.5)),
        "gold": ((80, 1.0), (100, 2.0), (120, 3.0)),
        "silver": ((80, 0.5), (100, 1.5), (120, 2.0)),
        "standard": ((90, 0.5), (100, 1.0)),
    }[c.tier]
    bonus = rng.choice((0.0, 0.0, 0.5))
    return [(threshold, rebate + bonus) for threshold, rebate in steps]
