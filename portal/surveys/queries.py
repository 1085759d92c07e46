"""Survey results for the pages and reviews: NPS (promoters minus detractors, in percent of
the answers), average ratings, comments."""

from dataclasses import dataclass
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal

from sqlalchemy import case, func, select

from portal.extensions import db
from portal.surveys.models import DETRACTOR_MAX, PROMOTER_MIN, RATINGS, SurveyResponse

ONE_PLACE = Decimal("0.1")


def promoter_count():
    """SQL: how many answers are promoters (9-10)."""
    return func.sum(case((SurveyResponse.nps >= PROMOTER_MIN, 1), else_=0))


def detractor_count():
    """SQL: how many answers are detractors (0-6)."""
    return func.sum(case((SurveyResponse.nps <= DETRACTOR_MAX, 1), else_=0))


def nps(promoters: int, detractors: int, answers: int) -> int | None:
    """The net promoter score, -100..100 (None without answers)."""
    if not answers:
        return None
    return round((promoters - detractors) * 100 / answers)


def average(total, count: int) -> Decimal | None:
    """A mean to one decimal (None without answers)."""
    if not count or total is None:
        return None
    return (Decimal(total) / count).quantize(ONE_PLACE, ROUND_HALF_UP)


@dataclass
class SurveySummary:
    """A company's answers over a period."""

    answers: int = 0
    nps: int | None = None
    detractors: int = 0
    ratings: dict | None = None  # rating name -> mean
    last_answered_at: datetime | None = None


def summary_columns(company_id, since):
    """The aggregate columns of a company's answers since a time (one row)."""
    return select(
        func.count(SurveyResponse.id).label("answers"),
        promoter_count().label("promoters"),
        detractor_count().label("detractors"),
        *(func.sum(getattr(SurveyResponse, r)).label(r) for r in RATINGS),
        func.max(SurveyResponse.answered_at).label("last_answered_at"),
    ).where(SurveyResponse.company_id == company_id, SurveyResponse.answered_at >= since)


def summary_from(row) -> SurveySummary:
    """A SurveySummary from a row of `summary_columns`."""
    answers = int(row.answers or 0)
    if not answers:
        return SurveySummary()
    return SurveySummary(
        answers=answers,
        nps=nps(int(row.promoters or 0), int(row.detractors or 0), answers),
        detractors=int(row.detractors or 0),
        ratings={r: average(getattr(row, r), answers) for r in RATINGS},
        last_answered_at=row.last_answered_at,
    )


def company_summary(company_id: int, since: datetime, until: datetime | None = None) -> dict:
    """A company's answers between two times, with its latest comments (the review's section)."""
    stmt = summary_columns(company_id, since)
    comments = select(SurveyResponse.answered_at, SurveyResponse.nps, SurveyResponse.comment).where(
        SurveyResponse.company_id == company_id,
        SurveyResponse.answered_at >= since,
        SurveyResponse.comment.is_not(None),
    )
    if until is not None:
        stmt = stmt.where(SurveyResponse.answered_at < until)
        comments = comments.where(SurveyResponse.answered_at < until)
    summary = summary_from(db.session.execute(stmt).one())
    latest = db.session.execute(
        comments.order_by(SurveyResponse.answered_at.desc(), SurveyResponse.id.desc()).limit(5)
    ).all()
    return {
        "answers": summary.answers,
        "nps": summary.nps,
        "detractors": summary.detractors,
        "ratings": summary.ratings,
        "comments": [{"answered_at": a, "nps": n, "comment": c} for a, n, c in latest],
    }
