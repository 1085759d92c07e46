"""The deterministic demo world (DESIGN §6): branches, offices, staff, companies, agreements,
quotas, travellers, interactions, reminders and years of flown segments.

The same seed and the same "today" give the same rows, ids included. The big tables are
written with bulk inserts (COPY on PostgreSQL), not through the ORM; the ORM adds only the
organisation and the users, so the audit trail attributes them to "system:seed".
"""

import itertools
import math
import random
import time
from bisect import bisect
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from datetime import time as clock
from decimal import Decimal

import click
from flask import current_app
from sqlalchemy import select, text, update
from tqdm import tqdm

from portal import bulk
from portal.agreements.models import Agreement, AgreementDiscount, AgreementEvent, IncentiveTier
from portal.audit.models import AuditEvent
from portal.audit.trail import acting_as
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.companies import credit_code
from portal.companies.models import SERVICE_NEEDS, Company, Contact, Interaction, ManagerAssignment, Traveller
from portal.companies.pinyin import name_keys
from portal.demo import reference as ref
from portal.extensions import db
from portal.org.models import Branch, SalesOffice
from portal.pipeline.models import Opportunity, OpportunityStageChange
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.segments import rollup
from portal.segments.models import Segment
from portal.stations.models import SERVICE_ENTITLEMENT, SERVICES, ServiceRequest, Station
from portal.surveys.models import Survey, SurveyResponse

# The demo logins of DESIGN §6, in the order they are printed.
DEMO_LOGINS = (
    "admin@demo.example",
    "management@demo.example",
    "head@demo.example",
    "manager@demo.example",
    "booker@demo.example",
    "booker2@demo.example",
    "station@demo.example",
)

SEGMENTS_PER_COMPANY_YEAR = 300
MAX_ANNUAL_SEGMENTS = 12_000  # the biggest account's rate
SEGMENT_COLUMNS = (
    "id",
    "ticket_number",
    "coupon_number",
    "company_id",
    "traveller_id",
    "traveller_name",
    "flight_number",
    "flight_date",
    "origin",
    "destination",
    "cabin",
    "fare_class",
    "net_revenue_fen",
    "distance_km",
)
# The summary's keys and the tables they count.
SUMMARY = (
    ("branches", "branch"),
    ("offices", "sales_office"),
    ("users", "user"),
    ("companies", "company"),
    ("contacts", "contact"),
    ("travellers", "traveller"),
    ("agreements", "agreement"),
    ("quotas", "quota"),
    ("priority_requests", "priority_request"),
    ("segments", "segment"),
    ("interactions", "interaction"),
    ("reminders", "reminder"),
    ("opportunities", "opportunity"),
    ("survey_answers", "survey_response"),
    ("alerts", "alert"),
)
# Stations with VIP service notices (要客通知单), and the teams on each distribution list.
STATIONS = (
    ("PEK", "北京首都国际机场"),
    ("PKX", "北京大兴国际机场"),
    ("SHA", "上海虹桥国际机场"),
    ("CAN", "广州白云国际机场"),
)
STATION_TEAMS = ("ground", "cabin", "catering", "lounge")
CHUNK = 50_000  # rows per bulk statement: big enough to amortise, small enough for memory

TIERS = ("platinum", "gold", "silver", "standard")
TIER_CUTS = (0.05, 0.20, 0.50)  # DESIGN §4 default shares of the rank, cumulated
BANDS = ("10000+", "2000-9999", "500-1999", "100-499", "1-99")  # by size rank, biggest first
BAND_CUTS = (0.04, 0.15, 0.45, 0.80)
REVISIT_DAYS = {"platinum": 30, "gold": 60, "silver": 90, "standard": 180}  # DESIGN §4 defaults
CONTACT_EVERY_DAYS = {"platinum": 21, "gold": 40, "silver": 70, "standard": 110}
STAGE_PROBABILITY = {"lead": 10, "qualified": 25, "proposal": 50, "negotiation": 70, "won": 100, "lost": 0}
OPEN_STAGES = ("lead", "qualified", "proposal", "negotiation")

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


# --- Public entry points ---------------------------------------------------------------------


def database_is_empty() -> bool:
    """Whether the database has neither companies nor users."""
    return (
        db.session.scalar(select(Company.id).limit(1)) is None
        and db.session.scalar(select(User.id).limit(1)) is None
    )


def print_logins(password: str) -> None:
    """Print the demo logins found in the database, with the demo password."""
    users = {u.email: u for u in db.session.scalars(select(User).where(User.email.in_(DEMO_LOGINS)))}
    if not users:
        click.echo("No demo logins in this database.")
        return
    click.echo(f"Demo logins (password: {password}):")
    for email in DEMO_LOGINS:
        user = users.get(email)
        if user is None:
            continue
        if user.company is not None:
            where = user.company.name_zh
        elif user.office is not None:
            where = f"{user.office.branch.name_zh} {user.office.name_zh}"
        elif user.station is not None:
            where = f"{user.station.name} ({user.station.code})"
        else:
            where = ""
        click.echo(f"  {email:<26} {user.role:<16} {user.name:<6} {where}")


def seed_world(
    companies: int = 1200, years: int = 2, seed: int = 42, progress: bool = True, today: date | None = None
) -> dict:
    """Build the demo world in one transaction and commit it; returns counts of what was made."""
    started = time.perf_counter()
    world = _World(companies=companies, years=years, seed=seed, today=today or date.today())
    session = db.session
    with acting_as("system:seed"):
        try:
            summary = world.build(session, progress)
            summary["seconds"] = round(time.perf_counter() - started, 1)
            session.add(
                AuditEvent(
                    actor_label="system:seed",
                    action="seed",
                    entity="seed",
                    after=dict(summary, seed=seed, years=years, as_of=world.today.isoformat()),
                )
            )
            session.commit()
        except BaseException:
            session.rollback()
            raise
    # Freshly bulk-loaded tables have no planner statistics; without them SQLite (and a
    # PostgreSQL not yet auto-analysed) picks poor indexes for the dossier's queries.
    session.execute(text("ANALYZE"))
    session.commit()
    return summary


# --- Plans ------------------------------------------------------------------------------------


@dataclass(eq=False)
class _Office:
    id: int
    code: str
    city: str
    branch: "_Branch"
    share: float
    districts: tuple[str, ...]
    managers: list[int] = field(default_factory=list)


@dataclass(eq=False)
class _Branch:
    id: int
    code: str
    name: str
    city: str
    share: float
    offices: list[_Office] = field(default_factory=list)
    head_id: int = 0


@dataclass(eq=False)
class _Person:
    name: str
    name_en: str  # ZHANG/XIAOMING, as on a ticket
    email_local: str  # xiaoming.zhang


@dataclass(eq=False)
class _Company:
    """Everything decided about one company before and while its rows are written."""

    id: int
    status: str
    behaviour: str  # steady, new, sleeping, lost, prospect, suspended, closed
    group: str = "single"  # single, parent, subsidiary
    parent: "_Company | None" = None
    industry: str = ""
    office: _Office | None = None
    manager_id: int | None = None
    previous_manager_id: int | None = None
    reassigned_on: date | None = None
    weight: float = 0.0
    annual: float = 0.0  # segments a year at today's rate
    expected: float = 0.0  # segments over the whole window
    tier: str = "standard"  # a proxy of the tier scoring will give: size rank
    trade: tuple[str, str] = ("", "")
    words: tuple[str, str] = ("", "")
    name_zh: str = ""
    name_en: str = ""
    domain: str = ""
    city: str = ""
    district: str = ""
    first_day: int | None = None  # window day index of the first and last possible flight
    last_day: int | None = None
    trend: float = 0.0
    created_at: datetime | None = None
    has_agreements: bool = False
    international: float = 0.0
    premium: float = 0.0
    discounts: dict = field(default_factory=dict)  # (scope, cabin) or (origin, destination, cabin) -> %
    contacts: list = field(default_factory=list)  # (id, role, _Person)
    travellers: list = field(default_factory=list)  # (id, _Person)
    booker_person: _Person | None = None
    # What its segments came to, for sizing agreements and quotas.
    revenue_by_month: list = field(default_factory=list)
    segments_by_month: list = field(default_factory=list)
    flown_last_day: int | None = None
    recent_routes: dict = field(default_factory=dict)  # (origin, destination, cabin) -> count, 90 days
    flights_of: list = field(default_factory=list)  # per key traveller: segments in the last year
    top_route: tuple[str, str] | None = None
    current_agreement: dict | None = None
    first_agreement: dict | None = None
    renewal: dict | None = None
    booker_ids: list = field(default_factory=list)


class _Ids:
    """Explicit, sequential ids per table, so foreign keys are known before anything is written."""

    def __init__(self):
        self._next = {}

    def __call__(self, table: str) -> int:
        value = self._next.get(table, 1)
        self._next[table] = value + 1
        return value

    def tables(self) -> list[str]:
        return list(self._next)

    def issued(self, table: str) -> int:
        return self._next.get(table, 1) - 1


# --- The world ---------------------------------------------------------------------------------


class _World:
    """One seeding run: the plans of every row, the random streams, and the writes."""

    def __init__(self, companies: int, years: int, seed: int, today: date):
        self.n = companies
        self.years = years
        self.seed = seed
        self.today = today
        self.now = datetime.combine(today, clock(2, 0))  # 10:00 in Beijing, as UTC
        self.days = 365 * years
        self.start = today - timedelta(days=self.days - 1)
        self.dates = [self.start + timedelta(days=i) for i in range(self.days)]
        self.rng = random.Random(f"portal-demo:{seed}")
        self.ids = _Ids()
        self.counts: dict[str, int] = {}
        self.routes = _route_map()
        # (traveller id, flight, date) of confirmed and waitlisted requests made so far.
        self.live_requests: set[tuple] = set()
        self.branches: list[_Branch] = []
        self.offices: list[_Office] = []
        self.companies: list[_Company] = []
        self.demo_manager_id = 0
        self.emails: set[str] = set()
        self.names_zh: set[str] = set()
        self.codes: set[str] = set()
        self.domains: set[str] = set()
        self.season = [self._season(d) for d in self.dates]
        first_month = self.start.year * 12 + self.start.month - 1
        self.month_of_day = [d.year * 12 + d.month - 1 - first_month for d in self.dates]
        self.months = self.month_of_day[-1] + 1

    # -- the build, in foreign-key order --

    def build(self, session, progress: bool) -> dict:
        self.conn = session.connection()
        self.dialect = self.conn.dialect.name
        # scrypt is slow on purpose: hash the demo password once and share the hash.
        self.password_hash = hash_password(current_app.config["DEMO_PASSWORD"])
        with bulk.big_cache(self.conn):
            self._organisation(session)
            self._plan_companies()
            self._write_companies()
            self._bookers(session)
            self._contacts_and_assignments()
            with bulk.indexes_dropped(self.conn, "segment"):
                self._travel(progress)
            rollup.refresh_all()  # the monthly sums scoring reads
            self._agreements()
            self._quotas()
            self._stations(session)
            self._interactions_and_reminders()
            self._opportunities()
            self._surveys()
            bulk.reset_id_sequences(self.conn, [*self.ids.tables(), "segment"])
        self._warnings()
        for table in ("branch", "sales_office", "user"):  # written through the ORM
            self.counts[table] = self.ids.issued(table)
        return {name: self.counts.get(table, 0) for name, table in SUMMARY}

    # -- organisation and staff (ORM: few rows, audited) --

    def _organisation(self, session) -> None:
        rng = self.rng
        for code, name, name_en, city, share, offices in ref.BRANCHES:
            branch = _Branch(self.ids("branch"), code, name, city, share)
            session.add(Branch(id=branch.id, code=code, name_zh=name, name_en=name_en, city=city))
            self.branches.append(branch)
            for o_code, o_name, o_name_en, o_city, o_share, districts in offices:
                office = _Office(self.ids("sales_office"), o_code, o_city, branch, o_share, districts)
                session.add(
                    SalesOffice(
                        id=office.id,
                        branch_id=branch.id,
                        code=o_code,
                        name_zh=o_name,
                        name_en=o_name_en,
                        city=o_city,
                    )
                )
                branch.offices.append(office)
                self.offices.append(office)
        session.flush()

        hq = self.branches[0].offices[0]
        self._staff(session, "admin", hq, "系统管理员", email="admin@demo.example")
        self._staff(session, "management", hq, "营销委副总经理", email="management@demo.example")
        self._staff(session, "management", hq, "大客户部总经理")
        self._staff(session, "management", self.branches[0].offices[-1], "销售数据分析主管")
        for branch in self.branches:
            email = "head@demo.example" if branch is self.branches[0] else None
            branch.head_id = self._staff(
                session, "branch_head", branch.offices[0], "销售部总经理", email=email
            )
        for office in self.offices:
            expected = self.n * office.branch.share * office.share
            count = min(8, max(2, round(expected / 18)))
            for i in range(count):
                email = "manager@demo.example" if office is hq and i == 0 else None
                title = rng.choice(("客户经理", "客户经理", "高级客户经理", "资深客户经理"))
                office.managers.append(self._staff(session, "account_manager", office, title, email=email))
        self.demo_manager_id = hq.managers[0]
        session.flush()

    def _staff(self, session, role: str, office: _Office, title: str, email: str | None = None) -> int:
        person = _person(self.rng)
        user_id = self.ids("user")
        email = email or self._unique_email(person.email_local, "demo.example")
        self.emails.add(email)
        created = datetime.combine(self.start - timedelta(days=self.rng.randint(1000, 1500)), clock(1))
        session.add(
            User(
                id=user_id,
                email=email,
                name=person.name,
                password_hash=self.password_hash,
                role=role,
                office_id=office.id,
                phone=_mobile(self.rng),
                title=title,
                created_at=created,
                updated_at=created,
            )
        )
        return user_id

    def _unique_email(self, local: str, domain: str) -> str:
        for n in itertools.count(1):
            email = f"{local}@{domain}" if n == 1 else f"{local}{n}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return email
        raise AssertionError("unreachable")

    # -- companies: who they are, how much they fly, how they behave --

    def _plan_companies(self) -> None:
        rng, n = self.rng, self.n
        units = self._group_units()
        rng.shuffle(units)
        order = [kind for unit in units for kind in unit]

        statuses = _exact_mix(rng, n, (("prospect", 0.16), ("suspended", 0.04), ("closed", 0.02)), "active")
        companies = []
        for i, kind in enumerate(order):
            status = statuses[i]
            companies.append(_Company(id=i + 1, status=status, behaviour=status, group=kind))
        active = [c for c in companies if c.status == "active"]
        behaviours = _exact_mix(
            rng, len(active), (("sleeping", 0.09), ("lost", 0.045), ("new", 0.12)), "steady"
        )
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
        self.booker_companies = [companies[i] for i in portfolio[:2]]
        for index in portfolio:
            companies[index].office = self.offices[0]
            companies[index].manager_id = self.demo_manager_id
        for company in self.booker_companies:
            if company.behaviour == "steady":
                continue
            swap = next(
                (c for c in companies if c.behaviour == "steady" and c not in self.booker_companies), None
            )
            if swap is not None:
                company.status, swap.status = swap.status, company.status
                company.behaviour, swap.behaviour = swap.behaviour, company.behaviour
            else:
                company.status, company.behaviour = "active", "steady"

        for company in companies:
            self._plan_company(company)
        for company in self.booker_companies:
            company.weight = max(company.weight, 1.5)
        self._size_volumes(companies)
        self.companies = companies

    def _group_units(self) -> list[list[str]]:
        """Singles and groups (a parent followed by its subsidiaries), n companies in all."""
        rng, n = self.rng, self.n
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

    def _plan_company(self, c: _Company) -> None:
        rng = self.rng
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
            c.office = self._pick_office(c)
        if c.manager_id is None:
            managers = [m for m in c.office.managers if m != self.demo_manager_id]
            if c.status != "prospect" or rng.random() < 0.92:
                c.manager_id = rng.choice(managers)
        if c.manager_id and c.status != "prospect" and len(c.office.managers) > 1 and rng.random() < 0.15:
            others = [m for m in c.office.managers if m != c.manager_id and m != self.demo_manager_id]
            if others:
                c.previous_manager_id = rng.choice(others)
        c.city = c.office.city
        self._name(c)

        # Volume: lognormal gives the heavy tail (a few accounts with thousands of segments a
        # year, many with a few dozen); groups' parents fly more.
        c.weight = rng.lognormvariate(0, 1.5) * (2.0 if c.group == "parent" else 1.0)
        c.trend = max(-0.6, min(0.8, rng.gauss(0.06, 0.22)))
        c.international = min(0.45, ref.INDUSTRY_INTERNATIONAL[c.industry] * rng.lognormvariate(0, 0.6))
        c.premium = min(0.5, ref.INDUSTRY_PREMIUM[c.industry] * rng.lognormvariate(0, 0.5))
        last = self.days - 1
        behaviour = c.behaviour
        if behaviour in ("steady", "sleeping"):
            c.first_day, c.last_day = 0, last
            if behaviour == "sleeping":
                c.last_day = last - rng.randint(100, 300)
        elif behaviour == "new":
            c.first_day, c.last_day = rng.randint(self.days // 5, self.days * 4 // 5), last
        elif behaviour in ("lost", "suspended", "closed"):
            quiet = {"lost": (380, 600), "suspended": (60, 400), "closed": (200, 700)}[behaviour]
            days_quiet = rng.randint(*quiet)
            if days_quiet < self.days - 60:
                c.first_day, c.last_day = 0, last - days_quiet
        elif rng.random() < 0.35:  # a prospect that already flies with us without an agreement
            c.first_day, c.last_day = rng.randint(0, self.days // 2), last - rng.randint(0, 60)
            c.weight *= 0.08
        if c.first_day is None:
            c.weight = 0.0
        c.has_agreements = c.status in ("active", "suspended", "closed")
        # In the CRM before anything else about it: agreement companies since before their
        # oldest agreement term (new accounts were prospects first), prospects more recently.
        if c.has_agreements:
            created = self.start - timedelta(days=rng.randint(420, 900))
        else:
            first_seen = self.dates[c.first_day] if c.first_day is not None else self.today
            created = first_seen - timedelta(days=rng.randint(30, 400))
        c.created_at = datetime.combine(created, clock(rng.randint(1, 9)))
        if c.previous_manager_id:
            span = (self.today - c.created_at.date()).days
            c.reassigned_on = c.created_at.date() + timedelta(days=rng.randint(span // 4, span * 3 // 4))

    def _pick_office(self, c: _Company) -> _Office:
        rng = self.rng
        branches = self.branches
        weights = [b.share for b in branches]
        if c.group == "parent":
            weights[0] *= 1.5  # groups have their head office in the capital more often
        if c.parent is not None and c.parent.office is not None:
            # Subsidiaries sit in other cities than their parent, mostly.
            weights = [
                w * (0.3 if b is c.parent.office.branch else 1.0)
                for w, b in zip(weights, branches, strict=True)
            ]
        branch = rng.choices(branches, weights=weights)[0]
        return rng.choices(branch.offices, weights=[o.share for o in branch.offices])[0]

    def _name(self, c: _Company) -> None:
        rng = self.rng
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
                name, name_en = self._company_name(c, city_en)
            if name not in self.names_zh:
                break
        self.names_zh.add(name)
        c.name_zh, c.name_en = name, name_en
        # Mail domains under .example (RFC 2606): never a real company's.
        slug = f"{c.trade[1].lower()}-{c.words[1].split()[0].lower()}"
        if c.industry == "government":
            slug = f"gov-{city_en.lower()}"
        domain = f"{slug}.example"
        if domain in self.domains:
            domain = f"{slug}-{c.id}.example"
        self.domains.add(domain)
        c.domain = domain

    def _company_name(self, c: _Company, city_en: str) -> tuple[str, str]:
        rng = self.rng
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

    def _size_volumes(self, companies: list[_Company]) -> None:
        """Scale every company's rate so the world has about 300 segments a company a year."""
        flying = [c for c in companies if c.weight > 0]
        exposure = {}
        for c in flying:
            total = 0.0
            for day in range(c.first_day, c.last_day + 1):
                total += self.season[day] * math.exp(c.trend * (day - self.days + 1) / 365)
            exposure[c.id] = total / 365
        # The biggest accounts are capped; the others are scaled up until the total is met.
        target = SEGMENTS_PER_COMPANY_YEAR * self.n * self.years
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
            self._plan_discounts(c)

    def _plan_discounts(self, c: _Company) -> None:
        if not c.has_agreements:
            return
        base = {"platinum": 13, "gold": 10, "silver": 8, "standard": 6}[c.tier]
        base += self.rng.choice((-1, -0.5, 0, 0.5, 1))
        c.discounts = {
            ("domestic", "Y"): base,
            ("domestic", "C"): max(2.0, base - 3),
        }
        if c.international > 0.03:
            c.discounts[("international", "Y")] = base + 3
            c.discounts[("international", "C")] = max(2.0, base - 1)

    # -- writing companies and people --

    def _write_companies(self) -> None:
        rows = []
        # Headcount follows travel volume, loosely.
        by_rank = sorted(self.companies, key=lambda c: (-c.annual, c.id))
        bands = {}
        for rank, c in enumerate(by_rank):
            band = bisect(BAND_CUTS, rank / len(by_rank)) + self.rng.choice((-1, 0, 0, 0, 1))
            bands[c.id] = BANDS[min(len(BANDS) - 1, max(0, band))]
        for c in self.companies:
            updated = min(self.now, c.created_at + timedelta(days=self.rng.randint(0, 700)))
            rows.append(
                dict(
                    id=self.ids("company"),
                    name_zh=c.name_zh,
                    # Rows are written in bulk, past the ORM's listener: the keys come from
                    # the same function.
                    **name_keys(c.name_zh),
                    name_en=c.name_en,
                    credit_code=self._credit_code(c),
                    industry=c.industry,
                    headcount_band=bands[c.id],
                    city=c.city,
                    address=self._address(c),
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
        self._insert(Company, rows)

    def _credit_code(self, c: _Company) -> str:
        rng = self.rng
        district = self._district(c)
        division = ref.DISTRICTS[district][1]
        kind = "11" if c.industry == "government" else "91"
        while True:
            if kind == "91" and rng.random() < 0.5:
                body = "MA" + "".join(rng.choice(_ORG_CHARS) for _ in range(6))
            else:
                body = "".join(rng.choice("0123456789") for _ in range(8))
            code = credit_code.make(kind + division + body + _org_code_check(body))
            if code not in self.codes:
                self.codes.add(code)
                return code

    def _district(self, c: _Company) -> str:
        if not c.district:
            c.district = self.rng.choice(c.office.districts)
        return c.district

    def _address(self, c: _Company) -> str:
        rng = self.rng
        district = self._district(c)
        road = rng.choice(ref.DISTRICTS[district][2])
        number = rng.randint(1, 399)
        if c.industry == "government":
            return f"{c.city}市{district}{road}{number}号"
        owner = c.trade[0] if rng.random() < 0.4 else rng.choice(("国际", "环球", "中信", "华润", "嘉里"))
        building = owner + rng.choice(ref.BUILDING_SUFFIXES)
        floor = rng.randint(2, 38)
        return f"{c.city}市{district}{road}{number}号{building}{floor}层"

    def _bookers(self, session) -> None:
        """The bookers: the two demo logins, and a travel manager for some agreement companies."""
        rng = self.rng
        for c in self.companies:
            demo = None
            if c in self.booker_companies:
                demo = ("booker@demo.example", "booker2@demo.example")[self.booker_companies.index(c)]
            elif not (c.status == "active" and rng.random() < 0.25):
                continue
            person = _person(rng)
            c.booker_person = person
            email = demo or self._unique_email(person.email_local, c.domain)
            self.emails.add(email)
            user_id = self.ids("user")
            created = c.created_at + timedelta(days=rng.randint(10, 90))
            created = min(created, self.now)
            session.add(
                User(
                    id=user_id,
                    email=email,
                    name=person.name,
                    password_hash=self.password_hash,
                    role="booker",
                    company_id=c.id,
                    phone=_mobile(rng),
                    title=rng.choice(ref.CONTACT_TITLES["travel_manager"]),
                    created_at=created,
                    updated_at=created,
                )
            )
            c.booker_ids.append(user_id)
        session.flush()

    def _contacts_and_assignments(self) -> None:
        rng = self.rng
        contacts, assignments = [], []
        for c in self.companies:
            roles = ["travel_manager"]
            for role, p in (("finance", 0.7), ("decision_maker", 0.6), ("other", 0.2)):
                if rng.random() < p:
                    roles.append(role)
            for role in roles:
                person = c.booker_person if role == "travel_manager" else None
                person = person or _person(rng)
                contact_id = self.ids("contact")
                c.contacts.append((contact_id, role, person))
                created = min(self.now, c.created_at + timedelta(days=rng.randint(0, 60)))
                contacts.append(
                    dict(
                        id=contact_id,
                        company_id=c.id,
                        name=person.name,
                        title=rng.choice(ref.CONTACT_TITLES[role]),
                        role=role,
                        phone=_mobile(rng),
                        email=f"{person.email_local}@{c.domain}",
                        notes="负责审批差旅费用" if role == "finance" and rng.random() < 0.3 else None,
                        deleted_at=None,
                        created_at=created,
                        updated_at=created,
                    )
                )
            if c.manager_id is None:
                continue
            head = c.office.branch.head_id
            started = c.created_at
            if c.previous_manager_id:
                moved = datetime.combine(c.reassigned_on, clock(3))
                assignments.append(
                    dict(
                        id=self.ids("manager_assignment"),
                        company_id=c.id,
                        manager_id=c.previous_manager_id,
                        assigned_by_id=head,
                        started_at=started,
                        ended_at=moved,
                        note=None,
                    )
                )
                started = moved
            assignments.append(
                dict(
                    id=self.ids("manager_assignment"),
                    company_id=c.id,
                    manager_id=c.manager_id,
                    assigned_by_id=head,
                    started_at=started,
                    ended_at=None,
                    note="客户经理岗位调整" if c.previous_manager_id else None,
                )
            )
        self._insert(Contact, contacts)
        self._insert(ManagerAssignment, assignments)

    # -- travel: travellers and segments, company by company --

    def _travel(self, progress: bool) -> None:
        travellers: list[dict] = []
        segments: list[tuple] = []
        self.segment_id = 0
        self.ticket_counters: dict[int, int] = {}
        bar = tqdm(total=self.n, desc="seeding", unit="company", disable=not progress, leave=False)
        for c in self.companies:
            rng = random.Random(f"portal-demo:{self.seed}:travel:{c.id}")
            start = len(segments)
            self._travel_of(c, rng, travellers, segments)
            self._traveller_rows(c, rng, travellers, segments, start)
            if len(segments) >= CHUNK:
                self._flush_travel(travellers, segments)
            bar.update(1)
        self._flush_travel(travellers, segments)
        bar.close()

    def _flush_travel(self, travellers: list, segments: list) -> None:
        # Travellers first: segments refer to them.
        self._insert(Traveller, travellers)
        self._insert_tuples(Segment, SEGMENT_COLUMNS, segments)
        travellers.clear()
        segments.clear()

    def _travel_of(self, c: _Company, rng: random.Random, travellers: list, segments: list) -> None:
        c.revenue_by_month = [0] * self.months
        c.segments_by_month = [0] * self.months
        if c.annual > 0:
            key = min(60, max(2, round(2 + math.sqrt(c.annual) * 0.8)))
        else:
            key = rng.randint(0, 3) if c.status in ("active", "prospect") else rng.randint(1, 3)
        if c in self.booker_companies:
            key = max(key, 4)
        names = set()
        people = []
        while len(people) < key:
            person = _person(rng)
            if person.name not in names:
                names.add(person.name)
                people.append(person)
        c.travellers = [(None, p) for p in people]  # ids are given when written
        if c.annual <= 0:
            return

        destinations = self._destinations(c, rng)
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
            name = _person(rng).name
            if name not in names:  # a namesake of a key traveller would look like them
                names.add(name)
                pool.append(name)
        flyers = [(k, people[k].name, premium[k]) for k in range(key)]
        flyers += [(-1, name, min(0.9, c.premium * 0.5)) for name in pool]
        key_share = 0.75
        flyer_weights = [w / sum(weights) * key_share for w in weights]
        flyer_weights += [(1 - key_share) / len(pool)] * len(pool)
        flyer_cum = list(itertools.accumulate(flyer_weights))

        day_cum = list(
            itertools.accumulate(
                self.season[d] * math.exp(c.trend * (d - self.days + 1) / 365)
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
        last = self.days - 1
        recent = self.days - 90
        year_ago = self.days - 365
        dates, month_of = self.dates, self.month_of_day
        revenue, flown = c.revenue_by_month, c.segments_by_month
        routes = c.recent_routes
        counters = self.ticket_counters
        flights_of = [0] * key
        cid = c.id
        last_flown = None
        seg_id = self.segment_id
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
        self.segment_id = seg_id
        c.flown_last_day = last_flown
        c.flights_of = flights_of

    def _destinations(self, c: _Company, rng: random.Random) -> list[tuple]:
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
                path = self._path(home, code)
                if path is None:
                    continue
                back = self._path(code, home)
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

    def _path(self, origin: str, destination: str) -> list | None:
        """Legs from origin to destination: direct, else via Beijing or Chengdu."""
        if (origin, destination) in self.routes:
            return [self.routes[(origin, destination)]]
        for hub in ("PEK", "CTU"):
            if (origin, hub) in self.routes and (hub, destination) in self.routes:
                return [self.routes[(origin, hub)], self.routes[(hub, destination)]]
        return None

    def _traveller_rows(self, c: _Company, rng: random.Random, travellers: list, segments: list, start: int):
        """Write the company's key travellers, then give its segments their traveller ids."""
        ids = []
        flights_of = c.flights_of
        for k, (_, person) in enumerate(c.travellers):
            traveller_id = self.ids("traveller")
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
            created = min(self.now, c.created_at + timedelta(days=rng.randint(5, 120)))
            travellers.append(
                dict(
                    id=traveller_id,
                    company_id=c.id,
                    name=person.name,
                    name_en=person.name_en,
                    ff_number=f"CA{traveller_id * 7919 + 100_000_000_000:012d}"
                    if rng.random() < 0.92
                    else None,
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

    # -- agreements --

    def _agreements(self) -> None:
        rng = self.rng
        agreements, discounts, tiers, events = [], [], [], []
        numbers: dict[tuple[str, int], int] = {}
        window_start = self.start

        def number(c: _Company, valid_from: date) -> str:
            key = (c.office.branch.code, valid_from.year)
            numbers[key] = numbers.get(key, 0) + 1
            return f"CA-{key[0]}-{key[1]}-{numbers[key]:04d}"

        def add(c, status, valid_from, renewed_from=None, terminated_on=None):
            agreement_id = self.ids("agreement")
            author = c.manager_id or c.office.branch.head_id
            approver = c.office.branch.head_id
            valid_to = valid_from + timedelta(days=364)
            drafted = datetime.combine(
                valid_from - timedelta(days=rng.randint(20, 45)), clock(rng.randint(1, 9))
            )
            if status in ("draft", "pending_approval"):
                drafted = self.now - timedelta(days=rng.randint(1, 25), hours=rng.randint(0, 8))
            history = [(None, "draft", author, drafted, None)]
            approved_at = None
            if status != "draft":
                submitted = drafted + timedelta(days=rng.randint(1, 8), hours=rng.randint(0, 6))
                history.append(("draft", "pending_approval", author, min(submitted, self.now), None))
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
            revenue, segments = self._volume_for(c, valid_from, status)
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
                **self._entitlements(c),
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
                        id=self.ids("agreement_discount"),
                        agreement_id=agreement_id,
                        scope=scope,
                        origin=origin,
                        destination=destination,
                        cabin=cabin,
                        percent=Decimal(str(value)).quantize(Decimal("0.01")),
                    )
                )
            for threshold, rebate in self._incentive_tiers(c):
                tiers.append(
                    dict(
                        id=self.ids("incentive_tier"),
                        agreement_id=agreement_id,
                        threshold_percent=Decimal(threshold).quantize(Decimal("0.01")),
                        rebate_percent=Decimal(str(rebate)).quantize(Decimal("0.01")),
                    )
                )
            for from_status, to_status, actor, at, note in history:
                events.append(
                    dict(
                        id=self.ids("agreement_event"),
                        agreement_id=agreement_id,
                        from_status=from_status,
                        to_status=to_status,
                        actor_id=actor,
                        at=at,
                        note=note,
                    )
                )
            return row

        for c in self.companies:
            if c.status == "prospect":
                if c.manager_id and rng.random() < 0.3:
                    status = "draft" if rng.random() < 0.65 else "pending_approval"
                    c.current_agreement = add(c, status, self.today + timedelta(days=rng.randint(10, 60)))
                continue
            # The current term, then older yearly terms back to when the company started flying.
            if c.behaviour in ("steady", "sleeping") or (c.behaviour == "lost" and rng.random() < 0.5):
                anchor = self.today - timedelta(days=rng.randint(15, 350))
                status = "active"
            elif c.behaviour == "new":
                anchor = max(
                    self.dates[c.first_day] - timedelta(days=rng.randint(3, 20)),
                    self.today - timedelta(days=350),
                )
                anchor = min(anchor, self.today - timedelta(days=5))
                status = "active"
            elif c.behaviour == "suspended":
                anchor = self.today - timedelta(days=rng.randint(120, 330))
                status = "terminated"
            else:  # lost without renewal, closed
                anchor = self.today - timedelta(days=rng.randint(400, 700))
                status = "expired" if c.behaviour == "lost" or rng.random() < 0.5 else "terminated"
            # Earlier yearly terms while the earliest one starts after the company's first flight.
            terms = [anchor]
            begins = self.dates[c.first_day] if c.first_day is not None else anchor
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
                    latest = min(self.today, valid_from + timedelta(days=363))
                    terminated_on = valid_from + timedelta(
                        days=rng.randint(30, max(31, (latest - valid_from).days))
                    )
                    terminated_on = min(terminated_on, self.today)
                previous = add(c, term_status, valid_from, renewed_from=previous, terminated_on=terminated_on)
                if c.first_agreement is None:
                    c.first_agreement = previous
            if previous["status"] == "active":
                c.current_agreement = previous
                if (previous["valid_to"] - self.today).days <= 75 and rng.random() < 0.6:
                    status = "draft" if rng.random() < 0.5 else "pending_approval"
                    c.renewal = add(
                        c, status, previous["valid_to"] + timedelta(days=1), renewed_from=previous
                    )
        self._insert(Agreement, agreements)
        self._insert(AgreementDiscount, discounts)
        self._insert(IncentiveTier, tiers)
        self._insert(AgreementEvent, events)

    def _volume_for(self, c: _Company, valid_from: date, status: str) -> tuple[int, int]:
        """An annual commitment sized to what the company flies (or flew in that term)."""
        rng = self.rng
        revenue, segments = self._flown_between(c, valid_from, valid_from + timedelta(days=364))
        if status in ("active", "draft", "pending_approval"):
            # Negotiated on last year's volume; an account gone quiet keeps the earlier one.
            last_year = self._flown_between(c, self.today - timedelta(days=364), self.today)
            year_before = self._flown_between(
                c, self.today - timedelta(days=729), self.today - timedelta(days=365)
            )
            revenue, segments = last_year if last_year[0] >= 0.6 * year_before[0] else year_before
        if segments == 0:
            segments = int(c.annual) or rng.randint(20, 80)
            revenue = segments * 1_500_00
        factor = rng.uniform(0.75, 1.15)
        revenue_cny = max(50_000, round(revenue / 100 * factor, -4))
        return int(revenue_cny) * 100, max(20, int(round(segments * factor, -1)))

    def _flown_between(self, c: _Company, first: date, last: date) -> tuple[int, int]:
        """Revenue (fen) and segments flown between two dates, annualised when partly outside the window."""
        if not c.revenue_by_month:
            return 0, 0
        lo = max(first, self.start)
        hi = min(last, self.today)
        if hi < lo:
            return 0, 0
        first_month = self.start.year * 12 + self.start.month - 1
        m0 = lo.year * 12 + lo.month - 1 - first_month
        m1 = hi.year * 12 + hi.month - 1 - first_month
        revenue = sum(c.revenue_by_month[m0 : m1 + 1])
        segments = sum(c.segments_by_month[m0 : m1 + 1])
        covered = (hi - lo).days + 1
        if covered < 365:
            revenue, segments = revenue * 365 // covered, segments * 365 // covered
        return revenue, segments

    def _entitlements(self, c: _Company) -> dict:
        rng = self.rng
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

    def _incentive_tiers(self, c: _Company) -> list[tuple[int, float]]:
        rng = self.rng
        steps = {
            "platinum": ((80, 1.0), (100, 2.5), (120, 3.5), (150, 4.5)),
            "gold": ((80, 1.0), (100, 2.0), (120, 3.0)),
            "silver": ((80, 0.5), (100, 1.5), (120, 2.0)),
            "standard": ((90, 0.5), (100, 1.0)),
        }[c.tier]
        bonus = rng.choice((0.0, 0.0, 0.5))
        return [(threshold, rebate + bonus) for threshold, rebate in steps]

    # -- quotas and priority requests --

    def _quotas(self) -> None:
        rng = self.rng
        quotas, requests = [], []
        this_month = self.today.replace(day=1)
        next_month = (this_month + timedelta(days=32)).replace(day=1)
        month_after = (next_month + timedelta(days=32)).replace(day=1)
        for c in self.companies:
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
                    quota_id = self.ids("quota")
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
                    leg = self.routes[(origin, destination)]
                    made = self._requests(c, rng, quota_id, leg, cabin, month, month_end, seats, used)
                    # A traveller holds one live request per flight and date (a unique index):
                    # when a tiny company runs out of distinct ones, fewer seats are confirmed.
                    quotas[-1]["used"] = sum(1 for r in made if r["status"] == "confirmed")
                    requests += made
        self._insert(Quota, quotas)
        self._insert(PriorityRequest, requests)
        self.requests_made, self.quotas_made = requests, quotas

    def _requests(self, c, rng, quota_id, leg, cabin, month, month_end, seats, used) -> list[dict]:
        """The confirmed requests behind a quota's used seats, and some cancelled, waitlisted
        and expired ones around them."""
        _, origin, destination, _, flights, _ = leg
        month_days = (month_end - month).days
        requester = c.booker_ids[0] if c.booker_ids else c.manager_id
        priority = TIERS.index(c.tier)
        rows = []
        live = self.live_requests

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
            departure = _departure_utc(flight, flight_date)
            requested = min(
                departure - timedelta(days=rng.randint(2, 20), hours=rng.randint(0, 10)),
                self.now - timedelta(hours=rng.randint(1, 48)),
            )
            row = dict(
                id=self.ids("priority_request"),
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
                row["cancelled_at"] = min(self.now, requested + timedelta(hours=rng.randint(1, 72)))
            rows.append(row)

        for _ in range(used):
            request("confirmed", month + timedelta(days=rng.randrange(month_days)))
        if rng.random() < 0.15:
            request("cancelled", month + timedelta(days=rng.randrange(month_days)))
        if sum(r["status"] == "confirmed" for r in rows) == seats:  # full: a waitlist may form
            future = [month + timedelta(days=d) for d in range(month_days)]
            later = [d for d in future if d >= self.today + timedelta(days=2)]
            past = [d for d in future if d < self.today]
            for _ in range(rng.randint(1, 2) if later and rng.random() < 0.35 else 0):
                request("waitlisted", rng.choice(later))
            if past and rng.random() < 0.25:
                request("expired", rng.choice(past))
        return rows

    # -- stations, VIP travellers and per-trip services --

    def _stations(self, session) -> None:
        """The big stations with their distribution lists and a station user at PEK; VIP
        travellers; services on tomorrow's confirmed departures from PEK (their own random
        stream: the rest of the world does not move)."""
        rng = random.Random(self.seed * 7919 + 11)
        for code, name in STATIONS:
            lists = "\n".join(f"{team}-{code.lower()}@airport.demo.example" for team in STATION_TEAMS)
            made = datetime.combine(self.start, clock(8))
            session.add(Station(code=code, name=name, distribution=lists, created_at=made, updated_at=made))
        session.flush()
        pek = session.scalar(select(Station).where(Station.code == "PEK"))
        self.emails.add("station@demo.example")
        created = datetime.combine(self.start, clock(9))
        session.add(
            User(
                id=self.ids("user"),
                email="station@demo.example",
                name="刘晓燕",
                password_hash=self.password_hash,
                role="station",
                station_id=pek.id,
                phone="010-6454-0000",
                title="要客服务室值班主任",
                created_at=created,
                updated_at=created,
            )
        )
        session.flush()
        tomorrow = self.today + timedelta(days=1)
        by_id = {c.id: c for c in self.companies}
        departing = [
            r
            for r in self.requests_made
            if r["status"] == "confirmed" and r["origin"] == "PEK" and r["flight_date"] == tomorrow
        ]
        departing += self._key_departures(rng, tomorrow, by_id, want=4 - len(departing))
        departing.sort(key=lambda r: (r["departure_at"], r["id"]))
        vip_ids = set()
        for company in self.companies:  # a few VIPs among the key accounts' travellers
            if company.tier in ("platinum", "gold") and company.travellers and rng.random() < 0.25:
                vip_ids.add(company.travellers[0][0])
        for i, r in enumerate(departing[:12]):  # some of tomorrow's PEK travellers are VIPs
            if i % 3 == 0:
                vip_ids.add(r["traveller_id"])
        levels = {tid: ("vvip" if rng.random() < 0.2 else "vip") for tid in sorted(vip_ids)}
        for tid, level in levels.items():
            needs = sorted(rng.sample(SERVICE_NEEDS, rng.choice((0, 0, 1, 1, 2))), key=SERVICE_NEEDS.index)
            self.conn.execute(
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
        self._insert(ServiceRequest, services)
        self.counts["vip_travellers"] = len(levels)

    def _key_departures(self, rng, day: date, by_id: dict, want: int) -> list[dict]:
        """Confirmed requests on `day` from PEK on quotas with seats left, so that even a small
        world shows a VIP service notice (none when it has enough of its own)."""
        made = []
        company_of = {c.current_agreement["id"]: c for c in self.companies if c.current_agreement}
        month = day.replace(day=1)
        for q in self.quotas_made:
            if len(made) >= want:
                break
            c = company_of.get(q["agreement_id"])
            if c is None or q["origin"] != "PEK" or q["month"] != month or q["used"] >= q["seats"]:
                continue
            if not any(c.current_agreement.get(e) for e in SERVICE_ENTITLEMENT.values()):
                continue  # a departure whose agreement allows no service shows little
            flights = self.routes[(q["origin"], q["destination"])][4]
            flight = rng.choice(flights)
            free = [t for t, _ in c.travellers if (t, flight, day) not in self.live_requests]
            if not free:
                continue
            traveller_id = free[0]
            self.live_requests.add((traveller_id, flight, day))
            requested = self.now - timedelta(days=2, hours=rng.randint(0, 10))
            row = dict(
                id=self.ids("priority_request"),
                quota_id=q["id"],
                company_id=c.id,
                traveller_id=traveller_id,
                requested_by_id=c.booker_ids[0] if c.booker_ids else c.manager_id,
                flight_number=flight,
                flight_date=day,
                departure_at=_departure_utc(flight, day),
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
            self._insert(PriorityRequest, [row])
            self.conn.execute(update(Quota).where(Quota.id == q["id"]).values(used=Quota.used + 1))
            q["used"] += 1
            made.append(row)
        return made

    # -- interactions and reminders --

    def _interactions_and_reminders(self) -> None:
        rng = self.rng
        interactions, reminders = [], []
        window_start = datetime.combine(self.start, clock(1))
        for c in self.companies:
            if c.manager_id is None:
                continue
            begin = max(window_start, c.created_at)
            end = self.now
            if c.status == "closed" and c.flown_last_day is not None:
                end = min(end, datetime.combine(self.dates[c.flown_last_day], clock(8)) + timedelta(days=60))
            every = 50 if c.status == "prospect" else CONTACT_EVERY_DAYS[c.tier]
            if c.status in ("suspended", "closed"):
                every = 90
            at = begin + timedelta(days=rng.uniform(0, every))
            made = []
            while at < end:
                kind = self._interaction_kind(c, rng)
                occurred = datetime.combine(at.date(), clock(rng.randint(1, 9), rng.choice((0, 15, 30, 45))))
                if occurred <= self.now:
                    row = self._interaction(c, rng, kind, occurred)
                    interactions.append(row)
                    made.append(row)
                at += timedelta(days=every * rng.uniform(0.6, 1.4))
            reminders += self._reminders(c, rng, made)
        self._insert(Interaction, interactions)
        self._insert(Reminder, reminders)

    def _interaction_kind(self, c: _Company, rng: random.Random) -> str:
        if c.status == "prospect":
            return rng.choices(("visit", "call", "email", "meeting"), weights=(35, 40, 15, 10))[0]
        complaint = 3 + 2 * (3 - TIERS.index(c.tier))  # big accounts fly more and complain more
        return rng.choices(
            ("visit", "call", "email", "meeting", "feedback", "complaint"),
            weights=(38, 34, 8, 7, 6, complaint),
        )[0]

    def _interaction(self, c: _Company, rng: random.Random, kind: str, occurred: datetime) -> dict:
        contact = rng.choice(c.contacts)[2].name if c.contacts else "客户"
        traveller = rng.choice(c.travellers)[1].name if c.travellers else contact
        route = c.top_route or ("PEK", "SHA")
        values = dict(
            contact=contact,
            traveller=traveller,
            route=f"{ref.AIRPORTS[route[0]][0]}-{ref.AIRPORTS[route[1]][0]}",
            year=occurred.year,
            month=(occurred.month - 2) % 12 + 1,
            pct=rng.randint(55, 125),
        )
        if c.status == "prospect":
            summary = rng.choice(ref.PROSPECT_SUMMARIES[kind]).format(**values)
        else:
            summary = rng.choice(ref.SUMMARIES[kind]).format(**values)
        author = c.manager_id
        if c.previous_manager_id and occurred.date() < c.reassigned_on:
            author = c.previous_manager_id
        elif kind in ("visit", "meeting") and c.tier in ("platinum", "gold") and rng.random() < 0.15:
            author = c.office.branch.head_id
        row = dict(
            id=self.ids("interaction"),
            company_id=c.id,
            author_id=author,
            kind=kind,
            occurred_at=occurred,
            summary=summary,
            outcome=rng.choice(ref.OUTCOMES.get(kind, (None,))),
            next_step=rng.choice(ref.NEXT_STEPS) if rng.random() < 0.5 else None,
            complaint_status=None,
            due_at=None,
            resolved_at=None,
            created_at=occurred,
            updated_at=occurred,
        )
        if kind == "complaint":
            age = (self.now - occurred).days
            status = "resolved" if age > 45 else rng.choice(("open", "in_progress", "resolved"))
            row["complaint_status"] = status
            row["due_at"] = occurred + timedelta(days=7)
            if status == "resolved":
                resolved = min(
                    self.now, occurred + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8))
                )
                row["resolved_at"] = resolved
                row["updated_at"] = resolved
        return row

    def _reminders(self, c: _Company, rng: random.Random, made: list[dict]) -> list[dict]:
        rows = []
        taken = set()
        name = c.trade[0]

        def add(kind, title, due_on, status="open", interaction=None, **extra):
            if (kind, due_on) in taken:
                return
            taken.add((kind, due_on))
            created = min(self.now, datetime.combine(due_on - timedelta(days=14), clock(0)))
            row = dict(
                id=self.ids("reminder"),
                company_id=c.id,
                assignee_id=c.manager_id,
                kind=kind,
                title=title,
                due_on=due_on,
                status=status,
                snoozed_until=None,
                snooze_reason=None,
                completed_at=interaction["occurred_at"] if interaction else None,
                interaction_id=interaction["id"] if interaction else None,
                escalated_at=None,
                notified_at=None,
                created_at=created,
                updated_at=interaction["occurred_at"] if interaction else created,
            )
            row.update(extra)
            rows.append(row)

        if c.status == "active":
            visits = [r for r in made if r["kind"] in ("visit", "call", "meeting")]
            for visit in visits[-2:]:
                due = visit["occurred_at"].date() - timedelta(days=rng.randint(0, 5))
                add("revisit", f"定期回访：{name}", due, status="done", interaction=visit)
            last = visits[-1]["occurred_at"].date() if visits else c.created_at.date()
            due = last + timedelta(days=REVISIT_DAYS[c.tier])
            if rng.random() < 0.05:
                add(
                    "revisit",
                    f"定期回访：{name}",
                    due,
                    status="snoozed",
                    snoozed_until=self.today + timedelta(days=rng.randint(3, 14)),
                    snooze_reason=rng.choice(ref.SNOOZE_REASONS),
                )
            else:
                add("revisit", f"定期回访：{name}", due)
            if c.behaviour == "sleeping" and c.flown_last_day is not None:
                add(
                    "reactivation", f"睡眠客户激活：{name}", self.dates[c.flown_last_day] + timedelta(days=90)
                )
        recent = [r for r in made if r["next_step"] and (self.now - r["occurred_at"]).days <= 45]
        for r in recent[-2:]:
            due = r["occurred_at"].date() + timedelta(days=rng.randint(3, 21))
            status = "open" if due >= self.today - timedelta(days=10) else "done"
            add(
                "follow_up",
                f"跟进：{r['next_step']}",
                due,
                status=status,
                interaction=r if status == "done" else None,
            )
        return rows

    # -- pipeline --

    def _opportunities(self) -> None:
        rng = self.rng
        opportunities, changes = [], []
        for c in self.companies:
            if c.manager_id is None:
                continue
            short = c.trade[0]
            current = c.current_agreement
            wanted = []  # (kind, stage, title, agreement)
            if c.status == "prospect" and rng.random() < 0.75:
                stages, weights = (
                    ("lead", "qualified", "proposal", "negotiation", "lost"),
                    (30, 25, 20, 15, 10),
                )
                stage = "negotiation" if current else rng.choices(stages, weights=weights)[0]
                wanted.append(("new_account", stage, f"{short}新签协议", current))
            elif c.behaviour == "new" and c.first_agreement is not None:
                wanted.append(("new_account", "won", f"{short}新签协议", c.first_agreement))
            if c.renewal is not None:
                title = f"{short}{c.renewal['valid_from'].year}年协议续签"
                wanted.append(("renewal", "negotiation", title, c.renewal))
            elif current is not None and c.status == "active":
                if (current["valid_to"] - self.today).days <= 120:
                    title = f"{short}{current['valid_to'].year}年协议续签"
                    wanted.append(("renewal", rng.choice(("qualified", "proposal")), title, None))
                elif c.behaviour == "steady" and rng.random() < 0.08:
                    stage = rng.choice(("lead", "qualified", "proposal"))
                    wanted.append(("upsell", stage, f"{short}国际航线增量", None))
            for kind, stage, title, agreement in wanted:
                row, history = self._opportunity(c, rng, kind, stage, title, agreement)
                opportunities.append(row)
                changes += history
        self._insert(Opportunity, opportunities)
        self._insert(OpportunityStageChange, changes)

    def _opportunity(self, c, rng, kind, stage, title, agreement) -> tuple[dict, list[dict]]:
        """One opportunity and the stage changes that brought it where it is."""
        if stage == "won":
            path = [*OPEN_STAGES, "won"]
            closed_on = agreement["valid_from"] - timedelta(days=rng.randint(5, 20))
            begin = datetime.combine(closed_on - timedelta(days=rng.randint(40, 120)), clock(2))
        else:
            if stage == "lost":
                path = [*OPEN_STAGES[: rng.randint(1, 3)], "lost"]
            else:
                path = list(OPEN_STAGES[: OPEN_STAGES.index(stage) + 1])
            begin = self.now - timedelta(days=rng.randint(20, 200))
        opportunity_id = self.ids("opportunity")
        at, changes = begin, []
        for i, step in enumerate(path):
            if i:
                at = min(self.now, at + timedelta(days=rng.randint(5, 30)))
            changes.append(
                dict(
                    id=self.ids("opportunity_stage_change"),
                    opportunity_id=opportunity_id,
                    from_stage=path[i - 1] if i else None,
                    to_stage=step,
                    actor_id=c.manager_id,
                    at=at,
                )
            )
        is_open = stage in OPEN_STAGES
        annual_fen = round(max(c.annual, 30) * 1600, -4) * 100  # about 1,600 CNY a segment
        if kind == "upsell":
            annual_fen *= rng.uniform(0.2, 0.5)
        row = dict(
            id=opportunity_id,
            company_id=c.id,
            title=title,
            kind=kind,
            stage=stage,
            lost_reason=rng.choice(("price", "competitor", "no_budget", "timing"))
            if stage == "lost"
            else None,
            expected_revenue_fen=int(max(round(annual_fen, -6), 10_000_00)),
            probability=STAGE_PROBABILITY[stage],
            close_date=self.today + timedelta(days=rng.randint(15, 120)) if is_open else at.date(),
            owner_id=c.manager_id,
            next_step=rng.choice(ref.OPPORTUNITY_STEPS) if is_open else None,
            next_step_on=self.today + timedelta(days=rng.randint(-3, 21)) if is_open else None,
            agreement_id=agreement["id"] if agreement else None,
            stage_changed_at=at,
            created_at=begin,
            updated_at=at,
        )
        return row, changes

    # -- writing --

    # -- satisfaction surveys and early warnings --

    def _surveys(self) -> None:
        """Last quarter's survey, mailed to about half the active companies' contacts, most of
        them answered: promoters where travel is steady, detractors where it fades; the demo
        manager's companies are all asked. A recent detractor has a follow-up reminder open.
        Its own random stream, so the rest of the world does not change with it."""
        from portal.surveys.operations import quarter_of

        rng = random.Random(f"portal-demo-surveys:{self.seed}")
        this_quarter = date(self.today.year, (self.today.month - 1) // 3 * 3 + 1, 1)
        start = (this_quarter - timedelta(days=1)).replace(day=1)
        start = date(start.year, (start.month - 1) // 3 * 3 + 1, 1)
        occasion = quarter_of(start)
        sent_at = datetime.combine(start + timedelta(days=2), clock(1, 0))
        mood = {"steady": (8, 10), "new": (7, 10), "sleeping": (2, 8), "lost": (0, 6), "suspended": (3, 8)}
        surveys, responses, follow_ups = [], [], []
        for c in self.companies:
            if c.status != "active" or not c.contacts:
                continue
            mine = c.manager_id == self.demo_manager_id
            if not mine and rng.random() < 0.5:
                continue
            low, high = mood.get(c.behaviour, (5, 10))
            for contact_id, _role, _person in c.contacts:
                survey_id = self.ids("survey")
                answered = (mine or rng.random() < 0.75) and rng.random() < 0.9
                answered_at = sent_at + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 9))
                surveys.append(
                    dict(
                        id=survey_id,
                        company_id=c.id,
                        contact_id=contact_id,
                        reason="quarterly",
                        occasion=occasion,
                        interaction_id=None,
                        token_hash=f"{self.seed:08x}{survey_id:056x}",  # no link opens a demo survey
                        sent_at=sent_at,
                        expires_at=sent_at + timedelta(days=21),
                        answered_at=answered_at if answered else None,
                    )
                )
                if not answered:
                    continue
                nps = rng.randint(low, high)
                responses.append(
                    dict(
                        id=self.ids("survey_response"),
                        survey_id=survey_id,
                        company_id=c.id,
                        nps=nps,
                        rating_booking=max(1, min(5, round(nps / 2) + rng.choice((-1, 0, 0, 1)))),
                        rating_service=max(1, min(5, round(nps / 2) + rng.choice((-1, 0, 1)))),
                        rating_manager=max(1, min(5, round(nps / 2) + rng.choice((0, 0, 1)))),
                        comment=rng.choice(ref.SURVEY_COMMENTS[min(2, nps // 4)])
                        if rng.random() < 0.6
                        else None,
                        language="zh" if rng.random() < 0.9 else "en",
                        answered_at=answered_at,
                    )
                )
                if nps <= 6 and c.manager_id is not None:
                    follow_ups.append((c.id, c.manager_id, c.name_zh, nps, answered_at.date()))
        self._insert(Survey, surveys)
        self._insert(SurveyResponse, responses)
        # The recent detractors' follow-ups (one per company and day, as the unique key says).
        taken = set(
            self.conn.execute(
                select(Reminder.company_id, Reminder.due_on).where(Reminder.kind == "follow_up")
            ).all()
        )
        reminders = []
        for company_id, manager_id, name, nps, day in follow_ups[-20:]:
            if (company_id, day) in taken:
                continue
            taken.add((company_id, day))
            created = datetime.combine(day, clock(3, 0))
            reminders.append(
                dict(
                    id=self.ids("reminder"),
                    company_id=company_id,
                    assignee_id=manager_id,
                    kind="follow_up",
                    title=f"跟进贬损者（NPS {nps}）：{name}"[:200],
                    due_on=day,
                    status="open",
                    created_at=created,
                    updated_at=created,
                )
            )
        self._insert(Reminder, reminders)

    def _warnings(self) -> None:
        """One of the demo manager's companies had most of last month's segments flown by people
        off its roster (above the branch head's threshold); then the early-warning rules run
        once, so accounts at risk and roster warnings show at once."""
        from portal.alerts.operations import months_before, run_early_warnings
        from portal.timeutil import first_of_month, next_month

        month = months_before(first_of_month(self.today), 1)
        mine = [
            c
            for c in self.companies
            if c.manager_id == self.demo_manager_id
            and c.status == "active"
            and c not in self.booker_companies
        ]
        if mine:
            company = max(mine, key=lambda c: c.annual)
            rng = random.Random(f"portal-demo-roster:{self.seed}")
            ids = list(
                self.conn.scalars(
                    select(Segment.id)
                    .where(
                        Segment.company_id == company.id,
                        Segment.flight_date >= month,
                        Segment.flight_date < next_month(month),
                    )
                    .order_by(Segment.id)
                )
            )
            for segment_id in ids[: max(1, len(ids) * 7 // 10)]:
                self.conn.execute(
                    Segment.__table__.update()
                    .where(Segment.id == segment_id)
                    .values(traveller_id=None, traveller_name=_person(rng).name)
                )
        with acting_as("system:early_warnings"):
            counts = run_early_warnings(self.today, self.now)
        self.counts["alert"] = counts["churn_opened"] + counts["roster_opened"]

    def _insert(self, model, rows: list[dict]) -> None:
        """Bulk insert dict rows."""
        table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        bulk.insert_rows(self.conn, table, rows)

    def _insert_tuples(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Bulk insert tuple rows in `columns` order (building a dict per row cost more than the insert)."""
        table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        bulk.insert_tuples(self.conn, table, columns, rows)

    def _season(self, day: date) -> float:
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


# --- Helpers ---------------------------------------------------------------------------------

_ORG_CHARS = "0123456789ABCDEFGHJKLMNPQRTUWXY"
_SURNAME_CUM = list(itertools.accumulate(w for _, _, w in ref.SURNAMES))
# Booking classes by cabin as a 100-slot table: one random index picks a class by its weight.
_CLASS_TABLE = {
    cabin: [(code, multiple) for code, weight, multiple in classes for _ in range(weight)]
    for cabin, classes in ref.FARE_CLASSES.items()
}
assert all(len(table) == 100 for table in _CLASS_TABLE.values())


def _person(rng: random.Random) -> _Person:
    """A Chinese name with its ticket spelling (ZHANG/XIAOMING) and an e-mail local part."""
    surname, surname_en, _ = ref.SURNAMES[bisect(_SURNAME_CUM, rng.random() * _SURNAME_CUM[-1])]
    count = 1 if rng.random() < 0.35 else 2
    given = [rng.choice(ref.GIVEN_CHARS) for _ in range(count)]
    given_zh = "".join(g for g, _ in given)
    given_en = "".join(p for _, p in given)
    return _Person(
        name=surname + given_zh,
        name_en=f"{surname_en.upper()}/{given_en.upper()}",
        email_local=f"{given_en}.{surname_en.lower()}",
    )


def _mobile(rng: random.Random) -> str:
    prefix = rng.choice(("139", "138", "137", "136", "135", "150", "151", "158", "186", "188", "133", "180"))
    return f"{prefix}{rng.randint(0, 99_999_999):08d}"


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


def _route_map() -> dict:
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


def _departure_utc(flight: str, day: date) -> datetime:
    """A scheduled departure (UTC) for a flight number: a fixed local time per flight."""
    number = int(flight[2:])
    hour = 7 + (number * 7) % 15  # 07:00-21:00 Beijing time
    minute = (number * 13) % 4 * 15
    return datetime.combine(day, clock(hour, minute)) - timedelta(hours=8)
