"""The scoring engine (DESIGN §4): six components per company, percentile ranks, weighted
total, rank, tier and activity status for a score date.

Segments are aggregated in the database: whole months from the monthly rollup (SegmentMonth),
the partial months at the window's edges from the segments themselves; what comes back is a
few rows per company, and the rest is arithmetic on those rows in Python, so SQLite and
PostgreSQL give identical results.
"""

import math
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from portal.agreements.models import Agreement
from portal.companies.models import Company
from portal.extensions import db
from portal.scoring.models import ScoringConfig
from portal.segments.models import PREMIUM_CABINS, Segment, SegmentMonth
from portal.timeutil import first_of_month, whole_months

COMPONENTS = ("revenue", "frequency", "premium", "growth", "recency", "attainment")
TIER_ORDER = ("platinum", "gold", "silver", "standard")
WINDOW_DAYS = 365
GROWTH_CLIP = 2.0  # log ratio clipped to [-2, 2]: e^2 ≈ 7.4x either way
GROWTH_SMOOTHING_FEN = 100_00  # 100 CNY added to both years so tiny bases don't explode
ATTAINMENT_CAP = 1.5
TWO_PLACES = Decimal("0.01")


@dataclass(frozen=True)
class Rules:
    """The configuration a computation uses (a ScoringConfig version, or the defaults)."""

    weights: dict[str, int]
    share_platinum: Decimal = Decimal("5")
    share_gold: Decimal = Decimal("15")
    share_silver: Decimal = Decimal("30")
    active_days: int = 90
    lost_days: int = 365
    config_id: int | None = None

    @classmethod
    def from_config(cls, config: ScoringConfig | None) -> "Rules":
        if config is None:
            return cls.defaults()
        return cls(
            weights={name: getattr(config, f"weight_{name}") for name in COMPONENTS},
            share_platinum=Decimal(config.share_platinum),
            share_gold=Decimal(config.share_gold),
            share_silver=Decimal(config.share_silver),
            active_days=config.active_days,
            lost_days=config.lost_days,
            config_id=config.id,
        )

    @classmethod
    def defaults(cls) -> "Rules":
        return cls(
            weights={
                "revenue": 30,
                "frequency": 20,
                "premium": 15,
                "growth": 10,
                "recency": 10,
                "attainment": 15,
            }
        )


@dataclass
class CompanyScore:
    """One company's computed score: raw values, percentiles, total, rank, tier, status."""

    company_id: int
    revenue_fen: int
    segments: int
    premium_share: float
    growth: float
    recency_days: int | None
    attainment: float
    percentiles: dict[str, Decimal] = field(default_factory=dict)
    total: Decimal = Decimal(0)
    rank: int = 0
    tier: str = "standard"
    activity_status: str = "lost"

    def points(self, rules: Rules) -> dict[str, Decimal]:
        """Each component's contribution to the total (percentile × weight / sum of weights)."""
        weight_sum = sum(rules.weights.values())
        return {
            name: (self.percentiles[name] * rules.weights[name] / weight_sum).quantize(TWO_PLACES)
            for name in COMPONENTS
        }


def current_rules() -> Rules:
    """The newest saved configuration, or the defaults when none was saved."""
    config = db.session.scalar(select(ScoringConfig).order_by(ScoringConfig.id.desc()).limit(1))
    return Rules.from_config(config)


def scored_company_ids() -> list[int]:
    """Every company that is not closed is scored."""
    return list(db.session.scalars(select(Company.id).where(Company.status != "closed").order_by(Company.id)))


def _range_sums(first: date, last: date) -> dict[int, list]:
    """Per company, over first..last (both included): [revenue, segments, premium-cabin
    revenue, last flight]. Whole months are read from the monthly rollup; only the partial
    months at the edges from the segments (short ranges of the flight_date index)."""
    full_from, full_to = whole_months(first, last)  # full_to excluded
    if full_from >= full_to:
        return _add_up([_segment_sums(first, last)])
    parts = [_month_sums(full_from, full_to)]
    if first < full_from:
        parts.append(_segment_sums(first, full_from - timedelta(days=1)))
    if full_to <= last:
        parts.append(_segment_sums(full_to, last))
    return _add_up(parts)


def _month_sums(first_month: date, end_month: date):
    """Rollup rows summed per company over the months first_month up to, not including, end_month."""
    return db.session.execute(
        select(
            SegmentMonth.company_id,
            func.sum(SegmentMonth.revenue_fen),
            func.sum(SegmentMonth.segments),
            func.sum(SegmentMonth.premium_revenue_fen),
            func.max(SegmentMonth.last_flight),
        )
        .where(SegmentMonth.month >= first_month, SegmentMonth.month < end_month)
        .group_by(SegmentMonth.company_id)
    )


def _segment_sums(first: date, last: date):
    """Segments summed per company over first..last (a part of a month)."""
    premium = case((Segment.cabin.in_(PREMIUM_CABINS), Segment.net_revenue_fen), else_=0)
    return db.session.execute(
        select(
            Segment.company_id,
            func.sum(Segment.net_revenue_fen),
            func.count(),
            func.sum(premium),
            func.max(Segment.flight_date),
        )
        .where(Segment.flight_date >= first, Segment.flight_date <= last, Segment.company_id.is_not(None))
        .group_by(Segment.company_id)
    )


def _add_up(parts) -> dict[int, list]:
    result: dict[int, list] = {}
    for rows in parts:
        for company_id, revenue, segments, premium, last in rows:
            last = _as_date(last)
            sums = result.get(company_id)
            if sums is None:
                result[company_id] = [int(revenue), int(segments), int(premium), last]
            else:
                sums[0] += int(revenue)
                sums[1] += int(segments)
                sums[2] += int(premium)
                sums[3] = max(sums[3], last)
    return result


def _aggregates(as_of: date) -> dict[int, dict]:
    """Per company: window revenue, segments, premium revenue, previous-year revenue and the
    last flight in the two years."""
    start = as_of - timedelta(days=WINDOW_DAYS)
    window = _range_sums(start + timedelta(days=1), as_of)
    previous = _range_sums(start - timedelta(days=WINDOW_DAYS - 1), start)
    result = {}
    for company_id in window.keys() | previous.keys():
        revenue, segments, premium_revenue, last = window.get(company_id, (0, 0, 0, None))
        previous_revenue, _, _, previous_last = previous.get(company_id, (0, 0, 0, None))
        result[company_id] = {
            "revenue": revenue,
            "segments": segments,
            "premium": premium_revenue,
            "previous": previous_revenue,
            "last": last or previous_last,
        }
    return result


def _as_date(value) -> date | None:
    # SQLite returns MAX() of a date column as text.
    return date.fromisoformat(value) if isinstance(value, str) else value


def _last_flights(as_of: date, company_ids: list[int]) -> dict[int, date]:
    """The last flight on or before the score date of companies that did not fly in the two
    years before it. From the rollup's months before the score date's month: that month lies
    inside the two years, so such a company has no flight in it."""
    if not company_ids:
        return {}
    stmt = (
        select(SegmentMonth.company_id, func.max(SegmentMonth.last_flight))
        .where(SegmentMonth.month < first_of_month(as_of), SegmentMonth.company_id.in_(company_ids))
        .group_by(SegmentMonth.company_id)
    )
    return {company_id: _as_date(last) for company_id, last in db.session.execute(stmt)}


def _commitments(as_of: date) -> dict[int, int]:
    """Per company: the annual revenue commitment of the agreement in force on the score date."""
    stmt = (
        select(Agreement.company_id, func.max(Agreement.commitment_revenue_fen))
        .where(
            Agreement.status.in_(("active", "expired", "terminated")),
            Agreement.valid_from <= as_of,
            Agreement.valid_to >= as_of,
            Agreement.commitment_revenue_fen > 0,
        )
        .group_by(Agreement.company_id)
    )
    return dict(db.session.execute(stmt).all())


def percentile_ranks(values: list[float]) -> list[Decimal]:
    """Percent rank (0-100) of each value: the share of the other values strictly below it.

    The lowest value scores 0 and the highest 100; ties share the lower rank; one value alone
    scores 100. Robust to outliers: only the order counts, not the distance.
    """
    n = len(values)
    if n == 0:
        return []
    if n == 1:
        return [Decimal(100)]
    order = sorted(values)
    result = []
    below_of = {}
    for i, v in enumerate(order):
        below_of.setdefault(v, i)
    for v in values:
        result.append((Decimal(below_of[v]) * 100 / (n - 1)).quantize(TWO_PLACES, ROUND_HALF_UP))
    return result


def activity_status(recency_days: int | None, rules: Rules) -> str:
    """active: flew within `active_days`; sleeping: up to `lost_days`; lost: longer or never."""
    if recency_days is None or recency_days > rules.lost_days:
        return "lost"
    if recency_days <= rules.active_days:
        return "active"
    return "sleeping"


def tier_cutoffs(n: int, rules: Rules) -> tuple[int, int, int]:
    """The last rank of platinum, gold and silver for n scored companies (shares of the rank)."""
    cumulative = Decimal(0)
    cutoffs = []
    for share in (rules.share_platinum, rules.share_gold, rules.share_silver):
        cumulative += share
        cutoffs.append(int((Decimal(n) * cumulative / 100).to_integral_value(rounding="ROUND_FLOOR")))
    return tuple(cutoffs)


def tier_for_rank(rank: int, cutoffs: tuple[int, int, int]) -> str:
    """The tier of a 1-based rank."""
    for tier, last in zip(TIER_ORDER, cutoffs, strict=False):
        if rank <= last:
            return tier
    return "standard"


def compute(as_of: date, rules: Rules | None = None) -> list[CompanyScore]:
    """Score every scored company for `as_of`; returns them in rank order."""
    rules = rules or current_rules()
    ids = scored_company_ids()
    aggregates = _aggregates(as_of)
    last_flights = {company_id: a["last"] for company_id, a in aggregates.items()}
    last_flights |= _last_flights(as_of, [i for i in ids if i not in aggregates])
    commitments = _commitments(as_of)
    empty = {"revenue": 0, "segments": 0, "premium": 0, "previous": 0}

    scores = []
    for company_id in ids:
        a = aggregates.get(company_id, empty)
        last = last_flights.get(company_id)
        commitment = commitments.get(company_id)
        scores.append(
            CompanyScore(
                company_id=company_id,
                revenue_fen=a["revenue"],
                segments=a["segments"],
                premium_share=a["premium"] / a["revenue"] if a["revenue"] > 0 else 0.0,
                growth=_growth(a["revenue"], a["previous"]),
                recency_days=(as_of - last).days if last else None,
                attainment=min(a["revenue"] / commitment, ATTAINMENT_CAP) if commitment else 0.0,
            )
        )
    return rank_scores(scores, rules)


def _growth(revenue: int, previous: int) -> float:
    ratio = (revenue + GROWTH_SMOOTHING_FEN) / (previous + GROWTH_SMOOTHING_FEN)
    return max(-GROWTH_CLIP, min(GROWTH_CLIP, math.log(ratio)))


def rank_scores(scores: list[CompanyScore], rules: Rules) -> list[CompanyScore]:
    """Percentiles, totals, ranks, tiers and statuses for raw component values (pure)."""
    if not scores:
        return []
    if sum(rules.weights.values()) <= 0:
        raise ValueError("at least one weight must be positive")
    never = -float("inf")
    raw = {
        "revenue": [s.revenue_fen for s in scores],
        "frequency": [s.segments for s in scores],
        "premium": [s.premium_share for s in scores],
        "growth": [s.growth for s in scores],
        # Fewer days is better; never flown is worst of all.
        "recency": [-s.recency_days if s.recency_days is not None else never for s in scores],
        "attainment": [s.attainment for s in scores],
    }
    ranks = {name: percentile_ranks(values) for name, values in raw.items()}
    weight_sum = sum(rules.weights.values())
    for i, s in enumerate(scores):
        s.percentiles = {name: ranks[name][i] for name in COMPONENTS}
        weighted = sum(s.percentiles[name] * rules.weights[name] for name in COMPONENTS)
        s.total = (weighted / weight_sum).quantize(TWO_PLACES, ROUND_HALF_UP)
        s.activity_status = activity_status(s.recency_days, rules)
    scores.sort(key=lambda s: (-s.total, -s.revenue_fen, s.company_id))
    cutoffs = tier_cutoffs(len(scores), rules)
    for rank, s in enumerate(scores, start=1):
        s.rank = rank
        s.tier = tier_for_rank(rank, cutoffs)
    return scores
