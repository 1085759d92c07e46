"""A company's timeline: interactions and complaints, agreement status changes, tier changes,
manager changes, opportunity stages and the company's own status changes, newest first, one
query per source merged in Python (no query per entry).

Pages are cut with a cursor: the (time, source, id) of the last entry shown. Each source is
read up to the cursor and limited, so a page costs the same however long the history is.
"""

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import func, or_, select
from sqlalchemy.orm import aliased, joinedload

from portal.agreements.models import Agreement, AgreementEvent
from portal.auth.models import User
from portal.companies.models import INTERACTION_KINDS, CompanyStatusChange, Interaction, ManagerAssignment
from portal.db import utcnow
from portal.extensions import db
from portal.scoring.models import ScoreSnapshot
from portal.timeutil import portal_zone

SOURCES = ("interaction", "agreement", "tier", "manager", "opportunity", "status")
# The filter's values: each interaction kind, and the other sources.
TYPES = (*INTERACTION_KINDS, "agreement", "tier", "manager", "opportunity", "status")
DEFAULT_LIMIT = 20


@dataclass
class Entry:
    """One line of the timeline."""

    at: datetime  # naive UTC; for tier changes the local midnight of the score date
    source: str  # one of SOURCES
    id: int
    kind: str  # interaction kind, or the source
    actor: User | None = None
    interaction: Interaction | None = None
    agreement_number: str | None = None
    agreement_id: int | None = None
    from_status: str | None = None
    to_status: str | None = None
    terms_changed: bool = False  # an agreement event that changed terms, not the status
    note: str | None = None
    score_date: date | None = None
    from_tier: str | None = None
    to_tier: str | None = None
    manager: User | None = None
    overdue: bool = False
    opportunity_id: int | None = None
    opportunity_title: str | None = None

    @property
    def key(self) -> tuple:
        return (self.at, SOURCES.index(self.source), self.id)

    @property
    def cursor(self) -> str:
        """The cursor that continues the timeline after this entry (for an "older" link)."""
        return f"{self.at.isoformat()}~{self.source}~{self.id}"


@dataclass
class Page:
    """A page of the timeline and the cursor of the next (older) one, if any."""

    entries: list[Entry]
    older: str | None
    type: str


CURSOR_LENGTH = 80


def parse_cursor(value: str | None) -> tuple | None:
    """The (time, source rank, id) a cursor names; None for anything malformed."""
    if not value or len(value) > CURSOR_LENGTH:
        return None
    parts = value.split("~")
    if len(parts) != 3 or parts[1] not in SOURCES or not parts[2].isdigit():
        return None
    try:
        at = datetime.fromisoformat(parts[0])
    except ValueError:
        return None
    if at.tzinfo is not None:
        return None
    return (at, SOURCES.index(parts[1]), int(parts[2]))


def _local_midnight_utc(day: date) -> datetime:
    """The start of `day` in the portal's zone, as naive UTC (to sort score dates among times)."""
    return datetime.combine(day, time.min, tzinfo=portal_zone()).astimezone(UTC).replace(tzinfo=None)


def _newest(stmt, at, row_id, until: datetime | None, limit: int):
    """`stmt` newest first by (at, id), from the cursor's time `until` back, at most `limit` rows."""
    if until is not None:
        stmt = stmt.where(at <= until)
    return stmt.order_by(at.desc(), row_id.desc()).limit(limit)


def _interactions(company_id: int, kind: str | None, until: datetime | None, limit: int, now) -> list:
    stmt = (
        select(Interaction)
        .where(Interaction.company_id == company_id)
        .options(joinedload(Interaction.author))
    )
    if kind is not None:
        stmt = stmt.where(Interaction.kind == kind)
    stmt = _newest(stmt, Interaction.occurred_at, Interaction.id, until, limit)
    return [
        Entry(
            at=i.occurred_at,
            source="interaction",
            id=i.id,
            kind=i.kind,
            actor=i.author,
            interaction=i,
            overdue=is_overdue(i, now),
        )
        for i in db.session.scalars(stmt)
    ]


def _company_events(event, parent_id, parent, label, company_id: int, until: datetime | None, limit: int):
    """Rows of (`event`, the parent's `label`) for the events of the company's `parent` rows
    (agreements, opportunities), newest first, with each event's actor loaded."""
    stmt = (
        select(event, label)
        .join(parent, parent.id == parent_id)
        .where(parent.company_id == company_id)
        .options(joinedload(event.actor))
    )
    return db.session.execute(_newest(stmt, event.at, event.id, until, limit))


def _event_entry(source: str, event, **details) -> Entry:
    """The entry of an event row that has `at`, `id` and `actor`; its kind is the source."""
    return Entry(at=event.at, source=source, id=event.id, kind=source, actor=event.actor, **details)


def _agreement_events(company_id: int, until: datetime | None, limit: int) -> list:
    rows = _company_events(
        AgreementEvent, AgreementEvent.agreement_id, Agreement, Agreement.number, company_id, until, limit
    )
    return [
        _event_entry(
            "agreement",
            event,
            agreement_number=number,
            agreement_id=event.agreement_id,
            from_status=event.from_status,
            to_status=event.to_status,
            terms_changed=event.kind == "terms",
            note=event.note,
        )
        for event, number in rows
    ]


def _tier_changes(company_id: int, until: datetime | None, limit: int) -> list:
    """Snapshots whose tier differs from the one before (the first rating counts too). The
    window runs over the whole history, so the cursor filters outside it."""
    previous = func.lag(ScoreSnapshot.tier).over(order_by=ScoreSnapshot.score_date).label("previous")
    history = (
        select(ScoreSnapshot.id, ScoreSnapshot.score_date, ScoreSnapshot.tier, previous)
        .where(ScoreSnapshot.company_id == company_id)
        .subquery()
    )
    stmt = (
        select(history)
        .where(or_(history.c.previous.is_(None), history.c.previous != history.c.tier))
        .order_by(history.c.score_date.desc())
        .limit(limit)
    )
    if until is not None:
        # Local midnight of a date is at most a day off its UTC value; the key check below is exact.
        stmt = stmt.where(history.c.score_date <= until.date() + timedelta(days=1))
    return [
        Entry(
            at=_local_midnight_utc(row.score_date),
            source="tier",
            id=row.id,
            kind="tier",
            score_date=row.score_date,
            from_tier=row.previous,
            to_tier=row.tier,
        )
        for row in db.session.execute(stmt)
    ]


def _manager_changes(company_id: int, until: datetime | None, limit: int) -> list:
    assigned_by = aliased(User)
    stmt = (
        select(ManagerAssignment, assigned_by)
        .outerjoin(assigned_by, assigned_by.id == ManagerAssignment.assigned_by_id)
        .where(ManagerAssignment.company_id == company_id)
        .options(joinedload(ManagerAssignment.manager))
    )
    stmt = _newest(stmt, ManagerAssignment.started_at, ManagerAssignment.id, until, limit)
    return [
        Entry(
            at=assignment.started_at,
            source="manager",
            id=assignment.id,
            kind="manager",
            actor=by,
            manager=assignment.manager,
            note=assignment.note,
        )
        for assignment, by in db.session.execute(stmt)
    ]


def _opportunity_changes(company_id: int, until: datetime | None, limit: int) -> list:
    from portal.pipeline.models import Opportunity, OpportunityStageChange

    rows = _company_events(
        OpportunityStageChange,
        OpportunityStageChange.opportunity_id,
        Opportunity,
        Opportunity.title,
        company_id,
        until,
        limit,
    )
    return [
        _event_entry(
            "opportunity",
            change,
            from_status=change.from_stage,
            to_status=change.to_stage,
            opportunity_id=change.opportunity_id,
            opportunity_title=title,
        )
        for change, title in rows
    ]


def _status_changes(company_id: int, until: datetime | None, limit: int) -> list:
    stmt = (
        select(CompanyStatusChange)
        .where(CompanyStatusChange.company_id == company_id)
        .options(joinedload(CompanyStatusChange.actor))
    )
    stmt = _newest(stmt, CompanyStatusChange.at, CompanyStatusChange.id, until, limit)
    return [
        _event_entry(
            "status",
            change,
            from_status=change.from_status,
            to_status=change.to_status,
            note=change.reason or None,
        )
        for change in db.session.scalars(stmt)
    ]


def is_overdue(interaction: Interaction, now: datetime) -> bool:
    """An unresolved complaint past its due date."""
    return (
        interaction.kind == "complaint"
        and interaction.complaint_status != "resolved"
        and interaction.due_at is not None
        and interaction.due_at < now
    )


def timeline(
    company_id: int, *, type: str = "", before: str | None = None, limit: int = DEFAULT_LIMIT, now=None
) -> Page:
    """The newest `limit` entries (older than the cursor `before`), optionally of one type."""
    now = now or utcnow()
    type = type if type in TYPES else ""
    cursor = parse_cursor(before)
    until = cursor[0] if cursor else None
    # One more than shown tells whether an older page exists; ties at the cursor's time may
    # repeat shown rows, so fetch as many extra as could share it (bounded by the limit).
    fetch = limit * 2 + 1
    entries: list[Entry] = []
    if type in INTERACTION_KINDS:
        entries += _interactions(company_id, type, until, fetch, now)
    elif not type:
        entries += _interactions(company_id, None, until, fetch, now)
    if type in ("", "agreement"):
        entries += _agreement_events(company_id, until, fetch)
    if type in ("", "tier"):
        entries += _tier_changes(company_id, until, fetch)
    if type in ("", "manager"):
        entries += _manager_changes(company_id, until, fetch)
    if type in ("", "opportunity"):
        entries += _opportunity_changes(company_id, until, fetch)
    if type in ("", "status"):
        entries += _status_changes(company_id, until, fetch)
    if cursor is not None:
        entries = [e for e in entries if e.key < cursor]
    entries.sort(key=lambda e: e.key, reverse=True)
    shown = entries[:limit]
    older = shown[-1].cursor if len(entries) > limit else None
    return Page(entries=shown, older=older, type=type)
