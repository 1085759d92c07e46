"""Producing review PDFs: render one to a path, run a queued Review row (in a task worker or
inline), and the monthly batch of Platinum and Gold account reviews and the portfolio review.

A Review row moves queued -> running -> done (stored_name, size) or failed (error, no file).
Which requests are queued and which queued reviews may start rendering is decided by
portal/reviews/admission.py, within limits that hold across processes; this module renders.
Each step is its own short transaction; none is open while WeasyPrint lays the PDF out
(DESIGN §8). The file is written by portal.pdf to a temporary name and moved into place, so a
crash leaves no half-written PDF and no listed review pointing at one.
"""

import logging
import time
from collections.abc import Callable
from datetime import date, datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update

from portal import files, pdf
from portal.companies.models import Company
from portal.db import utcnow
from portal.extensions import db
from portal.reviews import data as review_data
from portal.reviews.admission import claim, fail_abandoned, in_flight_key, waiting
from portal.reviews.models import Review
from portal.reviews.periods import Period, current_quarter, parse
from portal.scoring.models import ScoreSnapshot
from portal.timeutil import local_today

log = logging.getLogger(__name__)

TEMPLATE_DIR = Path(__file__).resolve().parents[2] / "templates" / "pdf" / "reviews"
RENDER_TIMEOUT = 60.0
BATCH_TIERS = ("platinum", "gold")
WAIT_FOR_SLOT = 1.0  # seconds the batch waits when every render slot is taken


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


def _set(review_id: int, **values) -> None:
    db.session.execute(update(Review).where(Review.id == review_id).values(**values))
    db.session.commit()


def run_review(review_id: int, *, today: date | None = None) -> bool:
    """Produce the PDF of a queued review if a render slot is free; True when it is done.

    Claims the row (queued -> running) with a conditional update, so two workers never
    produce the same review.
    """
    if claim(review_id) is None:
        return False
    return render_review(review_id, today=today)


def render_review(review_id: int, *, today: date | None = None) -> bool:
    """Produce the PDF of a claimed (running) review, recording progress and the outcome;
    True when it is done."""
    stored_name = None
    try:
        review = db.session.get(Review, review_id)
        context = review_context(
            review.kind,
            parse(review.period),
            company_id=review.company_id,
            branch_id=review.branch_id,
            today=today,
            include_subsidiaries=review.include_subsidiaries,
            author_id=review.author_id,
        )
        db.session.commit()  # ends the read transaction before the render
        _set(review_id, progress=50)
        stored_name = files.new_stored_name("pdf")
        result = render_context(context, files.documents_dir() / stored_name)
        _set(
            review_id,
            status="done",
            progress=100,
            stored_name=stored_name,
            size_bytes=result.size_bytes,
            finished_at=utcnow(),
            error=None,
            in_flight_key=None,
        )
        return True
    except Exception as e:  # recorded on the row: the list shows the review as failed
        db.session.rollback()
        log.exception("review %s failed", review_id)
        if stored_name:
            files.remove_stored(stored_name)
        _set(
            review_id,
            status="failed",
            progress=100,
            stored_name=None,
            size_bytes=None,
            error=f"{type(e).__name__}: {str(e)[:500]}",
            finished_at=utcnow(),
            in_flight_key=None,
        )
        return False


def drain() -> int:
    """Render queued reviews, next in order first, while a render slot is free; the number
    rendered. A review that finds no free slot waits for the drain of a render that ends."""
    rendered = 0
    while (review_id := claim()) is not None:
        render_review(review_id)
        rendered += 1
    return rendered


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


def run_queued(limit: int | None = None, *, progress: Callable[[], None] | None = None) -> dict:
    """Produce queued reviews in order, each in its own transactions, within the machine-wide
    render limit: while every slot is taken it waits; it ends when none is queued. `progress`
    is called after each review."""
    done = failed = 0
    while limit is None or done + failed < limit:
        review_id = claim()
        if review_id is None:
            if not waiting():
                break
            db.session.commit()
            time.sleep(WAIT_FOR_SLOT)
            continue
        if render_review(review_id):
            done += 1
        else:
            failed += 1
        if progress:
            progress()
    return {"done": done, "failed": failed}


def generate_monthly_batch(today: date) -> dict:
    """The monthly batch, for a scheduler: queue (one commit), then produce each review."""
    queued = queue_monthly_batch(today)
    db.session.commit()
    counts = run_queued()
    counts["queued"] = len(queued)
    return counts
