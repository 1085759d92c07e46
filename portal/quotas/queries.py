"""Read helpers for the quota pages: utilisation, balances, requests and waitlist positions."""

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from decimal import Decimal

from sqlalchemy import Select, bindparam, func, select
from sqlalchemy.orm import joinedload

from portal.agreements.models import Agreement
from portal.extensions import db
from portal.quotas.models import LIVE_STATUSES, PriorityRequest, Quota
from portal.timeutil import next_month

# The order the waitlist is served in: company tier (0 = platinum first), then request time;
# the id breaks ties between requests made in the same microsecond.
WAITLIST_ORDER = (PriorityRequest.priority, PriorityRequest.requested_at, PriorityRequest.id)
NEARLY_FULL = Decimal("0.9")
MID_MONTH_DAY = 15  # "past mid-month": from the 16th on


def parse_month(text: str | None) -> date | None:
    """'2026-03' -> date(2026, 3, 1); None for anything else."""
    if not text or len(text) != 7 or text[4] != "-":
        return None
    year, month = text[:4], text[5:]
    if not (year.isascii() and year.isdigit() and month.isascii() and month.isdigit()):
        return None
    if not (1 <= int(month) <= 12 and 2000 <= int(year) <= 2999):
        return None
    return date(int(year), int(month), 1)


def month_text(month: date) -> str:
    """date(2026, 3, 1) -> '2026-03'."""
    return f"{month.year:04d}-{month.month:02d}"


def last_day(month: date) -> date:
    """The last day of `month`'s month."""
    return next_month(month) - timedelta(days=1)


@dataclass
class QuotaUse:
    """A quota with its utilisation: confirmed seats, waitlist length and the highlights."""

    quota: Quota
    waitlisted: int
    today: date

    @property
    def confirmed(self) -> int:
        return self.quota.used

    @property
    def left(self) -> int:
        return self.quota.seats - self.quota.used

    @property
    def ratio(self) -> Decimal | None:
        """Confirmed / seats (None for a quota of no seats)."""
        if self.quota.seats <= 0:
            return None
        return Decimal(self.quota.used) / Decimal(self.quota.seats)

    @property
    def percent(self) -> int | None:
        ratio = self.ratio
        return None if ratio is None else int((ratio * 100).to_integral_value())

    @property
    def nearly_full(self) -> bool:
        """At least 90 % of the seats are confirmed."""
        return self.ratio is not None and self.ratio >= NEARLY_FULL

    @property
    def unused(self) -> bool:
        """Nothing confirmed although the month is past its middle (or over)."""
        return self.quota.used == 0 and self.today > self.quota.month.replace(day=MID_MONTH_DAY)


# Each quota's waitlist counted where it stands (an index range per quota), not every
# waitlisted request grouped first.
_WAITLISTED = (
    select(func.count(PriorityRequest.id))
    .where(PriorityRequest.quota_id == Quota.id, PriorityRequest.status == "waitlisted")
    .correlate(Quota)
    .scalar_subquery()
)


def _uses(stmt: Select, today: date, params: dict | None = None) -> list[QuotaUse]:
    """QuotaUses of the (Quota, waitlisted) rows of `stmt`, a select(Quota, _WAITLISTED)."""
    rows = db.session.execute(stmt, params)
    return [QuotaUse(quota, int(n), today) for quota, n in rows]


def agreement_quotas(agreement_id: int, *, today: date, month: date | None = None) -> list[QuotaUse]:
    """The agreement's quotas (of one month, or all) with their utilisation, in one query."""
    stmt = select(Quota, _WAITLISTED).where(Quota.agreement_id == agreement_id)
    if month is not None:
        stmt = stmt.where(Quota.month == month)
    stmt = stmt.order_by(Quota.month, Quota.origin, Quota.destination, Quota.cabin, Quota.id)
    return _uses(stmt, today)


def agreement_months(agreement_id: int) -> list[date]:
    """The months the agreement has quotas for, oldest first."""
    return list(
        db.session.scalars(
            select(Quota.month).where(Quota.agreement_id == agreement_id).distinct().order_by(Quota.month)
        )
    )


# Built once, with bound parameters: the booker's home runs it on every view, and putting it
# together costs more than running it.
_COMPANY_BALANCES = (
    select(Quota, _WAITLISTED)
    .join(Agreement, Agreement.id == Quota.agreement_id)
    .where(
        Agreement.company_id == bindparam("company_id"),
        Agreement.status == "active",
        Quota.month.in_(bindparam("months", expanding=True)),
    )
    .order_by(Quota.month, Quota.origin, Quota.destination, Quota.cabin, Quota.id)
)


def company_balances(company_id: int, months: tuple[date, ...], *, today: date) -> list[QuotaUse]:
    """The quotas of the company's active agreements for `months`: what a booker may request."""
    return _uses(_COMPANY_BALANCES, today, {"company_id": company_id, "months": list(months)})


def live_request_of(traveller_id: int, now: datetime) -> PriorityRequest | None:
    """The traveller's next live request (confirmed or waitlisted) on a flight that has not
    left yet, or None: what keeps a traveller from being removed."""
    return db.session.scalar(
        select(PriorityRequest)
        .where(
            PriorityRequest.traveller_id == traveller_id,
            PriorityRequest.status.in_(LIVE_STATUSES),
            PriorityRequest.departure_at > now,
        )
        .order_by(PriorityRequest.departure_at, PriorityRequest.id)
        .limit(1)
    )


def company_requests(company_id: int, *, status: str | None = None) -> Select:
    """The company's priority requests, newest first, with their travellers."""
    stmt = (
        select(PriorityRequest)
        .where(PriorityRequest.company_id == company_id)
        .options(joinedload(PriorityRequest.traveller))
        .order_by(PriorityRequest.requested_at.desc(), PriorityRequest.id.desc())
    )
    if status:
        stmt = stmt.where(PriorityRequest.status == status)
    return stmt


def quota_requests(quota_id: int) -> Select:
    """A quota's requests: the waitlist in the order it is served, then the others, newest first."""
    return (
        select(PriorityRequest)
        .where(PriorityRequest.quota_id == quota_id)
        .options(joinedload(PriorityRequest.traveller), joinedload(PriorityRequest.requested_by))
        .order_by(
            (PriorityRequest.status != "waitlisted"),
            PriorityRequest.priority,
            PriorityRequest.requested_at.desc(),
            PriorityRequest.id.desc(),
        )
    )


def waitlist_positions(quota_ids, now: datetime) -> dict[int, int]:
    """request id -> place in its quota's waitlist (1 = next to be confirmed), for the live
    waitlisted requests of the given quotas. Requests whose flight has left are not in line
    (they expire at the next run of the expiry job)."""
    quota_ids = list(set(quota_ids))
    if not quota_ids:
        return {}
    place = func.row_number().over(partition_by=PriorityRequest.quota_id, order_by=WAITLIST_ORDER)
    rows = db.session.execute(
        select(PriorityRequest.id, place).where(
            PriorityRequest.quota_id.in_(quota_ids),
            PriorityRequest.status == "waitlisted",
            PriorityRequest.departure_at > now,
        )
    )
    return {request_id: int(position) for request_id, position in rows}
