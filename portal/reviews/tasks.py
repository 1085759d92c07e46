"""Producing queued review PDFs: the task that renders the queue within the render limits, and
the runs the CLI's batch and tests call. Each step is its own short transaction, committed
here; none is open while WeasyPrint lays the PDF out (DESIGN §8)."""

import logging
import time
from collections.abc import Callable
from datetime import date

from portal import files
from portal.extensions import db
from portal.reviews import generation
from portal.reviews.admission import claim, waiting
from portal.reviews.models import Review
from portal.reviews.periods import parse
from portal.tasks.runs import RunContext, task

log = logging.getLogger(__name__)

WAIT_FOR_SLOT = 1.0  # seconds the batch waits when every render slot is taken


def claim_committed(review_id: int | None = None) -> int | None:
    """`claim` in a transaction of its own (so other workers see the review running)."""
    claimed = claim(review_id)
    db.session.commit()
    return claimed


def run_review(review_id: int, *, today: date | None = None) -> bool:
    """Produce the PDF of a queued review if a render slot is free; True when it is done.

    Claims the row (queued -> running) with a conditional update, so two workers never
    produce the same review.
    """
    if claim_committed(review_id) is None:
        return False
    return render_review(review_id, today=today)


def render_review(review_id: int, *, today: date | None = None) -> bool:
    """Produce the PDF of a claimed (running) review, recording progress and the outcome;
    True when it is done."""
    stored_name = None
    try:
        review = db.session.get(Review, review_id)
        context = generation.review_context(
            review.kind,
            parse(review.period),
            company_id=review.company_id,
            branch_id=review.branch_id,
            today=today,
            include_subsidiaries=review.include_subsidiaries,
            author_id=review.author_id,
        )
        db.session.commit()  # ends the read transaction before the render
        generation.record_progress(review_id, progress=50)
        db.session.commit()
        stored_name = files.new_stored_name("pdf")
        result = generation.render_context(context, files.documents_dir() / stored_name)
        generation.record_done(review_id, stored_name, result.size_bytes)
        db.session.commit()
        return True
    except Exception as e:  # recorded on the row: the list shows the review as failed
        db.session.rollback()
        log.exception("review %s failed", review_id)
        if stored_name:
            files.remove_stored(stored_name)
        generation.record_failure(review_id, e)
        db.session.commit()
        return False


def drain() -> int:
    """Render queued reviews, next in order first, while a render slot is free; the number
    rendered. A review that finds no free slot waits for the drain of a render that ends."""
    rendered = 0
    while (review_id := claim_committed()) is not None:
        render_review(review_id)
        rendered += 1
    return rendered


def run_queued(limit: int | None = None, *, progress: Callable[[], None] | None = None) -> dict:
    """Produce queued reviews in order, each in its own transactions, within the machine-wide
    render limit: while every slot is taken it waits; it ends when none is queued. `progress`
    is called after each review."""
    done = failed = 0
    while limit is None or done + failed < limit:
        review_id = claim_committed()
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


@task("reviews.render")
def render_queue(ctx: RunContext) -> dict:
    """Render queued reviews while a render slot is free (each claimed row by row, so two
    workers never render the same review; a review waiting for a slot is taken by the drain of
    the task whose render ends)."""
    return {"rendered": drain()}
