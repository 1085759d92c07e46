"""Why a company has its score (DESIGN §4): each component's raw value, percentile, weight and
points on the latest snapshot, and the company's score, rank and tier over time.

Points are computed from the snapshot's stored percentiles and the rules of the configuration
version that snapshot was computed with, so an explanation stays true after the rules change.
"""

import copy
import math
from decimal import Decimal

import pygal
from flask_babel import format_date
from flask_babel import gettext as _
from sqlalchemy import func, select
from sqlalchemy.orm import aliased

from portal import charts
from portal.extensions import db
from portal.scoring.config import COMPONENT_LABELS
from portal.scoring.engine import COMPONENTS, TWO_PLACES, CompanyScore, Rules
from portal.scoring.models import ScoreSnapshot, ScoringConfig

HISTORY_SHOWN = 12
ONE_PLACE = Decimal("0.1")


def _scored_on_date():
    """How many companies were scored on the row's date (for "rank 12 of 1,204")."""
    other = aliased(ScoreSnapshot)
    return (
        select(func.count(other.id))
        .where(other.score_date == ScoreSnapshot.score_date)
        .correlate(ScoreSnapshot)
        .scalar_subquery()
    )


def _percent(fraction) -> Decimal:
    return (Decimal(fraction) * 100).quantize(ONE_PLACE)


def _raw_values(snapshot: ScoreSnapshot) -> dict:
    """Each component's raw value in the unit a person reads it in."""
    return {
        "revenue": snapshot.revenue_fen,  # fen; shown in whole yuan
        "frequency": snapshot.segments,
        "premium": _percent(snapshot.premium_share),
        # growth is a log ratio: e^g - 1 is the change in revenue on the year before
        "growth": _percent(Decimal(str(math.exp(float(snapshot.growth)))) - 1),
        "recency": snapshot.recency_days,  # None: never flown
        "attainment": _percent(snapshot.attainment),
    }


def explanation(company_id: int) -> dict | None:
    """The latest snapshot of the company explained component by component, or None when the
    company has not been scored yet. One query."""
    row = db.session.execute(
        select(ScoreSnapshot, ScoringConfig, _scored_on_date())
        .outerjoin(ScoringConfig, ScoringConfig.id == ScoreSnapshot.config_id)
        .where(ScoreSnapshot.company_id == company_id)
        .order_by(ScoreSnapshot.score_date.desc())
        .limit(1)
    ).first()
    if row is None:
        return None
    snapshot, config, scored = row
    rules = Rules.from_config(config)
    percentiles = {name: Decimal(getattr(snapshot, f"pct_{name}")) for name in COMPONENTS}
    weight_sum = sum(rules.weights.values())
    score = CompanyScore(
        company_id=company_id,
        revenue_fen=snapshot.revenue_fen,
        segments=snapshot.segments,
        premium_share=float(snapshot.premium_share),
        growth=float(snapshot.growth),
        recency_days=snapshot.recency_days,
        attainment=float(snapshot.attainment),
        percentiles=percentiles,
    )
    points = score.points(rules) if weight_sum > 0 else dict.fromkeys(COMPONENTS, Decimal("0.00"))
    raw = _raw_values(snapshot)
    components = [
        {
            "name": name,
            "label": COMPONENT_LABELS[name],
            "raw": raw[name],
            "percentile": percentiles[name],
            "weight": rules.weights[name],
            "max_points": (Decimal(100 * rules.weights[name]) / weight_sum).quantize(TWO_PLACES)
            if weight_sum > 0
            else Decimal("0.00"),
            "points": points[name],
        }
        for name in COMPONENTS
    ]
    return {
        "score_date": snapshot.score_date,
        "total": snapshot.total,
        "rank": snapshot.rank,
        "scored": scored,
        "tier": snapshot.tier,
        "activity_status": snapshot.activity_status,
        "config_id": snapshot.config_id,
        "config_created_at": config.created_at if config is not None else None,
        "rules": rules,
        "weight_sum": weight_sum,
        "components": components,
        "points_sum": sum((c["points"] for c in components), Decimal("0.00")),
    }


def history(company_id: int, limit: int = HISTORY_SHOWN) -> list[dict]:
    """The company's score, rank and tier on its last `limit` score dates, newest first, with
    the change since the date before (positive rank change = moved up). One query."""
    rows = db.session.execute(
        select(
            ScoreSnapshot.score_date,
            ScoreSnapshot.total,
            ScoreSnapshot.rank,
            ScoreSnapshot.tier,
            ScoreSnapshot.activity_status,
            _scored_on_date(),
        )
        .where(ScoreSnapshot.company_id == company_id)
        .order_by(ScoreSnapshot.score_date.desc())
        .limit(limit + 1)  # one more, for the change on the oldest row shown
    ).all()
    result = []
    for i, (score_date, total, rank, tier, status, scored) in enumerate(rows[:limit]):
        older = rows[i + 1] if i + 1 < len(rows) else None
        result.append(
            {
                "score_date": score_date,
                "total": total,
                "rank": rank,
                "scored": scored,
                "tier": tier,
                "activity_status": status,
                "total_change": total - older[1] if older else None,
                "rank_change": older[2] - rank if older else None,
                "tier_changed": older is not None and older[3] != tier,
            }
        )
    return result


def points_chart(explained: dict) -> str:
    """SVG: one bar per component, as long as the most its weight lets it earn, filled with the
    points earned. (charts.bar_chart draws grouped bars; "earned of possible" reads better
    stacked.)"""
    style = copy.copy(charts.STYLE)
    style.colors = (charts.PALETTE[0], "#dee2e6")
    chart = pygal.HorizontalStackedBar(
        style=style,
        js=[],
        disable_xml_declaration=True,
        width=520,
        height=300,
        margin=12,
        legend_at_bottom=True,
        range=(0, max([1.0] + [float(c["max_points"]) for c in explained["components"]])),
    )
    components = list(reversed(explained["components"]))  # pygal draws the first label at the bottom
    chart.x_labels = [str(c["label"]) for c in components]
    chart.add(_("Points"), [float(c["points"]) for c in components])
    chart.add(_("Not earned"), [float(c["max_points"] - c["points"]) for c in components])
    return chart.render(is_unicode=True)


def history_chart(rows: list[dict]) -> str:
    """SVG: the rank over the score dates, oldest to newest; better ranks are higher."""
    ordered = list(reversed(rows))
    return charts.line_chart(
        [format_date(r["score_date"], "short") for r in ordered],
        {_("Rank"): [r["rank"] for r in ordered]},
        inverse_y_axis=True,
        width=520,
        height=260,
        dots_size=3,
        truncate_label=-1,
        # a label on every other date when they would crowd each other
        x_labels_major_every=2 if len(ordered) > 7 else None,
        show_minor_x_labels=len(ordered) <= 7,
    )


def score_section(company_id: int, limit: int = HISTORY_SHOWN) -> dict | None:
    """Everything the dossier's score section shows (charts as data: URIs), or None when the
    company has no snapshot yet. Two queries."""
    explained = explanation(company_id)
    if explained is None:
        return None
    rows = history(company_id, limit)
    return {
        "explanation": explained,
        "history": rows,
        "points_chart": charts.data_uri(points_chart(explained)),
        "history_chart": charts.data_uri(history_chart(rows)) if len(rows) > 1 else None,
    }
