"""Read helpers for the ranking and portfolio pages: the ranked statement with its filters and
sort, the page's rank movement and score history, and the portfolio figures.

Every helper runs a fixed number of statements, however many companies it covers: the page's
rows are decorated from one query over just their ids, never one query per row.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import Select, and_, func, select
from sqlalchemy.orm import aliased, joinedload

from portal.alerts.models import Alert
from portal.auth.models import User
from portal.auth.roles import sees_every_branch
from portal.charts import sparkline_points
from portal.companies.access import full_view_condition
from portal.companies.models import ACTIVITY_STATUSES, Company
from portal.companies.queries import search_condition
from portal.db import utcnow, where_given
from portal.extensions import db
from portal.org.models import Branch, SalesOffice
from portal.scoring.engine import COMPONENTS, TIER_ORDER
from portal.scoring.models import ScoreSnapshot
from portal.surveys.models import SurveyResponse
from portal.surveys.queries import detractor_count, nps, promoter_count

HISTORY_DATES = 12  # score dates a sparkline covers
TOP_N = 10
NEWLY_SLEEPING_SHOWN = 50
AT_RISK_SHOWN = 20
NPS_DAYS = 365
ONE_PLACE = Decimal("0.1")

# sort key -> (column, best first is descending)
SORTS = {
    "rank": (ScoreSnapshot.rank, False),
    "total": (ScoreSnapshot.total, True),
    **{name: (getattr(ScoreSnapshot, f"pct_{name}"), True) for name in COMPONENTS},
    "name": (Company.name_zh, False),
}
DEFAULT_SORT = "rank"


@dataclass(frozen=True)
class RankingFilters:
    """The ranking's filters, already checked against the values the user may pick."""

    q: str = ""
    branch: int | None = None
    office: int | None = None
    manager: int | None = None
    tier: str = ""
    status: str = ""
    industry: str = ""

    @property
    def any(self) -> bool:
        return any((self.q, self.branch, self.office, self.manager, self.tier, self.status, self.industry))


@dataclass
class FilterOptions:
    """What the user may filter on: the branches, offices and managers of their scope."""

    offices: list[SalesOffice] = field(default_factory=list)
    managers: list[User] = field(default_factory=list)

    @property
    def branches(self) -> list:
        seen = {}
        for office in self.offices:
            seen.setdefault(office.branch.id, office.branch)
        return sorted(seen.values(), key=lambda b: b.code)


@dataclass
class RankingRow:
    """One ranked company with its current snapshot, previous rank and recent totals."""

    company: Company
    snapshot: ScoreSnapshot
    previous_rank: int | None = None
    has_previous_date: bool = False
    history: list[Decimal | None] = field(default_factory=list)  # totals, oldest first

    @property
    def is_new(self) -> bool:
        """Scored now but not on the previous score date."""
        return self.has_previous_date and self.previous_rank is None

    @property
    def movement(self) -> int | None:
        """Places gained since the previous score date (negative: places lost)."""
        if self.previous_rank is None:
            return None
        return self.previous_rank - self.snapshot.rank

    @property
    def sparkline(self) -> str:
        """Polyline points of the recent totals; empty when fewer than two are known."""
        known = [v for v in self.history if v is not None]
        if len(known) < 2:
            return ""
        return sparkline_points([float(v) if v is not None else None for v in self.history])


# --- score dates --------------------------------------------------------------------------


def score_dates(limit: int = HISTORY_DATES) -> list[date]:
    """The newest score dates, newest first."""
    stmt = select(ScoreSnapshot.score_date).distinct().order_by(ScoreSnapshot.score_date.desc()).limit(limit)
    return list(db.session.scalars(stmt))


# --- filters ------------------------------------------------------------------------------


def filter_options(user: User) -> FilterOptions:
    """The offices (with branches) and account managers the user may filter by."""
    if sees_every_branch(user):
        office_scope, manager_scope = True, True
    elif user.role == "branch_head":
        office_scope = SalesOffice.branch_id == user.branch_id
        manager_scope = User.office_id.in_(select(SalesOffice.id).where(office_scope))
    else:
        return FilterOptions()  # an account manager sees only their own portfolio
    offices = db.session.scalars(
        select(SalesOffice)
        .where(office_scope)
        .options(joinedload(SalesOffice.branch))
        .order_by(SalesOffice.code)
    ).all()
    managers = db.session.scalars(
        select(User).where(User.role == "account_manager", manager_scope).order_by(User.name, User.id)
    ).all()
    return FilterOptions(offices=list(offices), managers=list(managers))


def _filtered(stmt: Select, user: User, filters: RankingFilters, snapshot) -> Select:
    # A closed company keeps its snapshots (its dossier shows them) but leaves the rankings.
    stmt = stmt.where(full_view_condition(user), Company.status != "closed")
    if filters.q.strip():
        stmt = stmt.where(search_condition(filters.q))
    if filters.branch:
        stmt = stmt.where(
            Company.office_id.in_(select(SalesOffice.id).where(SalesOffice.branch_id == filters.branch))
        )
    return where_given(
        stmt,
        (Company.office_id, filters.office),
        (Company.manager_id, filters.manager),
        (snapshot.tier, filters.tier),
        (snapshot.activity_status, filters.status),
        (Company.industry, filters.industry),
    )


def _order(sort: str) -> list:
    key = sort.lstrip("-")
    if key not in SORTS:
        key, sort = DEFAULT_SORT, DEFAULT_SORT
    column, descending = SORTS[key]
    if sort.startswith("-"):
        descending = not descending
    order = [column.desc() if descending else column.asc()]
    return [*order, ScoreSnapshot.rank, Company.id]


def _current_join(score_date: date):
    return and_(ScoreSnapshot.company_id == Company.id, ScoreSnapshot.score_date == score_date)


def _company_options():
    return (joinedload(Company.manager), joinedload(Company.office).joinedload(SalesOffice.branch))


def ranking_statement(
    user: User, score_date: date, filters: RankingFilters, sort: str = DEFAULT_SORT
) -> Select:
    """The companies the user sees in full that were scored on `score_date`, filtered and sorted
    (for db.paginate: it selects Company rows only)."""
    stmt = select(Company).join(ScoreSnapshot, _current_join(score_date)).options(*_company_options())
    return _filtered(stmt, user, filters, ScoreSnapshot).order_by(*_order(sort))


def decorate(companies: list[Company], dates: list[date]) -> list[RankingRow]:
    """The page's rows: each company's snapshot on `dates[0]`, its rank on `dates[1]` and its
    totals on all `dates` (newest first), read in one query for the page's ids."""
    if not companies or not dates:
        return []
    ids = [c.id for c in companies]
    snapshots = db.session.scalars(
        select(ScoreSnapshot).where(ScoreSnapshot.company_id.in_(ids), ScoreSnapshot.score_date.in_(dates))
    ).all()
    by_key = {(s.company_id, s.score_date): s for s in snapshots}
    oldest_first = list(reversed(dates))
    rows = []
    for company in companies:
        current = by_key.get((company.id, dates[0]))
        if current is None:
            continue  # rescored between the page's two queries; it shows on the next load
        previous = by_key.get((company.id, dates[1])) if len(dates) > 1 else None
        history = [by_key.get((company.id, d)) for d in oldest_first]
        rows.append(
            RankingRow(
                company=company,
                snapshot=current,
                previous_rank=previous.rank if previous else None,
                has_previous_date=len(dates) > 1,
                history=[h.total if h else None for h in history],
            )
        )
    return rows


def _with_previous_rank(user: User, dates: list[date], filters: RankingFilters, sort: str) -> Select:
    """(Company, current snapshot, previous rank or None) rows of the filtered ranking."""
    previous = aliased(ScoreSnapshot)
    previous_date = dates[1] if len(dates) > 1 else None
    stmt = (
        select(Company, ScoreSnapshot, previous.rank)
        .join(ScoreSnapshot, _current_join(dates[0]))
        # Without a previous date the join matches nothing (score_date is never NULL).
        .outerjoin(previous, and_(previous.company_id == Company.id, previous.score_date == previous_date))
        .options(*_company_options())
    )
    return _filtered(stmt, user, filters, ScoreSnapshot).order_by(*_order(sort))


def export_rows(
    user: User, dates: list[date], filters: RankingFilters, sort: str = DEFAULT_SORT, limit: int | None = None
) -> list[RankingRow]:
    """Every row of the filtered ranking (not just a page), with the previous rank, in one query."""
    if not dates:
        return []
    stmt = _with_previous_rank(user, dates, filters, sort)
    if limit is not None:
        stmt = stmt.limit(limit)
    return [
        RankingRow(
            company=company,
            snapshot=snapshot,
            previous_rank=previous_rank,
            has_previous_date=len(dates) > 1,
        )
        for company, snapshot, previous_rank in db.session.execute(stmt)
    ]


# --- the portfolio ------------------------------------------------------------------------


@dataclass
class StatusFigure:
    """Companies of one activity status and their share of the trailing-12-month revenue."""

    status: str
    companies: int
    revenue_fen: int
    revenue_share: Decimal  # percent, one decimal


@dataclass
class Mover:
    """A company whose rank changed between the two newest score dates."""

    company: Company
    snapshot: ScoreSnapshot
    previous: ScoreSnapshot

    @property
    def movement(self) -> int:
        return self.previous.rank - self.snapshot.rank


@dataclass
class Portfolio:
    """The figures of the portfolio overview, for the companies the user sees in full."""

    score_date: date | None
    previous_date: date | None = None
    companies: int = 0
    revenue_fen: int = 0
    tiers: dict[str, int] = field(default_factory=dict)
    statuses: list[StatusFigure] = field(default_factory=list)
    top: list[RankingRow] = field(default_factory=list)
    movers_up: list[Mover] = field(default_factory=list)
    movers_down: list[Mover] = field(default_factory=list)
    newly_sleeping: list[Mover] = field(default_factory=list)  # the first NEWLY_SLEEPING_SHOWN by rank
    newly_sleeping_total: int = 0
    at_risk: list = field(default_factory=list)  # (Company, Alert), the most revenue at stake first
    at_risk_total: int = 0
    at_risk_revenue_fen: int = 0
    nps: list["BranchNps"] = field(default_factory=list)


@dataclass
class BranchNps:
    """A branch's NPS over the last year: overall and per tier (None without answers)."""

    branch_id: int
    name_zh: str
    name_en: str | None
    answers: int
    overall: int | None
    tiers: dict[str, int | None]


def _share(part: int, whole: int) -> Decimal:
    if whole <= 0:
        return Decimal(0).quantize(ONE_PLACE)
    return (Decimal(part) * 100 / whole).quantize(ONE_PLACE, ROUND_HALF_UP)


def portfolio(user: User, branch: int | None = None) -> Portfolio:
    """Tier distribution, activity counts with revenue shares, top accounts, movers and newly
    sleeping accounts on the newest score date (optionally one branch), accounts at churn risk
    and NPS by branch and tier, in eight queries."""
    dates = score_dates(2)
    if not dates:
        return Portfolio(score_date=None)
    figures = Portfolio(score_date=dates[0], previous_date=dates[1] if len(dates) > 1 else None)
    filters = RankingFilters(branch=branch)

    grouped = select(
        ScoreSnapshot.tier, ScoreSnapshot.activity_status, func.count(), func.sum(ScoreSnapshot.revenue_fen)
    ).join(Company, _current_join(dates[0]))
    grouped = _filtered(grouped, user, filters, ScoreSnapshot).group_by(
        ScoreSnapshot.tier, ScoreSnapshot.activity_status
    )
    tiers = dict.fromkeys(TIER_ORDER, 0)
    by_status = {s: [0, 0] for s in ACTIVITY_STATUSES}
    for tier, status, count, revenue in db.session.execute(grouped):
        tiers[tier] += count
        by_status[status][0] += count
        by_status[status][1] += int(revenue or 0)
    figures.tiers = tiers
    figures.companies = sum(tiers.values())
    figures.revenue_fen = sum(revenue for _, revenue in by_status.values())
    figures.statuses = [
        StatusFigure(status, count, revenue, _share(revenue, figures.revenue_fen))
        for status, (count, revenue) in by_status.items()
    ]
    figures.top = export_rows(user, dates, filters, limit=TOP_N)
    if figures.previous_date is not None:
        figures.movers_up = _movers(user, dates, filters, up=True)
        figures.movers_down = _movers(user, dates, filters, up=False)
        sleeping = _newly_sleeping(user, dates, filters)
        figures.newly_sleeping_total = len(sleeping)
        figures.newly_sleeping = sleeping[:NEWLY_SLEEPING_SHOWN]
    _at_risk(figures, user, filters)
    figures.nps = _nps_by_branch(user, filters)
    return figures


def _at_risk(figures: Portfolio, user: User, filters: RankingFilters) -> None:
    """The companies with an open churn alert, the most revenue at stake first (one statement:
    the count and the sum come as window columns)."""
    stmt = (
        select(
            Company,
            Alert,
            func.count().over().label("total"),
            func.sum(Alert.revenue_at_stake_fen).over().label("at_stake"),
        )
        .join(Alert, and_(Alert.company_id == Company.id, Alert.kind == "churn", Alert.closed_on.is_(None)))
        .options(*_company_options())
        .order_by(Alert.revenue_at_stake_fen.desc(), Company.id)
        .limit(AT_RISK_SHOWN)
    )
    rows = db.session.execute(_filtered(stmt, user, filters, ScoreSnapshot)).all()
    figures.at_risk = [(company, alert) for company, alert, _total, _stake in rows]
    if rows:
        figures.at_risk_total, figures.at_risk_revenue_fen = int(rows[0].total), int(rows[0].at_stake or 0)


def _nps_by_branch(user: User, filters: RankingFilters) -> list[BranchNps]:
    """NPS of the survey answers of the last year per branch and current tier (one statement)."""
    since = utcnow() - timedelta(days=NPS_DAYS)
    stmt = (
        select(
            Branch.id,
            Branch.name_zh,
            Branch.name_en,
            Company.tier,
            promoter_count(),
            detractor_count(),
            func.count(SurveyResponse.id),
        )
        .join(Company, Company.id == SurveyResponse.company_id)
        .join(SalesOffice, SalesOffice.id == Company.office_id)
        .join(Branch, Branch.id == SalesOffice.branch_id)
        .where(SurveyResponse.answered_at >= since)
        .group_by(Branch.id, Branch.name_zh, Branch.name_en, Company.tier)
        .order_by(Branch.name_zh, Branch.id)
    )
    by_branch: dict[int, dict] = {}
    for branch_id, name_zh, name_en, tier, promoters, detractors, answers in db.session.execute(
        _filtered(stmt, user, filters, ScoreSnapshot)
    ):
        entry = by_branch.setdefault(branch_id, {"names": (name_zh, name_en), "tiers": {}, "sums": [0, 0, 0]})
        promoters, detractors, answers = int(promoters or 0), int(detractors or 0), int(answers)
        entry["tiers"][tier or "standard"] = [
            a + b
            for a, b in zip(
                entry["tiers"].get(tier or "standard", [0, 0, 0]),
                (promoters, detractors, answers),
                strict=True,
            )
        ]
        entry["sums"] = [a + b for a, b in zip(entry["sums"], (promoters, detractors, answers), strict=True)]
    return [
        BranchNps(
            branch_id=branch_id,
            name_zh=entry["names"][0],
            name_en=entry["names"][1],
            answers=entry["sums"][2],
            overall=nps(*entry["sums"]),
            tiers={t: nps(*entry["tiers"][t]) if t in entry["tiers"] else None for t in TIER_ORDER},
        )
        for branch_id, entry in by_branch.items()
    ]


def _pairs(user: User, dates: list[date], filters: RankingFilters):
    """Companies scored on both newest dates: (Company, current, previous) and the alias."""
    previous = aliased(ScoreSnapshot)
    stmt = (
        select(Company, ScoreSnapshot, previous)
        .join(ScoreSnapshot, _current_join(dates[0]))
        .join(previous, and_(previous.company_id == Company.id, previous.score_date == dates[1]))
        .options(*_company_options())
    )
    return _filtered(stmt, user, filters, ScoreSnapshot), previous


def _movers(user: User, dates: list[date], filters: RankingFilters, *, up: bool) -> list[Mover]:
    stmt, previous = _pairs(user, dates, filters)
    gained = previous.rank - ScoreSnapshot.rank
    if up:
        stmt = stmt.where(gained > 0).order_by(gained.desc(), ScoreSnapshot.rank)
    else:
        stmt = stmt.where(gained < 0).order_by(gained.asc(), ScoreSnapshot.rank)
    return [Mover(c, s, p) for c, s, p in db.session.execute(stmt.limit(TOP_N))]


def _newly_sleeping(user: User, dates: list[date], filters: RankingFilters) -> list[Mover]:
    stmt, previous = _pairs(user, dates, filters)
    stmt = stmt.where(ScoreSnapshot.activity_status == "sleeping", previous.activity_status == "active")
    return [Mover(c, s, p) for c, s, p in db.session.execute(stmt.order_by(ScoreSnapshot.rank))]
