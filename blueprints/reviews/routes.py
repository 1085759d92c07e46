"""Reviews: list, generate on demand (in the background), download."""

import logging

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import aliased
from werkzeug.exceptions import TooManyRequests

from blueprints.reviews import bp
from blueprints.reviews.forms import GenerateForm
from portal.auth.models import User
from portal.auth.policy import STAFF, allow, refuse
from portal.auth.roles import oversees, sees_every_branch
from portal.companies.access import sees_in_full
from portal.companies.models import Company
from portal.extensions import db
from portal.org.models import Branch
from portal.reviews import generation
from portal.reviews.access import may_generate_portfolio, visible_condition
from portal.reviews.admission import ReviewsBusy, admit_review
from portal.reviews.models import Review
from portal.reviews.periods import last_complete_quarter
from portal.reviews.queries import batch_progress
from portal.timeutil import local_today
from portal.web.downloads import send_stored, stored_file

log = logging.getLogger(__name__)

LIST_LIMIT = 200
RETRY_AFTER = 60  # seconds a refused request is told to wait (Retry-After)


def _branch_choices() -> list[tuple[str, str]]:
    if not sees_every_branch(current_user):
        branch = db.session.get(Branch, current_user.branch_id)
        return [(str(branch.id), branch.name_zh)] if branch else []
    branches = db.session.execute(select(Branch.id, Branch.name_zh).order_by(Branch.id)).all()
    return [("", _("All branches"))] + [(str(i), name) for i, name in branches]


def _portfolio_form() -> GenerateForm | None:
    if not oversees(current_user):
        return None
    form = GenerateForm(kind="portfolio", period=review_period_default())
    form.branch_id.choices = _branch_choices()
    return form


@bp.app_template_global("review_period_default")
def review_period_default() -> str:
    """The period a generate form proposes: the last complete quarter."""
    return last_complete_quarter(local_today()).code


@bp.route("/")
@allow(*STAFF)
def index():
    author = aliased(User)
    rows = db.session.execute(
        select(Review, Company.name_zh, Branch.name_zh, author.name)
        .outerjoin(Company, Company.id == Review.company_id)
        .outerjoin(Branch, Branch.id == Review.branch_id)
        .outerjoin(author, author.id == Review.author_id)
        .where(visible_condition(current_user))
        .order_by(Review.created_at.desc(), Review.id.desc())
        .limit(LIST_LIMIT)
    ).all()
    pending = any(r.status in ("queued", "running") for r, *_rest in rows)
    form = _portfolio_form()
    batch = batch_progress(local_today()) if form is not None else None
    return render_template("reviews/index.html", rows=rows, pending=pending, form=form, batch=batch)


def _subject(form: GenerateForm) -> tuple[int | None, int | None]:
    """The (company, branch) the requested review is of, refused outside the user's scope."""
    if form.kind.data == "account":
        company = db.session.get(Company, form.company_id.data or 0)
        if company is None:
            abort(404)
        if not sees_in_full(current_user, company):
            refuse("review of a company not seen in full", company_id=company.id)
        return company.id, None
    branch = form.branch_id.data or ""
    # ASCII digits only: "１２３" is a digit string to Python and an id to int().
    if not (branch == "" or (branch.isascii() and branch.isdigit() and len(branch) < 10)):
        abort(400)
    branch_id = int(branch) if branch else None
    if branch_id is not None and db.session.get(Branch, branch_id) is None:
        abort(404)
    if not may_generate_portfolio(current_user, branch_id):
        refuse("portfolio review not allowed")
    return None, branch_id


@bp.route("/generate", methods=["POST"])
@allow(*STAFF)
def generate():
    """Admit the request (join the same review in flight, refuse beyond the limits with 429, or
    queue it: one commit), then render the queue in the background within the limits."""
    form = GenerateForm()
    if not form.validate_on_submit() or form.kind.data not in ("account", "portfolio"):
        flash(_("The review could not be generated: give a period such as 2026Q3 or 2026."), "danger")
        if form.kind.data == "account" and form.company_id.data:
            return redirect(url_for("companies.reviews", company_id=form.company_id.data))
        return redirect(url_for(".index"))
    company_id, branch_id = _subject(form)
    try:
        admission = admit_review(
            current_user,
            form.kind.data,
            form.period.data,
            company_id=company_id,
            branch_id=branch_id,
            include_subsidiaries=bool(form.include_subsidiaries.data),
        )
    except ReviewsBusy as e:
        db.session.rollback()
        log.info("review request by user %s refused: %s", current_user.id, e)
        raise TooManyRequests(description=str(e), retry_after=RETRY_AFTER) from None
    db.session.commit()
    if admission.joined:
        flash(_("This review is already being generated; this page shows its progress."), "info")
    else:
        generation.start_in_background()
        flash(_("The review is being generated; this page shows its progress."), "info")
    return redirect(url_for(".index", _anchor=f"review-{admission.review_id}"))


@bp.route("/<int:review_id>/download")
@allow(*STAFF)
def download(review_id: int):
    review = db.session.get(Review, review_id)
    if review is None:
        abort(404)
    visible = db.session.scalar(
        select(Review.id).where(Review.id == review_id, visible_condition(current_user))
    )
    if visible is None:
        refuse("review not visible", company_id=review.company_id)
    if review.status != "done" or not review.stored_name:
        abort(404)
    path = stored_file(review.stored_name, f"review {review.id}")
    subject = (
        f"company-{review.company_id}"
        if review.kind == "account"
        else (f"portfolio-branch-{review.branch_id}" if review.branch_id else "portfolio")
    )
    return send_stored(path, "application/pdf", f"review-{subject}-{review.period}.pdf")
