"""Producing review PDFs: the data a review prints, rendering it to a path, the steps of a
queued Review row, and queueing the monthly batch of Platinum and Gold account reviews and the
portfolio review.

A Review row moves queued -> running -> done (stored_name, size) or failed (error, no file).
Which requests are queued and which queued reviews may start rendering is decided by
portal/reviews/admission.py, within limits that hold across processes. The steps here flush;
portal/reviews/tasks.py runs them, each in its own short transaction, none open while
WeasyPrint lays the PDF out (DESIGN §8). The file is written by portal.pdf to a temporary name
and moved into place, so a crash leaves no half-written PDF and no listed review pointing at one.
"""

from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from portal import pdf
from portal.companies.models import Company
from portal.db import utcnow
from portal.extensions import db
from portal.reviews import data as review_data
from portal.reviews.admission import fail_abandoned, in_flight_key
from portal.reviews.models import Review
from portal.reviews.periods import Period, current_quarter, parse
from portal.scoring.models import ScoreSnapshot
from portal.timeutil import local_today

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "pdf" / "reviews"
RENDER_TIMEOUT = 60.0
BATCH_TIERS = ("platinum", "gold")


def review_context(
    kind: str,
    period: Period,
    *,
    company_id: int | None = None,
    branch_id: int | None = None,
    today: date | None = None,
    include_subsidiaries: bool = False,
    author_id: int | None = None,
) -> dict:
    """The plain data a review prints (reads only)."""
    today = today or local_today()
    if kind == "account":
        return review_data.account_data(
            company_id, period, today=today, include_subsidiaries=include_subsidiaries, author_id=author_id
        )
    return review_data.portfolio_data(period, branch_id=branch_id, today=today)


def render_context(context: dict, out_path, *, timeout: float = RENDER_TIMEOUT) -> pdf.RenderResult:
    """Render a review context to `out_path` (no database work: call with no transaction open)."""
    template = "account.html" if context["kind"] == "account" else "portfolio.html"
    return pdf.render_pdf(TEMPLATE_DIR, template, context, out_path, timeout=timeout)


def record_progress(review_id: int, **values) -> None:
    """Write a review's progress or outcome; flushes."""
    db.session.execute(update(Review).where(Review.id == review_id).values(**values))


def record_done(review_id: int, stored_name: str, size_bytes: int) -> None:
    """Note a review's PDF is ready; flushes."""
    record_progress(
        review_id,
        status="done",
        progress=100,
        stored_name=stored_name,
        size_bytes=size_bytes,
        finished_at=utcnow(),
        error=None,
        in_flight_key=None,
    )


def record_failure(review_id: int, error: Exception) -> None:
    """Note a review failed (the list shows it so); flushes."""
    record_progress(
        review_id,
        status="failed",
        progress=100,
        stored_name=None,
        size_bytes=None,
        error=f"{type(error).__name__}: {str(error)[:500]}",
        finished_at=utcnow(),
        in_flight_key=None,
    )


def start_in_background() -> None:
    """Render the committed queue in a task worker, within the limits (the task drains it)."""
    from portal.tasks import runs

    runs.submit("reviews.render")


def queue_review(
    kind: str,
    period: str,
    *,
    company_id: int | None = None,
    branch_id: int | None = None,
    author_id: int | None = None,
    include_subsidiaries: bool = False,
) -> Review:
    """Add a queued review row (flushes; the caller commits). Requests by people go through
    portal/reviews/admission.py, which joins or refuses them first."""
    code = parse(period).code
    include_subsidiaries = include_subsidiaries and kind == "account"
    review = Review(
        kind=kind,
        period=code,
        include_subsidiaries=include_subsidiaries,
        company_id=company_id,
        branch_id=branch_id,
        author_id=author_id,
        status="queued",
        progress=0,
        in_flight_key=in_flight_key(
            kind, code, company_id, branch_id, subsidiaries_for=author_id if include_subsidiaries else None
        ),
    )
    db.session.add(review)
    db.session.flush()
    return review


# --- the monthly batch ------------------------------------------------------------------------


def batch_period(today: date) -> Period:
    """The quarter the monthly batch reviews: the one holding the last complete month."""
    return current_quarter(date(today.year, today.month, 1) - timedelta(days=1))


def queue_monthly_batch(today: date) -> list[int]:
    """Queue this month's account reviews of Platinum and Gold accounts (their latest tier)
    and the portfolio review, skipping any already queued or produced this month (idempotent).
    Flushes; the caller commits. Returns the ids of the rows queued."""
    period = batch_period(today)
    fail_abandoned()
    month_start = date(today.year, today.month, 1)
    latest = db.session.scalar(
        select(ScoreSnapshot.score_date).order_by(ScoreSnapshot.score_date.desc()).limit(1)
    )
    company_ids = []
    if latest is not None:
        company_ids = list(
            db.session.scalars(
                select(ScoreSnapshot.company_id)
                .join(Company, Company.id == ScoreSnapshot.company_id)
                .where(
                    ScoreSnapshot.score_date == latest,
                    ScoreSnapshot.tier.in_(BATCH_TIERS),
                    Company.status != "closed",
                )
                .order_by(ScoreSnapshot.rank)
            )
        )
    existing = set(
        db.session.execute(
            select(Review.kind, Review.company_id).where(
                Review.period == period.code,
                Review.branch_id.is_(None),
                Review.author_id.is_(None),
                Review.status != "failed",
                Review.created_at >= datetime.combine(month_start - timedelta(days=1), datetime.min.time()),
            )
        ).all()
    )
    in_flight = set(db.session.scalars(select(Review.in_flight_key).where(Review.in_flight_key.is_not(None))))
    queued = []
    for kind, company_id in [("portfolio", None)] + [("account", c) for c in company_ids]:
        if (kind, company_id) in existing or in_flight_key(kind, period.code, company_id, None) in in_flight:
            continue  # made this month, or being made now (a person's request joins the batch)
        queued.append(queue_review(kind, period.code, company_id=company_id).id)
    return queued
