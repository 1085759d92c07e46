"""Companies: who they are, how much they fly, how they behave; then their rows."""

import itertools
import math
import random
from bisect import bisect
from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from portal.companies import credit_code
from portal.companies.models import HEADCOUNT_BANDS, TIERS, Company
from portal.companies.pinyin import name_keys
from portal.demo import reference as ref
from portal.demo.plans import CompanyPlan, OfficePlan
from portal.scoring.engine import Rules

if TYPE_CHECKING:
    from portal.demo.world import World

SEGMENTS_PER_COMPANY_YEAR = 300
MAX_ANNUAL_SEGMENTS = 12_000  # the biggest account's rate
# The tier proxy: scoring's default shares of the rank, cumulated (5 %, 20 %, 50 %).
_DEFAULTS = Rules.defaults()
TIER_CUTS = tuple(
    float(cut / 100)
    for cut in itertools.accumulate((_DEFAULTS.share_platinum, _DEFAULTS.share_gold, _DEFAULTS.share_silver))
)
BANDS = tuple(reversed(HEADCOUNT_BANDS))  # by size rank, biggest first
BAND_CUTS = (0.04, 0.15, 0.45, 0.80)
_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def plan(world: "World") -> None:
    """Decide every company: group, status, behaviour, office, manager, name and volume."""
    rng, n = world.rng, world.n
    units = _group_units(world)
    rng.shuffle(units)
    order = [kind for unit in units for kind in unit]

    statuses = _exact_mix(rng, n, (("prospect", 0.16), ("suspended", 0.04), ("closed", 0.02)), "active")
    companies = []
    for i, kind in enumerate(order):
        status = statuses[i]
        companies.append(CompanyPlan(id=i + 1, status=status, behaviour=status, group=kind))
    active = [c for c in companies if c.status == "active"]
    behaviours = _exact_mix(rng, len(active), (("sleeping", 0.09), ("lost", 0.045), ("new", 0.12)), "steady")
    for company, behaviour in zip(active, behaviours, strict=True):
        company.behaviour = behaviour
    parent = None
    for company in companies:
        if company.group == "parent":
            parent = company
        elif company.group == "subsidiary":
            company.parent = parent

    # The demo manager's portfolio; its first two companies get the demo bookers, so they
    # fly steadily under an active agreement.
    size = min(n, max(min(n // 3, 8), round(n / 40), 2))
    portfolio = sorted(rng.sample(range(n), size))
    world.booker_companies = [companies[i] for i in portfolio[:2]]
    for index in portfolio:
        companies[index].office = world.offices[0]
        companies[index].manager_id = world.demo_manager_id
    for company in world.booker_companies:
        if company.behaviour == "steady":
            continue
        swap = next(
            (c for c in companies if c.behaviour == "steady" and c not in world.booker_companies), None
        )
        if swap is not None:
            company.status, swap.status = swap.status, company.status
            company.behaviour, swap.behaviour = swap.behaviour, company.behaviour
        else:
            company.status, company.behaviour = "active", "steady"

    for company in companies:
        _plan_company(world, company)
    for company in world.booker_companies:
        company.weight = max(company.weight, 1.5)
    _size_volumes(world, companies)
    world.companies = companies


def _group_units(world: "World") -> list[list[str]]:
    """Singles and groups (a parent followed by its subsidiaries), n companies in all."""
    rng, n = world.rng, world.n
    groups = max(1, round(n * 0.055)) if n >= 5 else 0
    units, used = [], 0
    for _ in range(groups):
        subs = rng.choices((1, 2, 3, 4), weights=(40, 30, 20, 10))[0]
        if used + 1 + subs > n // 3:
            subs = n // 3 - used - 1
            if subs < 1:
                break
        units.append(["parent"] + ["subsidiary"] * subs)
        used += 1 + subs
    units += [["single"] for _ in range(n - used)]
    return units


def _plan_company(world: "World", c: CompanyPlan) -> None:
    rng = world.rng
    if c.parent is not None:
        c.industry = c.parent.industry
    else:
        industries = list(ref.INDUSTRY_WEIGHT)
        weights = [ref.INDUSTRY_WEIGHT[i] for i in industries]
        while True:
            c.industry = rng.choices(industries, weights=weights)[0]
            if c.group == "single" or c.industry != "government":
                break
    if c.office is None:
        c.office = _pick_office(world, c)
    if c.manager_id is None:
        managers = [m for m in c.office.managers if m != world.demo_manager_id]
        if c.status != "prospect" or rng.random() < 0.92:
            c.manager_id = rng.choice(managers)
    if c.manager_id and c.status != "prospect" and len(c.office.managers) > 1 and rng.random() < 0.15:
        others = [m for m in c.office.managers if m != c.manager_id and m != world.demo_manager_id]
        if others:
            c.previous_manager_id = rng.choice(others)
    c.city = c.office.city
    _name(world, c)

    # Volume: lognormal gives the heavy tail (a few accounts with thousands of segments a
    # year, many with a few dozen); groups' parents fly more.
    c.weight = rng.lognormvariate(0, 1.5) * (2.0 if c.group == "parent" else 1.0)
    c.trend = max(-0.6, min(0.8, rng.gauss(0.06, 0.22)))
    c.international = min(0.45, ref.INDUSTRY_INTERNATIONAL[c.industry] * rng.lognormvariate(0, 0.6))
    c.premium = min(0.5, ref.INDUSTRY_PREMIUM[c.industry] * rng.lognormvariate(0, 0.5))
    last = world.days - 1
    behaviour = c.behaviour
    if behaviour in ("steady", "sleeping"):
        c.first_day, c.last_day = 0, last
        if behaviour == "sleeping":
            c.last_day = last - rng.randint(100, 300)
    elif behaviour == "new":
        c.first_day, c.last_day = rng.randint(world.days // 5, world.days * 4 // 5), last
    elif behaviour in ("lost", "suspended", "closed"):
        quiet = {"lost": (380, 600), "suspended": (60, 400), "closed": (200, 700)}[behaviour]
        days_quiet = rng.randint(*quiet)
        if days_quiet < world.days - 60:
            c.first_day, c.last_day = 0, last - days_quiet
    elif rng.random() < 0.35:  # a prospect that already flies with us without an agreement
        c.first_day, c.last_day = rng.randint(0, world.days // 2), last - rng.randint(0, 60)
        c.weight *= 0.08
    if c.first_day is None:
        c.weight = 0.0
    c.has_agreements = c.status in ("active", "suspended", "closed")
    # In the CRM before anything else about it: agreement companies since before their
    # oldest agreement term (new accounts were prospects first), prospects more recently.
    if c.has_agreements:
        created = world.start - timedelta(days=rng.randint(420, 900))
    else:
        first_seen = world.dates[c.first_day] if c.first_day is not None else world.today
        created = first_seen - timedelta(days=rng.randint(30, 400))
    c.created_at = datetime.combine(created, clock(rng.randint(1, 9)))
    if c.previous_manager_id:
        span = (world.today - c.created_at.date()).days
        c.reassigned_on = c.created_at.date() + timedelta(days=rng.randint(span // 4, span * 3 // 4))


def _pick_office(world: "World", c: CompanyPlan) -> OfficePlan:
    rng = world.rng
    branches = world.branches
    weights = [b.share for b in branches]
    if c.group == "parent":
        weights[0] *= 1.5  # groups have their head office in the capital more often
    if c.parent is not None and c.parent.office is not None:
        # Subsidiaries sit in other cities than their parent, mostly.
        weights = [
            w * (0.3 if b is c.parent.office.branch else 1.0) for w, b in zip(weights, branches, strict=True)
        ]
    branch = rng.choices(branches, weights=weights)[0]
    return rng.choices(branch.offices, weights=[o.share for o in branch.offices])[0]


def _name(world: "World", c: CompanyPlan) -> None:
    rng = world.rng
    city_en = ref.CITIES[c.city][0]
    for attempt in itertools.count():
        if c.industry == "government" and attempt > 30:
            c.industry = "consulting"  # every government body of the city is taken
        if c.industry == "government":
            district = rng.choice(c.office.districts)
            dept, dept_en = rng.choice(ref.GOVERNMENT_DEPARTMENTS)
            if rng.random() < 0.4:
                name, name_en = f"{c.city}市{dept}", f"{city_en} Municipal {dept_en}"
            else:
                district_en = ref.DISTRICTS[district][0]
                name = f"{c.city}市{district}{dept}"
                name_en = f"{dept_en} of {district_en} District, {city_en}"
            c.trade, c.words = (dept[:2], dept_en), (dept, dept_en)
        else:
            if c.parent is not None and attempt < 20:
                c.trade = c.parent.trade
                c.words = rng.choice(ref.INDUSTRY_WORDS[c.industry])
            else:
                first, second = rng.sample(ref.TRADE_CHARS, 2)
                c.trade = (first[0] + second[0], (first[1] + second[1]).capitalize())
                c.words = rng.choice(ref.INDUSTRY_WORDS[c.industry])
            name, name_en = _company_name(world, c, city_en)
        if name not in world.names_zh:
            break
    world.names_zh.add(name)
    c.name_zh, c.name_en = name, name_en
    # Mail domains under .example (RFC 2606): never a real company's.
    slug = f"{c.trade[1].lower()}-{c.words[1].split()[0].lower()}"
    if c.industry == "government":
        slug = f"gov-{city_en.lower()}"
    domain = f"{slug}.example"
    if domain in world.domains:
        domain = f"{slug}-{c.id}.example"
    world.domains.add(domain)
    c.domain = domain


def _company_name(world: "World", c: CompanyPlan, city_en: str) -> tuple[str, str]:
    rng = world.rng
    trade, trade_en = c.trade
    word, word_en = c.words
    if c.group == "parent":
        if rng.random() < 0.5:
            return f"{trade}{word}集团有限公司", f"{trade_en} {word_en} Group Co., Ltd."
        return f"{c.city}{trade}集团有限公司", f"{city_en} {trade_en} Group Co., Ltd."
    if c.group == "subsidiary":
        if rng.random() < 0.5:
            return f"{trade}{word}（{c.city}）有限公司", f"{trade_en} {word_en} ({city_en}) Co., Ltd."
        return f"{c.city}{trade}{word}有限公司", f"{city_en} {trade_en} {word_en} Co., Ltd."
    if rng.random() < 0.25:
        return f"{trade}{word}股份有限公司", f"{trade_en} {word_en} Co., Ltd."
    return f"{c.city}{trade}{word}有限公司", f"{city_en} {trade_en} {word_en} Co., Ltd."


def _size_volumes(world: "World", companies: list[CompanyPlan]) -> None:
    """Scale every company's rate so the world has about 300 segments a company a year."""
    flying = [c for c in companies if c.weight > 0]
    exposure = {}
    for c in flying:
        total = 0.0
        for day in range(c.first_day, c.last_day + 1):
            total += world.season[day] * math.exp(c.trend * (day - world.days + 1) / 365)
        exposure[c.id] = total / 365
    # The biggest accounts are capped; the others are scaled up until the total is met.
    target = SEGMENTS_PER_COMPANY_YEAR * world.n * world.years
    capped: set[int] = set()
    scale = 0.0
    while flying:
        free = [c for c in flying if c.id not in capped]
        room = target - sum(MAX_ANNUAL_SEGMENTS * exposure[c.id] for c in flying if c.id in capped)
        scale = room / sum(c.weight * exposure[c.id] for c in free) if free else 0.0
        over = [c.id for c in free if c.weight * scale > MAX_ANNUAL_SEGMENTS]
        if not over:
            break
        capped.update(over)
    for c in flying:
        c.annual = min(MAX_ANNUAL_SEGMENTS, c.weight * scale)
        c.expected = c.annual * exposure[c.id]
    # Tier proxy by size among agreement companies: the share rule of scoring.
    ranked = sorted((c for c in companies if c.has_agreements), key=lambda c: (-c.annual, c.id))
    for rank, c in enumerate(ranked):
        c.tier = TIERS[bisect(TIER_CUTS, rank / len(ranked))]
    for c in companies:
        _plan_discounts(world, c)


def _plan_discounts(world: "World", c: CompanyPlan) -> None:
    if not c.has_agreements:
        return
    base = {"platinum": 13, "gold": 10, "silver": 8, "standard": 6}[c.tier]
    base += world.rng.choice((-1, -0.5, 0, 0.5, 1))
    c.discounts = {
        ("domestic", "Y"): base,
        ("domestic", "C"): max(2.0, base - 3),
    }
    if c.international > 0.03:
        c.discounts[("international", "Y")] = base + 3
        c.discounts[("international", "C")] = max(2.0, base - 1)


def write(world: "World") -> None:
    """The company rows; headcount follows travel volume, loosely."""
    rows = []
    # Headcount follows travel volume, loosely.
    by_rank = sorted(world.companies, key=lambda c: (-c.annual, c.id))
    bands = {}
    for rank, c in enumerate(by_rank):
        band = bisect(BAND_CUTS, rank / len(by_rank)) + world.rng.choice((-1, 0, 0, 0, 1))
        bands[c.id] = BANDS[min(len(BANDS) - 1, max(0, band))]
    for c in world.companies:
        updated = min(world.now, c.created_at + timedelta(days=world.rng.randint(0, 700)))
        rows.append(
            dict(
                id=world.ids("company"),
                name_zh=c.name_zh,
                # Rows are written in bulk, past the ORM's listener: the keys come from
                # the same function.
                **name_keys(c.name_zh),
                name_en=c.name_en,
                credit_code=_credit_code(world, c),
                industry=c.industry,
                headcount_band=bands[c.id],
                city=c.city,
                address=_address(world, c),
                office_id=c.office.id,
                manager_id=c.manager_id,
                parent_id=c.parent.id if c.parent else None,
                status=c.status,
                tier=None,
                score=None,
                activity_status=None,
                created_at=c.created_at,
                updated_at=updated,
            )
        )
        assert rows[-1]["id"] == c.id
    world.insert(Company, rows)


def _credit_code(world: "World", c: CompanyPlan) -> str:
    rng = world.rng
    district = _district(world, c)
    division = ref.DISTRICTS[district][1]
    kind = "11" if c.industry == "government" else "91"
    while True:
        if kind == "91" and rng.random() < 0.5:
            body = "MA" + "".join(rng.choice(_ORG_CHARS) for _ in range(6))
        else:
            body = "".join(rng.choice("0123456789") for _ in range(8))
        code = credit_code.make(kind + division + body + _org_code_check(body))
        if code not in world.codes:
            world.codes.add(code)
            return code


def _district(world: "World", c: CompanyPlan) -> str:
    if not c.district:
        c.district = world.rng.choice(c.office.districts)
    return c.district


def _address(world: "World", c: CompanyPlan) -> str:
    rng = world.rng
    district = _district(world, c)
    road = rng.choice(ref.DISTRICTS[district][2])
    number = rng.randint(1, 399)
    if c.industry == "government":
        return f"{c.city}市{district}{road}{number}号"
    owner = c.trade[0] if rng.random() < 0.4 else rng.choice(("国际", "环球", "中信", "华润", "嘉里"))
    building = owner + rng.choice(ref.BUILDING_SUFFIXES)
    floor = rng.randint(2, 38)
    return f"{c.city}市{district}{road}{number}号{building}{floor}层"


def _org_code_check(body: str) -> str:
    """The check character of an 8-character organisation code (GB 11714)."""
    weights = (3, 7, 9, 10, 5, 8, 4, 2)
    total = sum((int(ch) if ch.isdigit() else ord(ch) - 55) * w for ch, w in zip(body, weights, strict=True))
    check = 11 - total % 11
    return "X" if check == 10 else "0" if check == 11 else str(check)


def _exact_mix(rng: random.Random, n: int, shares, rest: str) -> list[str]:
    """n labels in the given shares (each at least one when n >= 10), the rest `rest`, shuffled."""
    labels = []
    for label, share in shares:
        count = round(n * share)
        if n >= 10:
            count = max(1, count)
        labels += [label] * count
    labels = labels[:n]
    labels += [rest] * (n - len(labels))
    rng.shuffle(labels)
    return labels
