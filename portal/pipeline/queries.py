"""Read helpers for the pipeline pages: scope, filters, stale opportunities, the forecast and
prospects found in the travel data."""

import statistics
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta

from sqlalchemy import ColumnElement, Select, and_, false, func, or_, select, true
from sqlalchemy.orm import contains_eager, joinedload, selectinload

from portal.agreements.models import Agreement
from portal.auth.models import User
from portal.auth.roles import sees_every_branch
from portal.companies.access import full_view_condition
from portal.companies.models import Company, Traveller
from portal.db import in_month, utcnow, where_given
from portal.extensions import db
from portal.org.models import Branch, SalesOffice
from portal.pipeline.models import (
    LOST_REASONS,
    OPEN_STAGES,
    OPPORTUNITY_KINDS,
    STAGES,
    Opportunity,
    OpportunityStageChange,
)
from portal.segments.models import Segment


def visible_condition(user: User) -> ColumnElement[bool]:
    """SQL condition (over Opportunity joined to Company) for the opportunities the user sees."""
    if sees_every_branch(user):
        return true()
    if user.role == "branch_head":
        offices = select(SalesOffice.id).where(SalesOffice.branch_id == user.branch_id)
        return Company.office_id.in_(offices)
    if user.role == "account_manager":
        return or_(Opportunity.owner_id == user.id, Company.manager_id == user.id)
    return false()


def scoped() -> Select:
    """Opportunities with company, office, branch and owner loaded (joined for filters)."""
    return (
        select(Opportunity)
        .join(Opportunity.company)
        .join(Company.office)
        .options(
            contains_eager(Opportunity.company).contains_eager(Company.office).joinedload(SalesOffice.branch),
            joinedload(Opportunity.owner),
        )
    )


def stale_condition(now: datetime, today: date, stale_days: int) -> ColumnElement[bool]:
    """Open and unchanged for `stale_days` days or more, or past its next-step date."""
    return and_(
        Opportunity.stage.in_(OPEN_STAGES),
        or_(
            Opportunity.updated_at <= now - timedelta(days=stale_days),
            Opportunity.next_step_on < today,
        ),
    )


def is_stale(opportunity: Opportunity, now: datetime, today: date, stale_days: int) -> bool:
    """The Python twin of stale_condition, for highlighting cards and rows."""
    if not opportunity.is_open:
        return False
    if opportunity.updated_at is not None and opportunity.updated_at <= now - timedelta(days=stale_days):
        return True
    return opportunity.next_step_on is not None and opportunity.next_step_on < today


@dataclass
class Filters:
    """The list's filters, each already checked (unknown values are dropped)."""

    owner_id: int | None = None
    branch_id: int | None = None
    office_id: int | None = None
    kind: str = ""
    stage: str = ""
    close_month: date | None = None  # first day of the month
    stale: bool = False

    @property
    def any(self) -> bool:
        return bool(
            self.owner_id
            or self.branch_id
            or self.office_id
            or self.kind
            or self.stage
            or self.close_month
            or self.stale
        )


def read_filters(values: Mapping) -> Filters:
    """Filters from the request's parsed query arguments (blueprints/pipeline: FILTER_PARAMS,
    which bounds them); unknown kinds and stages are ignored rather than refused."""
    kind, stage = values["kind"], values["stage"]
    return Filters(
        owner_id=values["owner"],
        branch_id=values["branch"],
        office_id=values["office"],
        kind=kind if kind in OPPORTUNITY_KINDS else "",
        stage=stage if stage in STAGES else "",
        close_month=values["month"],
        stale=values["stale"] == "1",
    )


def list_statement(user: User, filters: Filters, *, now: datetime, today: date, stale_days: int) -> Select:
    """The filtered list the user may see: open first by close date, then closed."""
    stmt = where_given(
        scoped().where(visible_condition(user)),
        (Opportunity.owner_id, filters.owner_id),
        (SalesOffice.branch_id, filters.branch_id),
        (Company.office_id, filters.office_id),
        (Opportunity.kind, filters.kind),
        (Opportunity.stage, filters.stage),
    )
    if filters.close_month:
        stmt = stmt.where(in_month(Opportunity.close_date, filters.close_month))
    if filters.stale:
        stmt = stmt.where(stale_condition(now, today, stale_days))
    closed_last = Opportunity.stage.in_(("won", "lost"))
    return stmt.order_by(
        closed_last, Opportunity.close_date.is_(None), Opportunity.close_date, Opportunity.id
    )


def filter_choices(user: User) -> dict:
    """Owners, branches and offices the user may filter by."""
    people = select(User).where(
        User.id.in_(select(Opportunity.owner_id).join(Opportunity.company).where(visible_condition(user)))
    )
    owners = db.session.scalars(people.order_by(User.name, User.id)).all()
    if sees_every_branch(user):
        branches = db.session.scalars(select(Branch).order_by(Branch.code)).all()
        offices = db.session.scalars(select(SalesOffice).order_by(SalesOffice.code)).all()
    elif user.role == "branch_head":
        branches = []
        offices = db.session.scalars(
            select(SalesOffice).where(SalesOffice.branch_id == user.branch_id).order_by(SalesOffice.code)
        ).all()
    else:
        branches, offices = [], []
    return {"owners": list(owners), "branches": list(branches), "offices": list(offices)}


def board(user: User, *, now: datetime, closed_days: int = 90) -> dict[str, list[Opportunity]]:
    """The user's opportunities by stage: every open one, and those closed in `closed_days`."""
    stmt = (
        scoped()
        .where(visible_condition(user))
        .where(
            or_(
                Opportunity.stage.in_(OPEN_STAGES),
                Opportunity.stage_changed_at >= now - timedelta(days=closed_days),
            )
        )
        .order_by(Opportunity.close_date.is_(None), Opportunity.close_date, Opportunity.id)
    )
    columns: dict[str, list[Opportunity]] = {stage: [] for stage in STAGES}
    for opportunity in db.session.scalars(stmt):
        columns[opportunity.stage].append(opportunity)
    return columns


def stale_list(user: User, *, now: datetime, today: date, stale_days: int) -> list[Opportunity]:
    """Stale opportunities: a manager's own, a branch head's branch, everything for the others."""
    stmt = scoped().where(visible_condition(user), stale_condition(now, today, stale_days))
    if user.role == "account_manager":
        stmt = stmt.where(Opportunity.owner_id == user.id)
    return list(db.session.scalars(stmt.order_by(Opportunity.updated_at, Opportunity.id)))


def for_agreement(agreement_id: int) -> list[Opportunity]:
    """The opportunities whose win started the agreement."""
    return list(
        db.session.scalars(
            select(Opportunity).where(Opportunity.agreement_id == agreement_id).order_by(Opportunity.id)
        )
    )


# --- the forecast ---------------------------------------------------------------------------


@dataclass
class Forecast:
    """Weighted open pipeline, conversion and closed totals over a period."""

    by_month: list[tuple[str, int, int]] = field(default_factory=list)  # (YYYY-MM or "", revenue, weighted)
    by_branch: list[tuple[str, int, int]] = field(default_factory=list)
    by_owner: list[tuple[str, int, int]] = field(default_factory=list)
    total_revenue_fen: int = 0
    total_weighted_fen: int = 0
    conversion: list[dict] = field(default_factory=list)  # stage, entered, advanced, rate, median_days
    won_count: int = 0
    won_revenue_fen: int = 0
    lost_count: int = 0
    lost_revenue_fen: int = 0
    lost_reasons: list[tuple[str, int, int]] = field(default_factory=list)  # reason, count, revenue


def _grouped(rows, key) -> list[tuple[str, int, int]]:
    sums: dict = defaultdict(lambda: [0, 0])
    for row in rows:
        k = key(row)
        sums[k][0] += row.expected_revenue_fen
        sums[k][1] += row.expected_revenue_fen * row.probability // 100
    return [(k, v[0], v[1]) for k, v in sums.items()]


def forecast(user: User, *, start: date, end: date, zh: bool = True) -> Forecast:
    """The forecast for the user's scope; conversion and closed totals over [start, end]."""
    result = Forecast()
    open_rows = db.session.execute(
        select(
            Opportunity.expected_revenue_fen,
            Opportunity.probability,
            Opportunity.close_date,
            Branch.name_zh,
            Branch.name_en,
            User.name.label("owner"),
        )
        .join(Opportunity.company)
        .join(Company.office)
        .join(SalesOffice.branch)
        .join(User, User.id == Opportunity.owner_id)
        .where(visible_condition(user), Opportunity.stage.in_(OPEN_STAGES))
    ).all()
    result.by_month = sorted(
        _grouped(open_rows, lambda r: r.close_date.strftime("%Y-%m") if r.close_date else ""),
        key=lambda t: (t[0] == "", t[0]),
    )
    result.by_branch = sorted(
        _grouped(open_rows, lambda r: r.name_zh if zh else r.name_en), key=lambda t: -t[2]
    )
    result.by_owner = sorted(_grouped(open_rows, lambda r: r.owner), key=lambda t: -t[2])
    result.total_revenue_fen = sum(r.expected_revenue_fen for r in open_rows)
    result.total_weighted_fen = sum(r.expected_revenue_fen * r.probability // 100 for r in open_rows)

    # Stage history of the opportunities in scope that changed within the period.
    period_start = datetime.combine(start, datetime.min.time())
    period_end = datetime.combine(end + timedelta(days=1), datetime.min.time())
    in_scope = (
        select(Opportunity.id).join(Opportunity.company).where(visible_condition(user)).scalar_subquery()
    )
    changes = db.session.execute(
        select(
            OpportunityStageChange.opportunity_id,
            OpportunityStageChange.from_stage,
            OpportunityStageChange.to_stage,
            OpportunityStageChange.at,
        )
        .where(OpportunityStageChange.opportunity_id.in_(in_scope), OpportunityStageChange.at < period_end)
        .order_by(OpportunityStageChange.opportunity_id, OpportunityStageChange.at, OpportunityStageChange.id)
    ).all()
    result.conversion = _conversion(changes, period_start, period_end)

    closed = db.session.execute(
        select(Opportunity.stage, Opportunity.lost_reason, Opportunity.expected_revenue_fen)
        .join(Opportunity.company)
        .where(
            visible_condition(user),
            Opportunity.stage.in_(("won", "lost")),
            Opportunity.stage_changed_at >= period_start,
            Opportunity.stage_changed_at < period_end,
        )
    ).all()
    reasons: dict[str, list[int]] = {r: [0, 0] for r in LOST_REASONS}
    for stage, reason, revenue in closed:
        if stage == "won":
            result.won_count += 1
            result.won_revenue_fen += revenue
        else:
            result.lost_count += 1
            result.lost_revenue_fen += revenue
            reasons.setdefault(reason or "other", [0, 0])
            reasons[reason or "other"][0] += 1
            reasons[reason or "other"][1] += revenue
    result.lost_reasons = [(r, c, v) for r, (c, v) in reasons.items() if c]
    return result


def _conversion(changes, period_start: datetime, period_end: datetime) -> list[dict]:
    """Per open stage: opportunities that entered it in the period, how many of those went on
    to a later stage (won included; lost and moves back are not progress), and the median days
    spent in the stage by the moves out of it in the period."""
    order = {stage: i for i, stage in enumerate(STAGES[:4])}
    entered: dict[str, set[int]] = defaultdict(set)
    advanced: dict[str, set[int]] = defaultdict(set)
    durations: dict[str, list[float]] = defaultdict(list)
    history: dict[int, list] = defaultdict(list)
    for change in changes:
        history[change.opportunity_id].append(change)
    for opportunity_id, moves in history.items():
        entries: dict[str, datetime] = {}
        for move in moves:
            source = move.from_stage
            if source in order and source in entries and period_start <= move.at < period_end:
                durations[source].append((move.at - entries[source]).total_seconds() / 86400)
            if move.to_stage in order:
                entries[move.to_stage] = move.at
                if period_start <= move.at < period_end:
                    entered[move.to_stage].add(opportunity_id)
        reached = [m.to_stage for m in moves]
        for stage in order:
            if opportunity_id in entered[stage]:
                later = [
                    s
                    for s in reached[reached.index(stage) + 1 :]
                    if s == "won" or order.get(s, -1) > order[stage]
                ]
                if later:
                    advanced[stage].add(opportunity_id)
    rows = []
    for stage in order:
        n, m = len(entered[stage]), len(advanced[stage])
        rows.append(
            {
                "stage": stage,
                "entered": n,
                "advanced": m,
                "rate": round(100 * m / n) if n else None,
                "median_days": round(statistics.median(durations[stage]), 1) if durations[stage] else None,
            }
        )
    return rows


# --- prospects in the travel data -------------------------------------------------------------


def _agreement_companies():
    return select(Agreement.company_id).where(Agreement.status.in_(("active", "pending_approval")))


def unsigned_travellers(user: User, *, today: date, limit: int = 50):
    """Companies the user sees in full without an active or pending agreement, ranked by
    revenue in the trailing 12 months (one aggregate query)."""
    since = today - timedelta(days=365)
    revenue = func.sum(Segment.net_revenue_fen).label("revenue_fen")
    segments = func.count(Segment.id).label("segments")
    stmt = (
        select(Company, revenue, segments, func.max(Segment.flight_date).label("last_flight"))
        .join(Segment, Segment.company_id == Company.id)
        .where(
            full_view_condition(user),
            Company.id.not_in(_agreement_companies()),
            Company.status.in_(("prospect", "active")),
            Segment.flight_date > since,
            Segment.flight_date <= today,
        )
        .group_by(Company.id)
        .order_by(revenue.desc(), segments.desc(), Company.id)
        .limit(limit)
        .options(selectinload(Company.manager), selectinload(Company.office))
    )
    return db.session.execute(stmt).all()


def travellers_to_enrol(user: User, *, today: date, min_segments: int, limit: int = 100):
    """Key travellers of companies with an active agreement who flew at least `min_segments`
    times in 12 months and have no frequent-flyer number."""
    since = today - timedelta(days=365)
    segments = func.count(Segment.id).label("segments")
    stmt = (
        select(Traveller, Company, segments, func.max(Segment.flight_date).label("last_flight"))
        .join(Company, Company.id == Traveller.company_id)
        .join(Segment, Segment.traveller_id == Traveller.id)
        .where(
            full_view_condition(user),
            Company.id.in_(select(Agreement.company_id).where(Agreement.status == "active")),
            Traveller.deleted_at.is_(None),
            or_(Traveller.ff_number.is_(None), Traveller.ff_number == ""),
            Segment.flight_date > since,
            Segment.flight_date <= today,
        )
        .group_by(Traveller.id, Company.id)
        .having(func.count(Segment.id) >= min_segments)
        .order_by(segments.desc(), Traveller.id)
        .limit(limit)
    )
    return db.session.execute(stmt).all()


def now_and_today():
    """Naive-UTC now and the portal's today (one place, so pages and tests agree)."""
    from portal.timeutil import local_today

    return utcnow(), local_today()
