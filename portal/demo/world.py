"""One seeding run of the demo world: its size, dates, random stream, plans and counts, and
the build in foreign-key order. Each area's module writes its own rows."""

import itertools
import random
from datetime import date, datetime, timedelta
from datetime import time as clock

from flask import current_app

from portal import bulk
from portal.auth.models import User
from portal.auth.passwords import hash_password
from portal.demo import (
    agreements,
    alerts,
    companies,
    contacts,
    interactions,
    organisation,
    pipeline,
    quotas,
    stations,
    surveys,
    travel,
)
from portal.demo.plans import BranchPlan, CompanyPlan, Ids, OfficePlan
from portal.segments import rollup

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


class World:
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
        self.ids = Ids()
        self.counts: dict[str, int] = {}
        self.routes = travel.route_map()
        # (traveller id, flight, date) of confirmed and waitlisted requests made so far.
        self.live_requests: set[tuple] = set()
        self.branches: list[BranchPlan] = []
        self.offices: list[OfficePlan] = []
        self.companies: list[CompanyPlan] = []
        self.booker_companies: list[CompanyPlan] = []
        self.demo_manager_id = 0
        self.emails: set[str] = set()
        self.names_zh: set[str] = set()
        self.codes: set[str] = set()
        self.domains: set[str] = set()
        self.season = [travel.season(d) for d in self.dates]
        first_month = self.start.year * 12 + self.start.month - 1
        self.month_of_day = [d.year * 12 + d.month - 1 - first_month for d in self.dates]
        self.months = self.month_of_day[-1] + 1

    def build(self, session, progress: bool) -> dict:
        """Write the world in foreign-key order; returns the summary's counts."""
        self.conn = session.connection()
        # scrypt is slow on purpose: hash the demo password once and share the hash.
        self.password_hash = hash_password(current_app.config["DEMO_PASSWORD"])
        with bulk.big_cache(self.conn):
            organisation.write(self, session)
            companies.plan(self)
            companies.write(self)
            contacts.write_bookers(self, session)
            contacts.write(self)
            with bulk.indexes_dropped(self.conn, "segment"):
                travel.write(self, progress)
            rollup.refresh_all()  # the monthly sums scoring reads
            agreements.write(self)
            quotas.write(self)
            stations.write(self, session)
            interactions.write(self)
            pipeline.write(self)
            surveys.write(self)
            bulk.reset_id_sequences(self.conn, [*self.ids.tables(), "segment"])
        alerts.write(self)
        for table in ("branch", "sales_office", "user"):  # written through the ORM
            self.counts[table] = self.ids.issued(table)
        return {name: self.counts.get(table, 0) for name, table in SUMMARY}

    def unique_email(self, local: str, domain: str) -> str:
        """local@domain, numbered when someone has it already."""
        for n in itertools.count(1):
            email = f"{local}@{domain}" if n == 1 else f"{local}{n}@{domain}"
            if email not in self.emails:
                self.emails.add(email)
                return email
        raise AssertionError("unreachable")

    def add_user(self, session, person, email: str, created: datetime, **fields) -> int:
        """A login for `person` with the demo password, through the ORM (audited); `fields`
        say its role, phone, title and where it belongs. Its id."""
        user_id = self.ids("user")
        self.emails.add(email)
        session.add(
            User(
                id=user_id,
                email=email,
                name=person.name,
                password_hash=self.password_hash,
                created_at=created,
                updated_at=created,
                **fields,
            )
        )
        return user_id

    def insert(self, model, rows: list[dict]) -> None:
        """Bulk insert dict rows, counted for the summary."""
        table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        bulk.insert_rows(self.conn, table, rows)

    def insert_tuples(self, model, columns: tuple[str, ...], rows: list[tuple]) -> None:
        """Bulk insert tuple rows in `columns` order (a dict per row would cost more than the insert)."""
        table = model.__table__
        self.counts[table.name] = self.counts.get(table.name, 0) + len(rows)
        bulk.insert_tuples(self.conn, table, columns, rows)
