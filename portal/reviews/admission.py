"""Admitting review requests and claiming reviews to render, within limits that hold across
every gunicorn worker and process (the state is in the database, not in a process).

- `admit_review` joins a request to the same review already queued or rendering (one render
  for both), refuses it when the user already has REVIEWS_MAX_PER_USER in flight or
  REVIEWS_MAX_WAITING requests by people are in flight machine-wide, or queues it.
- `claim` moves a queued review to running only while fewer than REVIEWS_MAX_RUNNING render
  anywhere; the others wait in order (requests by people first, then the monthly batch).

A Review row is in flight while queued or running, and carries its `in_flight_key` (unique)
meanwhile. Each decision counts rows and then writes, so decisions are serialised by a database
lock: a PostgreSQL transaction-level advisory lock; SQLite's write transactions already run one
at a time (BEGIN IMMEDIATE). The unique key is the last guard against a second row. This module
only decides and flushes; rendering is portal/reviews/tasks.py, which commits each decision.
"""

from dataclasses import dataclass
from datetime import timedelta

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, or_, select, text, update

from portal.auth.models import User
from portal.db import utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.reviews.models import Review
from portal.reviews.periods import parse

IN_FLIGHT = ("queued", "running")
LOCK_KEY = 0x5E71E3  # the advisory lock of review admission (PostgreSQL)
QUEUED_STALE_AFTER = timedelta(hours=2)  # far longer than a batch: a queue nobody works
RUNNING_STALE_AFTER = timedelta(minutes=10)  # a render is killed after 60 s: its process died


class ReviewsBusy(DomainError):
    """The request is refused for now: too many reviews in flight (the message says which)."""


@dataclass(frozen=True)
class Admission:
    """A request's answer: the review that will be made, and whether it was already on its way."""

    review_id: int
    joined: bool


def in_flight_key(
    kind: str,
    period_code: str,
    company_id: int | None,
    branch_id: int | None,
    *,
    subsidiaries_for: int | None = None,
) -> str:
    """What makes two requests the same review: kind, subject and period; a review with the
    subsidiaries is its author's own (only they, management and admins may read it)."""
    key = f"{kind}:{company_id or '-'}:{branch_id or '-'}:{period_code}"
    return key if subsidiaries_for is None else f"{key}:subs:{subsidiaries_for}"


def _serialise() -> None:
    """Hold the admission lock until the transaction ends (PostgreSQL; see the module doc)."""
    if db.session.get_bind().dialect.name == "postgresql":
        db.session.execute(text("SELECT pg_advisory_xact_lock(:k)"), {"k": LOCK_KEY})


def _count(*conditions) -> int:
    return db.session.scalar(select(func.count(Review.id)).where(Review.status.in_(IN_FLIGHT), *conditions))


def admit_review(
    user: User,
    kind: str,
    period: str,
    *,
    company_id: int | None = None,
    branch_id: int | None = None,
    include_subsidiaries: bool = False,
) -> Admission:
    """Join, refuse (ReviewsBusy) or queue a user's request for a review; flushes, the caller
    commits (which starts nothing: see `claim`)."""
    from portal.reviews.generation import queue_review

    period_code = parse(period).code
    include_subsidiaries = include_subsidiaries and kind == "account"
    key = in_flight_key(
        kind, period_code, company_id, branch_id, subsidiaries_for=user.id if include_subsidiaries else None
    )
    _serialise()
    fail_abandoned()
    existing = db.session.scalar(select(Review.id).where(Review.in_flight_key == key))
    if existing is not None:
        return Admission(existing, joined=True)
    config = current_app.config
    per_user = config["REVIEWS_MAX_PER_USER"]
    if _count(Review.author_id == user.id) >= per_user:
        raise ReviewsBusy(
            _(
                "You already have %(n)s reviews being generated. Please wait until one is finished.",
                n=per_user,
            )
        )
    if _count(Review.author_id.is_not(None)) >= config["REVIEWS_MAX_WAITING"]:
        raise ReviewsBusy(
            _("Too many reviews are being generated right now. Please try again in a few minutes.")
        )
    review = queue_review(
        kind,
        period_code,
        company_id=company_id,
        branch_id=branch_id,
        author_id=user.id,
        include_subsidiaries=include_subsidiaries,
    )
    return Admission(review.id, joined=False)


def claim(review_id: int | None = None) -> int | None:
    """Start rendering a queued review (this one, or the next in order) if fewer than
    REVIEWS_MAX_RUNNING render anywhere; flushes (the caller commits at once: the admission
    lock is held until then). The id of the review now running, or None."""
    _serialise()
    fail_abandoned()
    claimed = None
    if _count(Review.status == "running") < current_app.config["REVIEWS_MAX_RUNNING"]:
        if review_id is None:
            review_id = db.session.scalar(
                select(Review.id)
                .where(Review.status == "queued")
                .order_by(Review.author_id.is_(None), Review.id)
                .limit(1)
            )
        if review_id is not None:
            done = db.session.execute(
                update(Review)
                .where(Review.id == review_id, Review.status == "queued")
                .values(status="running", progress=10, started_at=utcnow())
            ).rowcount
            claimed = review_id if done else None
    return claimed


def waiting() -> bool:
    """Whether any review is queued (reads)."""
    return db.session.scalar(select(Review.id).where(Review.status == "queued").limit(1)) is not None


def fail_abandoned(
    queued_after: timedelta = QUEUED_STALE_AFTER, running_after: timedelta = RUNNING_STALE_AFTER
) -> int:
    """Mark reviews left queued or running by a process that died (a restart, a kill) as failed,
    so they neither show in progress forever nor hold a place under the limits. Flushes."""
    now = utcnow()
    return db.session.execute(
        update(Review)
        .where(
            or_(
                (Review.status == "queued") & (Review.created_at < now - queued_after),
                (Review.status == "running")
                & (func.coalesce(Review.started_at, Review.created_at) < now - running_after),
            )
        )
        .values(
            status="failed",
            in_flight_key=None,
            error="interrupted: the generating process ended",
            finished_at=now,
        )
        .execution_options(synchronize_session=False)
    ).rowcount
