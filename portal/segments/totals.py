"""One company's flown segments summed over a range of days: whole months come from the
monthly rollup (SegmentMonth), only the days of partial months at the edges from the segments."""

from datetime import date, timedelta

from sqlalchemy import bindparam, func, select, union_all

from portal.db import read_rows
from portal.extensions import db
from portal.segments.models import Segment, SegmentMonth
from portal.timeutil import whole_months


def _days(start: str, end: str):
    return select(func.sum(Segment.net_revenue_fen).label("revenue"), func.count().label("segments")).where(
        Segment.company_id == bindparam("company_id"),
        Segment.flight_date >= bindparam(start),
        Segment.flight_date <= bindparam(end),
    )


_in_months = select(func.sum(SegmentMonth.revenue_fen), func.sum(SegmentMonth.segments)).where(
    SegmentMonth.company_id == bindparam("company_id"),
    SegmentMonth.month >= bindparam("months_from"),
    SegmentMonth.month < bindparam("months_to"),
)
_summed = union_all(_days("head_from", "head_to"), _in_months, _days("tail_from", "tail_to")).subquery()
# Built once: this statement costs more to put together than to run.
_TOTALS = select(
    func.coalesce(func.sum(_summed.c.revenue), 0), func.coalesce(func.sum(_summed.c.segments), 0)
)


def company_totals(company_id: int, first: date, last: date) -> tuple[int, int]:
    """Net revenue (fen) and segments of the company flown first..last (both included), in one
    query however many segments the company has."""
    months_from, months_to = whole_months(first, last)
    if months_from >= months_to:  # no whole month: every day from the segments
        months_from = months_to = first
        head_to, tail_from = last, last + timedelta(days=1)
    else:
        head_to, tail_from = months_from - timedelta(days=1), months_to
    revenue, segments = read_rows(
        db.session,
        _TOTALS,
        {
            "company_id": company_id,
            "head_from": first,
            "head_to": head_to,
            "months_from": months_from,
            "months_to": months_to,
            "tail_from": tail_from,
            "tail_to": last,
        },
    ).one()
    return int(revenue), int(segments)


def totals_by_company(company_ids: list[int], first: date, last: date) -> dict[int, tuple[int, int]]:
    """Net revenue (fen) and segments flown first..last (both included) per company of
    `company_ids`, in one query; companies that did not fly are left out."""
    if not company_ids or first > last:
        return {}
    months_from, months_to = whole_months(first, last)
    if months_from >= months_to:
        parts = [(first, last)]
        months_from = months_to = first
    else:
        parts = [(first, months_from - timedelta(days=1)), (months_to, last)]
    selects = [
        select(
            Segment.company_id.label("company_id"),
            func.sum(Segment.net_revenue_fen).label("revenue"),
            func.count().label("segments"),
        )
        .where(Segment.company_id.in_(company_ids), Segment.flight_date >= start, Segment.flight_date <= end)
        .group_by(Segment.company_id)
        for start, end in parts
        if start <= end
    ]
    if months_from < months_to:
        selects.append(
            select(
                SegmentMonth.company_id.label("company_id"),
                SegmentMonth.revenue_fen.label("revenue"),
                SegmentMonth.segments.label("segments"),
            ).where(
                SegmentMonth.company_id.in_(company_ids),
                SegmentMonth.month >= months_from,
                SegmentMonth.month < months_to,
            )
        )
    summed = union_all(*selects).subquery()
    rows = db.session.execute(
        select(summed.c.company_id, func.sum(summed.c.revenue), func.sum(summed.c.segments)).group_by(
            summed.c.company_id
        )
    )
    return {company_id: (int(revenue or 0), int(segments or 0)) for company_id, revenue, segments in rows}
