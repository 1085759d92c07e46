"""The data of account and portfolio reviews, read into plain dicts for the PDF templates.

Everything here only reads; the result is plain data (portal.pdf pickles it to the renderer)
so the read transaction can end before the render starts.
"""

from datetime import date, datetime, time, timedelta
from decimal import ROUND_HALF_UP, Decimal

from flask_babel import force_locale
from markupsafe import Markup
from sqlalchemy import and_, case, func, select

from portal import charts
from portal.agreements import attainment
from portal.agreements.models import Agreement
from portal.alerts import display as alert_display
from portal.alerts.models import Alert
from portal.auth.models import User
from portal.companies import groups
from portal.companies.access import full_view_condition
from portal.companies.models import Company, Interaction
from portal.db import grouped
from portal.extensions import db
from portal.labels import label
from portal.org.models import Branch, SalesOffice
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.reviews import recommendations
from portal.reviews.periods import Period
from portal.scoring.engine import PREMIUM_CABINS
from portal.scoring.models import ScoreSnapshot
from portal.segments.models import Segment
from portal.segments.totals import totals_by_company
from portal.surveys import queries as survey_queries

ONE = Decimal("0.1")
TOP_ROUTES = 10
TOP_ACCOUNTS = 10
EXPIRING_DAYS = 90
TIERS = ("platinum", "gold", "silver", "standard")
CABIN_NAMES = {"F": "头等舱", "C": "公务舱", "W": "超级经济舱", "Y": "经济舱"}
TIER_NAMES = {"platinum": "白金", "gold": "金", "silver": "银", "standard": "普通"}
LIFECYCLE_NAMES = {"prospect": "潜在客户", "active": "正常", "suspended": "暂停", "closed": "已关闭"}


def status_name(activity_status: str | None) -> str:
    """The activity status in Chinese (reviews are written in Chinese whatever the reader's
    language), from the one list of labels: every status has one, `lost` included."""
    with force_locale("zh"):
        return label(activity_status, "activity_status")


def _pct(part, whole) -> Decimal | None:
    if not whole:
        return None
    return (Decimal(part) * 100 / Decimal(whole)).quantize(ONE, ROUND_HALF_UP)


def _utc_bounds(period: Period) -> tuple[datetime, datetime]:
    """The period as naive UTC datetimes [start, end) (close enough for counting notes)."""
    return datetime.combine(period.start, time()), datetime.combine(period.end + timedelta(days=1), time())


def kpis(company_id: int, period: Period) -> dict:
    """Revenue, segments, average fare, premium share and distinct travellers of one period."""
    revenue, segments, premium, travellers = db.session.execute(
        select(
            func.coalesce(func.sum(Segment.net_revenue_fen), 0),
            func.count(Segment.id),
            func.coalesce(
                func.sum(case((Segment.cabin.in_(PREMIUM_CABINS), Segment.net_revenue_fen), else_=0)), 0
            ),
            func.count(func.distinct(Segment.traveller_name)),
        ).where(
            Segment.company_id == company_id,
            Segment.flight_date >= period.start,
            Segment.flight_date <= period.end,
        )
    ).one()
    revenue, segments, premium = int(revenue), int(segments), int(premium)
    return {
        "revenue_fen": revenue,
        "segments": segments,
        "average_fare_fen": revenue // segments if segments else None,
        "premium_share": _pct(premium, revenue),
        "travellers": int(travellers),
    }


def _delta(current, previous) -> Decimal | None:
    if current is None or not previous:
        return None
    return ((Decimal(current) - Decimal(previous)) * 100 / Decimal(previous)).quantize(ONE, ROUND_HALF_UP)


def _snapshot(company_id: int, on_or_before: date) -> dict | None:
    snap = db.session.scalar(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.company_id == company_id, ScoreSnapshot.score_date <= on_or_before)
        .order_by(ScoreSnapshot.score_date.desc())
        .limit(1)
    )
    if snap is None:
        return None
    return {
        "score_date": snap.score_date,
        "total": snap.total,
        "rank": snap.rank,
        "tier": snap.tier,
        "tier_name": TIER_NAMES.get(snap.tier, snap.tier),
        "activity_status": snap.activity_status,
        "status_name": status_name(snap.activity_status),
        "components": [
            {"name": name, "percentile": getattr(snap, f"pct_{name}")}
            for name in ("revenue", "frequency", "premium", "growth", "recency", "attainment")
        ],
    }


def _monthly(company_id: int, months: list[date], end: date) -> list[dict]:
    month_key = func.extract("month", Segment.flight_date)
    year_key = func.extract("year", Segment.flight_date)
    rows = db.session.execute(
        select(year_key, month_key, func.sum(Segment.net_revenue_fen), func.count(Segment.id))
        .where(Segment.company_id == company_id, Segment.flight_date >= months[0], Segment.flight_date <= end)
        .group_by(year_key, month_key)
    ).all()
    found = {(int(y), int(m)): (int(r or 0), int(c)) for y, m, r, c in rows}
    return [
        {
            "month": f"{m.year}-{m.month:02d}",
            "revenue_fen": found.get((m.year, m.month), (0, 0))[0],
            "segments": found.get((m.year, m.month), (0, 0))[1],
        }
        for m in months
    ]


def _trailing_months(end: date, count: int = 12) -> list[date]:
    months, day = [], date(end.year, end.month, 1)
    for _ in range(count):
        months.append(day)
        day = date(day.year - (day.month == 1), (day.month - 2) % 12 + 1, 1)
    return months[::-1]


def _routes_and_cabins(company_id: int, period: Period) -> tuple[list[dict], list[dict]]:
    in_period = (
        Segment.company_id == company_id,
        Segment.flight_date >= period.start,
        Segment.flight_date <= period.end,
    )
    routes = db.session.execute(
        select(Segment.origin, Segment.destination, func.count(Segment.id), func.sum(Segment.net_revenue_fen))
        .where(*in_period)
        .group_by(Segment.origin, Segment.destination)
        .order_by(func.sum(Segment.net_revenue_fen).desc(), Segment.origin, Segment.destination)
        .limit(TOP_ROUTES)
    ).all()
    cabins = db.session.execute(
        select(Segment.cabin, func.count(Segment.id), func.sum(Segment.net_revenue_fen))
        .where(*in_period)
        .group_by(Segment.cabin)
    ).all()
    total = sum(int(r or 0) for _c, _n, r in cabins)
    return (
        [
            {
                "route": f"{o}–{d}",
                "segments": int(n),
                "revenue_fen": int(r or 0),
                "share": _pct(int(r or 0), total),
            }
            for o, d, n, r in routes
        ],
        [
            {
                "cabin": c,
                "name": CABIN_NAMES.get(c, c),
                "segments": int(n),
                "revenue_fen": int(r or 0),
                "share": _pct(int(r or 0), total),
            }
            for c, n, r in sorted(cabins)
        ],
    )


def _agreement(company_id: int, as_of: date) -> dict | None:
    agreement = db.session.scalar(
        select(Agreement)
        .where(
            Agreement.company_id == company_id,
            Agreement.status.in_(("active", "expired")),
            Agreement.valid_from <= as_of,
        )
        .order_by(Agreement.valid_from.desc())
        .limit(1)
    )
    if agreement is None:
        return None
    att = attainment.for_agreement(agreement, as_of)
    if att is None:
        return {
            "number": agreement.number,
            "valid_from": agreement.valid_from,
            "valid_to": agreement.valid_to,
            "forecast_percent": None,
            "elapsed_percent": None,
        }
    year_days = (att.window.end - att.window.start).days + 1
    return {
        "number": agreement.number,
        "valid_from": agreement.valid_from,
        "valid_to": agreement.valid_to,
        "year_start": att.window.start,
        "year_end": att.window.end,
        "revenue_fen": att.revenue_fen,
        "segments": att.segments,
        "commitment_revenue_fen": att.commitment_revenue_fen,
        "commitment_segments": att.commitment_segments,
        "revenue_percent": att.revenue_percent,
        "forecast_revenue_fen": att.forecast_revenue_fen,
        "forecast_percent": att.forecast_percent,
        "elapsed_percent": _pct(att.elapsed_days, year_days),
        "tier_threshold": att.tier.threshold if att.tier else None,
        "rebate_percent": att.tier.rebate if att.tier else None,
        "rebate_fen": att.rebate_fen,
    }


def _quotas(company_id: int, period: Period) -> dict:
    seats, used = db.session.execute(
        select(func.coalesce(func.sum(Quota.seats), 0), func.coalesce(func.sum(Quota.used), 0))
        .join(Agreement, Agreement.id == Quota.agreement_id)
        .where(Agreement.company_id == company_id, Quota.month >= period.start, Quota.month <= period.end)
    ).one()
    statuses = grouped(
        db.session,
        PriorityRequest.status,
        func.count(PriorityRequest.id),
        PriorityRequest.company_id == company_id,
        PriorityRequest.flight_date >= period.start,
        PriorityRequest.flight_date <= period.end,
    )
    return {
        "seats": int(seats),
        "used": int(used),
        "use_percent": _pct(int(used), int(seats)),
        "confirmed": int(statuses.get("confirmed", 0)),
        "waitlisted": int(statuses.get("waitlisted", 0)),
        "cancelled": int(statuses.get("cancelled", 0)),
        "expired": int(statuses.get("expired", 0)),
    }


def _complaints(company_id: int, period: Period, as_of: datetime) -> dict:
    start, end = _utc_bounds(period)
    rows = db.session.execute(
        select(
            Interaction.complaint_status, Interaction.occurred_at, Interaction.resolved_at, Interaction.due_at
        ).where(
            Interaction.company_id == company_id,
            Interaction.kind == "complaint",
            Interaction.occurred_at >= start,
            Interaction.occurred_at < end,
        )
    ).all()
    resolved = [(o, r) for s, o, r, _d in rows if r is not None]
    hours = [(r - o).total_seconds() / 3600 for o, r in resolved]
    past_due = db.session.scalar(
        select(func.count(Interaction.id)).where(
            Interaction.company_id == company_id,
            Interaction.kind == "complaint",
            Interaction.resolved_at.is_(None),
            Interaction.due_at.is_not(None),
            Interaction.due_at < as_of,
        )
    )
    return {
        "count": len(rows),
        "resolved": len(resolved),
        "open": len(rows) - len(resolved),
        "average_days": (Decimal(sum(hours) / len(hours) / 24)).quantize(ONE, ROUND_HALF_UP)
        if hours
        else None,
        "open_past_due": int(past_due or 0),
    }


def _satisfaction(company_id: int, period: Period) -> dict:
    """The period's survey answers (NPS, ratings, latest comments)."""
    start, end = _utc_bounds(period)
    return survey_queries.company_summary(company_id, start, end)


def _warnings(company_id: int, period: Period, as_of: date) -> dict:
    """The churn warning open at the end of the period (its reasons) and the period's months
    whose roster share was above the warning threshold."""
    months = [m.strftime("%Y-%m") for m in period.months()]
    rows = db.session.execute(
        select(Alert.kind, Alert.level, Alert.episode, Alert.reason, Alert.opened_on, Alert.closed_on)
        .where(
            Alert.company_id == company_id,
            (
                and_(Alert.kind == "churn", Alert.opened_on <= as_of)
                & ((Alert.closed_on.is_(None)) | (Alert.closed_on > as_of))
            )
            | (and_(Alert.kind == "roster", Alert.episode.in_(months))),
        )
        .order_by(Alert.kind, Alert.episode)
    ).all()
    with force_locale("zh"):
        churn = [
            {"since": r.opened_on, "reasons": alert_display.reasons(r.reason)}
            for r in rows
            if r.kind == "churn"
        ]
        roster = [
            {
                "month": r.episode,
                "level": r.level,
                "flagged": r.level == "flagged",
                "off": r.reason.get("off", 0),
                "total": r.reason.get("total", 0),
                "text": alert_display.reasons(r.reason)[0],
            }
            for r in rows
            if r.kind == "roster"
        ]
    return {"churn": churn[-1] if churn else None, "roster": roster}


def _revisits(company_id: int, period: Period, as_of: date) -> dict:
    rows = db.session.execute(
        select(Reminder.kind, Reminder.status, Reminder.due_on, Reminder.completed_at).where(
            Reminder.company_id == company_id,
            Reminder.kind.in_(("revisit", "reactivation")),
            Reminder.due_on >= period.start,
            Reminder.due_on <= period.end,
        )
    ).all()
    last = db.session.scalar(
        select(func.max(Reminder.completed_at)).where(
            Reminder.company_id == company_id,
            Reminder.kind.in_(("revisit", "reactivation")),
            Reminder.status == "done",
            Reminder.completed_at < datetime.combine(as_of + timedelta(days=1), time()),
        )
    )
    return {
        "due": len(rows),
        "done": sum(1 for r in rows if r.status == "done"),
        "overdue": sum(1 for r in rows if r.status in ("open", "snoozed") and r.due_on < as_of),
        "last_done": last.date() if last else None,
        "days_since_last": (as_of - last.date()).days if last else None,
    }


def _subsidiaries(company_id: int, period: Period, as_of: date, author_id: int | None) -> dict:
    """The parent's subsidiaries (those its author sees in full) with their revenue and segments
    in the period, and the group's totals with the parent."""
    levels = dict(groups.member_ids(company_id)[1:])
    stmt = select(Company).where(Company.id.in_(levels))
    author = db.session.get(User, author_id) if author_id is not None else None
    if author is not None:
        stmt = stmt.where(full_view_condition(author))
    companies = db.session.scalars(stmt).all()
    last = min(as_of, period.end)
    totals = totals_by_company([company_id, *(c.id for c in companies)], period.start, last)
    members = [
        {
            "name_zh": c.name_zh,
            "level": levels[c.id],
            "tier": TIER_NAMES.get(c.tier, "–") if c.tier else "–",
            "status": LIFECYCLE_NAMES.get(c.status, c.status),
            "revenue_fen": totals.get(c.id, (0, 0))[0],
            "segments": totals.get(c.id, (0, 0))[1],
        }
        for c in sorted(companies, key=lambda c: (levels[c.id], c.name_zh, c.id))
    ]
    return {
        "members": members,
        "revenue_fen": sum(revenue for revenue, _ in totals.values()),
        "segments": sum(segments for _, segments in totals.values()),
    }


def account_data(
    company_id: int,
    period: Period,
    *,
    today: date,
    include_subsidiaries: bool = False,
    author_id: int | None = None,
) -> dict:
    """Everything an account review prints, as plain data (charts as trusted SVG markup); with
    `include_subsidiaries`, a section on the subsidiaries its author (if any) sees in full."""
    company = db.session.get(Company, company_id)
    if company is None:
        raise LookupError(f"no company {company_id}")
    as_of = min(today, period.end)
    previous = period.previous()
    current_kpis, previous_kpis = kpis(company_id, period), kpis(company_id, previous)
    change = None
    if current_kpis["premium_share"] is not None and previous_kpis["premium_share"] is not None:
        change = current_kpis["premium_share"] - previous_kpis["premium_share"]
    kpi = {
        "current": current_kpis,
        "previous": previous_kpis,
        "growth_percent": _delta(current_kpis["revenue_fen"], previous_kpis["revenue_fen"]),
        "segments_delta": _delta(current_kpis["segments"], previous_kpis["segments"]),
        "fare_delta": _delta(current_kpis["average_fare_fen"], previous_kpis["average_fare_fen"]),
        "travellers_delta": _delta(current_kpis["travellers"], previous_kpis["travellers"]),
        "premium_share_change": change,
    }
    score, score_before = _snapshot(company_id, period.end), _snapshot(company_id, previous.end)
    monthly = _monthly(company_id, _trailing_months(period.end), period.end)
    routes, cabins = _routes_and_cabins(company_id, period)
    data = {
        "kind": "account",
        "period": period.code,
        "period_start": period.start,
        "period_end": period.end,
        "previous_period": previous.code,
        "generated_on": today,
        "company": {
            "id": company.id,
            "name_zh": company.name_zh,
            "name_en": company.name_en,
            "city": company.city,
            "credit_code": company.credit_code,
            "office": company.office.name_zh,
            "manager": company.manager.name if company.manager else None,
        },
        "kpis": kpi,
        "score": score,
        "score_before": score_before,
        "rank_change": score_before["rank"] - score["rank"] if score and score_before else None,
        "monthly": monthly,
        "routes": routes,
        "cabins": cabins,
        "attainment": _agreement(company_id, as_of),
        "quotas": _quotas(company_id, period),
        "complaints": _complaints(company_id, period, datetime.combine(as_of, time())),
        "revisits": _revisits(company_id, period, as_of),
        "satisfaction": _satisfaction(company_id, period),
        "warnings": _warnings(company_id, period, as_of),
        "subsidiaries": _subsidiaries(company_id, period, as_of, author_id) if include_subsidiaries else None,
    }
    data["recommendations"] = recommendations.recommend(data)
    data["charts"] = account_charts(data)
    return data


def account_charts(data: dict) -> dict:
    """The review's charts as inline SVG (pygal, the CJK font named in its style)."""
    labels = [m["month"][2:] for m in data["monthly"]]
    trend = charts.bar_chart(
        labels,
        {"收入（万元）": [round(m["revenue_fen"] / 1_000_000, 1) for m in data["monthly"]]},
        width=640,
        height=240,
    )
    segments = charts.line_chart(
        labels, {"航段": [m["segments"] for m in data["monthly"]]}, width=640, height=200
    )
    cabin = (
        charts.pie_chart(
            {c["name"]: round(c["revenue_fen"] / 100) for c in data["cabins"]}, width=360, height=240
        )
        if data["cabins"]
        else ""
    )
    return {"trend": Markup(trend), "segments": Markup(segments), "cabins": Markup(cabin)}


# --- portfolio -----------------------------------------------------------------------------


def _branch_filter(branch_id: int | None):
    if branch_id is None:
        return []
    return [Company.office_id.in_(select(SalesOffice.id).where(SalesOffice.branch_id == branch_id))]


def _latest_date(on_or_before: date) -> date | None:
    return db.session.scalar(
        select(func.max(ScoreSnapshot.score_date)).where(ScoreSnapshot.score_date <= on_or_before)
    )


def _scored_rows(score_date: date | None, branch_id: int | None):
    if score_date is None:
        return {}
    rows = db.session.execute(
        select(
            Company.id,
            Company.name_zh,
            ScoreSnapshot.rank,
            ScoreSnapshot.total,
            ScoreSnapshot.tier,
            ScoreSnapshot.activity_status,
            ScoreSnapshot.revenue_fen,
        )
        .join(
            ScoreSnapshot,
            and_(ScoreSnapshot.company_id == Company.id, ScoreSnapshot.score_date == score_date),
        )
        .where(*_branch_filter(branch_id))
    ).all()
    return {r.id: r for r in rows}


def portfolio_data(period: Period, *, branch_id: int | None, today: date) -> dict:
    """Everything a portfolio review prints, as plain data, for all companies or one branch."""
    as_of = min(today, period.end)
    previous = period.previous()
    now_date, before_date = _latest_date(period.end), _latest_date(previous.end)
    now, before = _scored_rows(now_date, branch_id), _scored_rows(before_date, branch_id)
    tiers = {t: 0 for t in TIERS}
    revenue_by_tier = {t: 0 for t in TIERS}
    for r in now.values():
        tiers[r.tier] += 1
        revenue_by_tier[r.tier] += int(r.revenue_fen)
    ranked = sorted(now.values(), key=lambda r: r.rank)

    def row(r, old=None):
        return {
            "id": r.id,
            "name_zh": r.name_zh,
            "rank": r.rank,
            "total": r.total,
            "tier": TIER_NAMES.get(r.tier, r.tier),
            "status": status_name(r.activity_status),
            "revenue_fen": int(r.revenue_fen),
            "previous_rank": old.rank if old else None,
            "movement": old.rank - r.rank if old else None,
        }

    moved = [row(r, before[r.id]) for r in ranked if r.id in before and before[r.id].rank != r.rank]
    sleeping = [row(r, before.get(r.id)) for r in ranked if r.activity_status == "sleeping"]
    expiring = db.session.execute(
        select(Agreement.number, Agreement.valid_to, Company.name_zh, Agreement.commitment_revenue_fen)
        .join(Company, Company.id == Agreement.company_id)
        .where(
            Agreement.status == "active",
            Agreement.valid_to >= as_of,
            Agreement.valid_to <= as_of + timedelta(days=EXPIRING_DAYS),
            *_branch_filter(branch_id),
        )
        .order_by(Agreement.valid_to, Agreement.number)
    ).all()
    start, end = _utc_bounds(period)
    interactions = dict(
        db.session.execute(
            select(Interaction.author_id, func.count(Interaction.id))
            .join(Company, Company.id == Interaction.company_id)
            .where(
                Interaction.occurred_at >= start, Interaction.occurred_at < end, *_branch_filter(branch_id)
            )
            .group_by(Interaction.author_id)
        ).all()
    )
    revisits = dict(
        db.session.execute(
            select(Reminder.assignee_id, func.count(Reminder.id))
            .join(Company, Company.id == Reminder.company_id)
            .where(
                Reminder.status == "done",
                Reminder.kind.in_(("revisit", "reactivation")),
                Reminder.completed_at >= start,
                Reminder.completed_at < end,
                *_branch_filter(branch_id),
            )
            .group_by(Reminder.assignee_id)
        ).all()
    )
    manager_ids = {i for i in list(interactions) + list(revisits) if i is not None}
    managers = (
        db.session.execute(
            select(User.id, User.name).where(
                User.id.in_(manager_ids), User.role.in_(("account_manager", "branch_head"))
            )
        ).all()
        if manager_ids
        else []
    )
    activity = sorted(
        (
            {
                "name": name,
                "interactions": int(interactions.get(uid, 0)),
                "revisits": int(revisits.get(uid, 0)),
            }
            for uid, name in managers
        ),
        key=lambda a: (-a["interactions"] - a["revisits"], a["name"]),
    )
    branch_name = (
        db.session.scalar(select(Branch.name_zh).where(Branch.id == branch_id)) if branch_id else None
    )
    data = {
        "kind": "portfolio",
        "period": period.code,
        "period_start": period.start,
        "period_end": period.end,
        "previous_period": previous.code,
        "generated_on": today,
        "branch": branch_name,
        "score_date": now_date,
        "previous_score_date": before_date,
        "companies": len(now),
        "revenue_fen": sum(revenue_by_tier.values()),
        "tiers": [
            {
                "tier": TIER_NAMES[t],
                "companies": tiers[t],
                "revenue_fen": revenue_by_tier[t],
                "share": _pct(tiers[t], len(now)),
            }
            for t in TIERS
        ],
        "top": [row(r, before.get(r.id)) for r in ranked[:TOP_ACCOUNTS]],
        "movers_up": sorted([m for m in moved if m["movement"] > 0], key=lambda m: -m["movement"])[
            :TOP_ACCOUNTS
        ],
        "movers_down": sorted([m for m in moved if m["movement"] < 0], key=lambda m: m["movement"])[
            :TOP_ACCOUNTS
        ],
        "sleeping": sleeping[:20],
        "sleeping_total": len(sleeping),
        "expiring": [
            {"number": n, "valid_to": v, "company": c, "commitment_fen": f} for n, v, c, f in expiring
        ],
        "managers": activity,
    }
    data["charts"] = {
        "tiers": Markup(
            charts.bar_chart(
                [t["tier"] for t in data["tiers"]],
                {"客户数": [t["companies"] for t in data["tiers"]]},
                width=640,
                height=220,
            )
        )
    }
    return data
