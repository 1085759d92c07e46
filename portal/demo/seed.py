"""The deterministic demo world (DESIGN §6): branches, offices, staff, companies, agreements,
quotas, travellers, interactions, reminders and years of flown segments.

The same seed and the same "today" give the same rows, ids included. The big tables are
written with bulk inserts (portal.bulk: COPY on PostgreSQL), not through the ORM; the ORM adds
only the organisation and the users, so the audit trail attributes them to "system:seed".
Each area's rows are made by its own module of this package; world.py runs them in order.
"""

import time
from datetime import date

import click
from sqlalchemy import select, text

from portal.audit.models import AuditEvent
from portal.audit.trail import acting_as
from portal.auth.models import User
from portal.companies.models import Company
from portal.demo.quotas import departure_utc
from portal.demo.world import World
from portal.extensions import db

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
_departure_utc = departure_utc  # the quotas tests compare the timetable with the seed's departures


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
    world = World(companies=companies, years=years, seed=seed, today=today or date.today())
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
