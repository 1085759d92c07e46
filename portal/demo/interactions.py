"""The account managers' interactions with their companies, and the reminders they leave."""

import random
from datetime import datetime, timedelta
from datetime import time as clock
from typing import TYPE_CHECKING

from portal.companies.models import TIERS, Interaction
from portal.companies.operations import complaint_due
from portal.demo import reference as ref
from portal.demo.plans import CompanyPlan
from portal.reminders.models import Reminder
from portal.reminders.operations import DEFAULT_CADENCE as REVISIT_DAYS

if TYPE_CHECKING:
    from portal.demo.world import World

CONTACT_EVERY_DAYS = {"platinum": 21, "gold": 40, "silver": 70, "standard": 110}


def write(world: "World") -> None:
    """The managers' interactions with their companies over the window, and the reminders."""
    rng = world.rng
    interactions, reminders = [], []
    window_start = datetime.combine(world.start, clock(1))
    for c in world.companies:
        if c.manager_id is None:
            continue
        begin = max(window_start, c.created_at)
        end = world.now
        if c.status == "closed" and c.flown_last_day is not None:
            end = min(end, datetime.combine(world.dates[c.flown_last_day], clock(8)) + timedelta(days=60))
        every = 50 if c.status == "prospect" else CONTACT_EVERY_DAYS[c.tier]
        if c.status in ("suspended", "closed"):
            every = 90
        at = begin + timedelta(days=rng.uniform(0, every))
        made = []
        while at < end:
            kind = _interaction_kind(world, c, rng)
            occurred = datetime.combine(at.date(), clock(rng.randint(1, 9), rng.choice((0, 15, 30, 45))))
            if occurred <= world.now:
                row = _interaction(world, c, rng, kind, occurred)
                interactions.append(row)
                made.append(row)
            at += timedelta(days=every * rng.uniform(0.6, 1.4))
        reminders += _reminders(world, c, rng, made)
    world.insert(Interaction, interactions)
    world.insert(Reminder, reminders)


def _interaction_kind(world: "World", c: CompanyPlan, rng: random.Random) -> str:
    if c.status == "prospect":
        return rng.choices(("visit", "call", "email", "meeting"), weights=(35, 40, 15, 10))[0]
    complaint = 3 + 2 * (3 - TIERS.index(c.tier))  # big accounts fly more and complain more
    return rng.choices(
        ("visit", "call", "email", "meeting", "feedback", "complaint"),
        weights=(38, 34, 8, 7, 6, complaint),
    )[0]


def _interaction(world: "World", c: CompanyPlan, rng: random.Random, kind: str, occurred: datetime) -> dict:
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
        id=world.ids("interaction"),
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
        age = (world.now - occurred).days
        status = "resolved" if age > 45 else rng.choice(("open", "in_progress", "resolved"))
        row["complaint_status"] = status
        row["due_at"] = complaint_due(occurred)
        if status == "resolved":
            resolved = min(world.now, occurred + timedelta(days=rng.randint(1, 20), hours=rng.randint(0, 8)))
            row["resolved_at"] = resolved
            row["updated_at"] = resolved
    return row


def _reminders(world: "World", c: CompanyPlan, rng: random.Random, made: list[dict]) -> list[dict]:
    rows = []
    taken = set()
    name = c.trade[0]

    def add(kind, title, due_on, status="open", interaction=None, **extra):
        if (kind, due_on) in taken:
            return
        taken.add((kind, due_on))
        created = min(world.now, datetime.combine(due_on - timedelta(days=14), clock(0)))
        row = dict(
            id=world.ids("reminder"),
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
                snoozed_until=world.today + timedelta(days=rng.randint(3, 14)),
                snooze_reason=rng.choice(ref.SNOOZE_REASONS),
            )
        else:
            add("revisit", f"定期回访：{name}", due)
        if c.behaviour == "sleeping" and c.flown_last_day is not None:
            add("reactivation", f"睡眠客户激活：{name}", world.dates[c.flown_last_day] + timedelta(days=90))
    recent = [r for r in made if r["next_step"] and (world.now - r["occurred_at"]).days <= 45]
    for r in recent[-2:]:
        due = r["occurred_at"].date() + timedelta(days=rng.randint(3, 21))
        status = "open" if due >= world.today - timedelta(days=10) else "done"
        add(
            "follow_up",
            f"跟进：{r['next_step']}",
            due,
            status=status,
            interaction=r if status == "done" else None,
        )
    return rows
