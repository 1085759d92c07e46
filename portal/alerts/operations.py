"""Early-warning rules, run daily (the `early_warnings` job). Functions flush, never commit.

Churn risk (one alert per episode: it opens the first day a rule holds and closes the first day
none does), over the monthly revenue (segment_month) and the score snapshots:
- revenue_drop: the last three whole months earned below 60 % of the same months a year before;
- rank_fall: the newest rank is 20 % of the ranked companies or more below the best rank of the
  quarter before it;
- turned_sleeping: the newest snapshot is sleeping and one in the quarter before it was active.

Roster compliance, per company and whole month: the share of segments flown by people not on
the company's traveller roster (matched by frequent-flyer number, else by name). Above 30 % is a
warning on the dossier and in the review; above 60 % is flagged to the branch heads.
"""

from datetime import date, datetime, timedelta

from flask_babel import force_locale
from flask_babel import gettext as _
from sqlalchemy import and_, case, exists, func, or_, select

from portal.alerts.models import Alert
from portal.companies.models import Company, Traveller
from portal.db import utcnow
from portal.extensions import db
from portal.notifications.models import Notification
from portal.reminders.operations import branch_heads
from portal.scoring.models import ScoreSnapshot
from portal.segments.models import Segment, SegmentMonth
from portal.timeutil import first_of_month, next_month

REVENUE_FLOOR_PERCENT = 60  # revenue below this share of a year before is a risk
RANK_FALL_PERCENT = 20  # places lost, as a share of the ranked companies
ROSTER_WARNING_PERCENT = 30  # off-roster share above this: a warning
ROSTER_FLAG_PERCENT = 60  # above this: flagged to the branch head
WINDOW_MONTHS = 3


def months_before(month: date, count: int) -> date:
    """The first day of the month `count` months before `month` (a first day)."""
    index = month.year * 12 + month.month - 1 - count
    return date(index // 12, index % 12 + 1, 1)


def _revenue(today: date) -> dict[int, tuple[int, int, int]]:
    """Per company: revenue of the last three whole months, of the same months a year before,
    and of the last twelve whole months (the revenue at stake)."""
    this_month = first_of_month(today)
    recent_from = months_before(this_month, WINDOW_MONTHS)
    year_from, year_to = months_before(recent_from, 12), months_before(this_month, 12)
    twelve_from = months_before(this_month, 12)
    month = SegmentMonth.month
    stmt = (
        select(
            SegmentMonth.company_id,
            func.sum(case((month >= recent_from, SegmentMonth.revenue_fen), else_=0)),
            func.sum(case((and_(month >= year_from, month < year_to), SegmentMonth.revenue_fen), else_=0)),
            func.sum(case((month >= twelve_from, SegmentMonth.revenue_fen), else_=0)),
        )
        .where(month >= year_from, month < this_month)
        .group_by(SegmentMonth.company_id)
    )
    return {cid: (int(a or 0), int(b or 0), int(c or 0)) for cid, a, b, c in db.session.execute(stmt)}


def _snapshots(today: date) -> tuple[dict[int, tuple], int, date | None]:
    """Per company on the newest score date up to today: (rank, status, best rank and whether
    active in the quarter before); the number ranked; the date."""
    newest = db.session.scalar(
        select(func.max(ScoreSnapshot.score_date)).where(ScoreSnapshot.score_date <= today)
    )
    if newest is None:
        return {}, 0, None
    start = months_before(first_of_month(newest), WINDOW_MONTHS) + timedelta(days=newest.day - 1)
    rows = db.session.execute(
        select(
            ScoreSnapshot.company_id,
            ScoreSnapshot.score_date,
            ScoreSnapshot.rank,
            ScoreSnapshot.activity_status,
        )
        .where(ScoreSnapshot.score_date >= start, ScoreSnapshot.score_date <= newest)
        .order_by(ScoreSnapshot.company_id, ScoreSnapshot.score_date)
    ).all()
    before: dict[int, list] = {}
    latest: dict[int, tuple] = {}
    for company_id, score_date, rank, status in rows:
        if score_date == newest:
            latest[company_id] = (rank, status)
        else:
            before.setdefault(company_id, []).append((rank, status))
    result = {}
    for company_id, (rank, status) in latest.items():
        earlier = before.get(company_id, [])
        best = min((r for r, _s in earlier), default=None)
        was_active = any(s == "active" for _r, s in earlier)
        result[company_id] = (rank, status, best, was_active)
    return result, len(latest), newest


def churn_reasons(today: date) -> tuple[dict[int, dict], dict[int, int]]:
    """The churn rules that hold per active company on `today` ({company: reason}) and each
    company's revenue of the last twelve whole months."""
    revenue = _revenue(today)
    snapshots, ranked, newest = _snapshots(today)
    active = set(db.session.scalars(select(Company.id).where(Company.status == "active")))
    reasons: dict[int, dict] = {}
    for company_id in active:
        rules, figures = [], {}
        recent, year_before, _twelve = revenue.get(company_id, (0, 0, 0))
        if year_before > 0 and recent * 100 < year_before * REVENUE_FLOOR_PERCENT:
            rules.append("revenue_drop")
            figures.update(recent_fen=recent, year_before_fen=year_before)
        snap = snapshots.get(company_id)
        if snap:
            rank, status, best, was_active = snap
            if best is not None and ranked and (rank - best) * 100 >= ranked * RANK_FALL_PERCENT:
                rules.append("rank_fall")
                figures.update(rank=rank, best_rank=best, ranked=ranked, score_date=newest.isoformat())
            if status == "sleeping" and was_active:
                rules.append("turned_sleeping")
        if rules:
            reasons[company_id] = {"rules": rules, **figures}
    return reasons, {cid: twelve for cid, (_r, _y, twelve) in revenue.items()}


def raise_churn_alerts(today: date, now: datetime | None = None) -> dict:
    """Open an alert for each company a churn rule newly holds for, keep open episodes' reasons
    current, and close episodes no rule holds for any more. Idempotent for a day."""
    now = now or utcnow()
    reasons, at_stake = churn_reasons(today)
    episode = today.isoformat()
    known = {
        a.company_id: a
        for a in db.session.scalars(
            select(Alert).where(
                Alert.kind == "churn", or_(Alert.closed_on.is_(None), Alert.episode == episode)
            )
        )
    }
    opened = closed = 0
    for company_id, reason in reasons.items():
        alert = known.get(company_id)
        if alert is None:
            db.session.add(
                Alert(
                    company_id=company_id,
                    kind="churn",
                    episode=episode,
                    reason=reason,
                    revenue_at_stake_fen=at_stake.get(company_id, 0),
                    opened_on=today,
                    created_at=now,
                )
            )
            opened += 1
            continue
        if alert.closed_on is not None:  # closed earlier today, holds again: the same episode
            alert.closed_on = None
        if alert.reason != reason:
            alert.reason = reason
        stake = at_stake.get(company_id, 0)
        if alert.revenue_at_stake_fen != stake:
            alert.revenue_at_stake_fen = stake
    for company_id, alert in known.items():
        if company_id not in reasons and alert.closed_on is None:
            alert.closed_on = today
            closed += 1
    db.session.flush()
    return {"churn_opened": opened, "churn_closed": closed}


def _on_roster():
    """SQL condition: the segment's traveller is on its company's live roster (by frequent-flyer
    number when the coupon has one, else, or when the roster entry has none, by name)."""
    same_name = or_(Traveller.name == Segment.traveller_name, Traveller.name_en == Segment.traveller_name)
    return exists().where(
        Traveller.company_id == Segment.company_id,
        Traveller.deleted_at.is_(None),
        or_(
            and_(Segment.ff_number.is_not(None), Traveller.ff_number == Segment.ff_number),
            and_(or_(Segment.ff_number.is_(None), Traveller.ff_number.is_(None)), same_name),
        ),
    )


def roster_shares(month: date, company_ids: list[int] | None = None) -> dict[int, tuple[int, int]]:
    """Per company: (segments flown by people off the roster, all segments) in a month."""
    off = func.sum(case((_on_roster(), 0), else_=1))
    stmt = (
        select(Segment.company_id, off, func.count())
        .where(
            Segment.company_id.is_not(None),
            Segment.flight_date >= month,
            Segment.flight_date < next_month(month),
        )
        .group_by(Segment.company_id)
    )
    if company_ids is not None:
        stmt = stmt.where(Segment.company_id.in_(company_ids))
    return {cid: (int(o or 0), int(n)) for cid, o, n in db.session.execute(stmt)}


def roster_level(off: int, total: int) -> str | None:
    """ "flagged" above ROSTER_FLAG_PERCENT, "warning" above ROSTER_WARNING_PERCENT, else None."""
    if total <= 0:
        return None
    if off * 100 > total * ROSTER_FLAG_PERCENT:
        return "flagged"
    if off * 100 > total * ROSTER_WARNING_PERCENT:
        return "warning"
    return None


def raise_roster_alerts(today: date, now: datetime | None = None) -> dict:
    """Rate the last whole month's roster compliance: an alert per company above the warning
    share (kept current if segments arrive late), closed below it; earlier months' alerts close;
    a company above the flag share is told to its branch heads once."""
    month = months_before(first_of_month(today), 1)
    episode = month.strftime("%Y-%m")
    shares = roster_shares(month)
    existing = {
        a.company_id: a
        for a in db.session.scalars(select(Alert).where(Alert.kind == "roster", Alert.episode == episode))
    }
    opened = flagged = 0
    now = now or utcnow()
    for company_id, (off, total) in shares.items():
        level = roster_level(off, total)
        alert = existing.get(company_id)
        if level is None:
            if alert is not None and alert.closed_on is None:
                alert.closed_on = today
            continue
        reason = {"rules": ["roster_share"], "month": episode, "off": off, "total": total}
        if alert is None:
            alert = Alert(
                company_id=company_id, kind="roster", episode=episode, opened_on=today, reason=reason
            )
            db.session.add(alert)
            opened += 1
        alert.reason, alert.level, alert.closed_on = reason, level, None
        if level == "flagged" and alert.flagged_at is None:
            alert.flagged_at = now
            flagged += _flag(company_id, off, total, episode, now)
    for alert in db.session.scalars(
        select(Alert).where(Alert.kind == "roster", Alert.episode < episode, Alert.closed_on.is_(None))
    ):
        alert.closed_on = today
    db.session.flush()
    return {"roster_opened": opened, "roster_flagged": flagged}


def _flag(company_id: int, off: int, total: int, episode: str, now: datetime) -> int:
    company = db.session.get(Company, company_id)
    with force_locale("zh"):
        message = _(
            "%(company)s: %(off)s of %(total)s segments in %(month)s were flown by people not on its "
            "traveller roster.",
            company=company.name_zh,
            off=off,
            total=total,
            month=episode,
        )
    heads = branch_heads(company.office.branch_id)
    for head in heads:
        db.session.add(
            Notification(
                user_id=head.id,
                kind="roster_flagged",
                message=message,
                link=f"/companies/{company_id}",
                created_at=now,
            )
        )
    return len(heads)


def run_early_warnings(today: date, now: datetime | None = None) -> dict:
    """The daily job's work: churn episodes and the last month's roster compliance."""
    return {**raise_churn_alerts(today, now), **raise_roster_alerts(today, now)}
