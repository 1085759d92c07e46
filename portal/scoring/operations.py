"""Recompute and store scores: snapshots for a date and each company's current tier and score.

Flushes, never commits: the CLI command or the job owns the transaction.
"""

import calendar
from datetime import date
from decimal import Decimal

from sqlalchemy import bindparam, delete, func, select, update

from portal import bulk
from portal.api import webhooks
from portal.audit.trail import record_bulk
from portal.companies.models import Company
from portal.extensions import db
from portal.scoring.engine import CompanyScore, Rules, compute, current_rules
from portal.scoring.models import ScoreSnapshot

FOUR_PLACES = Decimal("0.0001")
SNAPSHOT_FIELDS = (
    "config_id",
    "revenue_fen",
    "segments",
    "premium_share",
    "growth",
    "recency_days",
    "attainment",
    "pct_revenue",
    "pct_frequency",
    "pct_premium",
    "pct_growth",
    "pct_recency",
    "pct_attainment",
    "total",
    "rank",
    "tier",
    "activity_status",
)


def snapshot_values(score: CompanyScore, as_of: date, rules: Rules) -> dict:
    """The ScoreSnapshot column values of one computed score."""
    values = {
        "company_id": score.company_id,
        "score_date": as_of,
        "config_id": rules.config_id,
        "revenue_fen": score.revenue_fen,
        "segments": score.segments,
        "premium_share": Decimal(str(score.premium_share)).quantize(FOUR_PLACES),
        "growth": Decimal(str(score.growth)).quantize(FOUR_PLACES),
        "recency_days": score.recency_days,
        "attainment": Decimal(str(score.attainment)).quantize(FOUR_PLACES),
        "total": score.total,
        "rank": score.rank,
        "tier": score.tier,
        "activity_status": score.activity_status,
    }
    for name, value in score.percentiles.items():
        values[f"pct_{name}"] = value
    return values


def _differs(existing, values: dict) -> bool:
    for name in SNAPSHOT_FIELDS:
        old, new = getattr(existing, name), values[name]
        if isinstance(new, Decimal) and old is not None:
            old = Decimal(old)
        if old != new:
            return True
    return False


def store_snapshots(as_of: date, scores: list[CompanyScore], rules: Rules) -> dict:
    """Upsert the snapshots of `as_of`: insert new, update changed, remove unscored companies."""
    table = ScoreSnapshot.__table__
    existing = {
        row.company_id: row for row in db.session.execute(select(table).where(table.c.score_date == as_of))
    }
    rows = [snapshot_values(s, as_of, rules) for s in scores]
    inserts = [r for r in rows if r["company_id"] not in existing]
    updates = [r for r in rows if r["company_id"] in existing and _differs(existing[r["company_id"]], r)]
    scored = {r["company_id"] for r in rows}
    stale = [company_id for company_id in existing if company_id not in scored]
    if inserts:
        bulk.insert_rows(db.session.connection(), table, inserts)
    if updates:
        stmt = (
            update(table)
            .where(
                table.c.company_id == bindparam("b_company_id"),
                table.c.score_date == bindparam("b_score_date"),
            )
            .values({name: bindparam(name) for name in SNAPSHOT_FIELDS})
        )
        db.session.execute(
            stmt,
            [
                {**{n: r[n] for n in SNAPSHOT_FIELDS}, "b_company_id": r["company_id"], "b_score_date": as_of}
                for r in updates
            ],
        )
    if stale:
        db.session.execute(delete(table).where(table.c.score_date == as_of, table.c.company_id.in_(stale)))
    return {"inserted": len(inserts), "updated": len(updates), "removed": len(stale)}


def update_companies(scores: list[CompanyScore], *, score_date: date) -> int:
    """Set each company's current tier, score and activity status; audit what changed."""
    table = Company.__table__
    current = {
        row.id: row
        for row in db.session.execute(
            select(table.c.id, table.c.tier, table.c.score, table.c.activity_status)
        )
    }
    changes, audit = [], []
    for s in scores:
        row = current.get(s.company_id)
        if row is None:
            continue
        old_score = Decimal(row.score) if row.score is not None else None
        if (row.tier, old_score, row.activity_status) == (s.tier, s.total, s.activity_status):
            continue
        changes.append(
            {"b_id": s.company_id, "tier": s.tier, "score": s.total, "activity_status": s.activity_status}
        )
        audit.append(
            (
                s.company_id,
                s.company_id,
                {
                    "tier": row.tier,
                    "score": str(old_score) if old_score is not None else None,
                    "activity_status": row.activity_status,
                },
                {"tier": s.tier, "score": str(s.total), "activity_status": s.activity_status},
            )
        )
    if changes:
        stmt = (
            update(table)
            .where(table.c.id == bindparam("b_id"))
            .values(
                tier=bindparam("tier"), score=bindparam("score"), activity_status=bindparam("activity_status")
            )
        )
        db.session.execute(stmt, changes)
        record_bulk("company", audit)
        webhooks.emit_many(
            "company.tier_changed",
            [
                (
                    company_id,
                    {"from": before["tier"], "to": after["tier"]},
                    f"{score_date.isoformat()}:{after['tier']}",
                )
                for company_id, _, before, after in audit
                if before["tier"] != after["tier"]
            ],
        )
    return len(changes)


def latest_score_date() -> date | None:
    """The newest date with snapshots."""
    return db.session.scalar(select(func.max(ScoreSnapshot.score_date)))


def recompute(as_of: date, rules: Rules | None = None) -> dict:
    """Score every company for `as_of`, store the snapshots and, when `as_of` is the newest
    score date, each company's current tier and score. Running it twice changes nothing."""
    rules = rules or current_rules()
    scores = compute(as_of, rules)
    summary = {"companies": len(scores), **store_snapshots(as_of, scores, rules)}
    latest = latest_score_date()
    summary["companies_changed"] = (
        update_companies(scores, score_date=as_of) if latest is None or as_of >= latest else 0
    )
    db.session.flush()
    return summary


def backfill_dates(as_of: date, months: int) -> list[date]:
    """The score dates of a backfill, oldest first: the month-ends of the `months - 1` months
    before `as_of`'s month, then `as_of` itself."""
    dates = []
    for back in range(months - 1, 0, -1):
        year, month = divmod(as_of.year * 12 + as_of.month - 1 - back, 12)
        month += 1
        dates.append(date(year, month, calendar.monthrange(year, month)[1]))
    return [*dates, as_of]


def backfill(as_of: date, months: int, rules: Rules | None = None) -> list[tuple[date, dict]]:
    """Score the last `months` month-ends ending at `as_of`, oldest first, so rank movement and
    history exist; the summary of each date. Running it twice changes nothing.

    Only the last date may set the companies' current tier and score: the earlier dates are
    history, and recording every intermediate tier as a change would flood the audit trail.
    """
    if months < 1:
        raise ValueError("months must be at least 1")
    rules = rules or current_rules()
    dates = backfill_dates(as_of, months)
    results = []
    for score_date in dates[:-1]:
        scores = compute(score_date, rules)
        summary = {"companies": len(scores), **store_snapshots(score_date, scores, rules)}
        results.append((score_date, {**summary, "companies_changed": 0}))
    results.append((as_of, recompute(as_of, rules)))
    db.session.flush()
    return results
