"""A booker's travel history, monthly statement (page, CSV, PDF) and feedback."""

import logging
from datetime import date

from flask import flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from blueprints.selfservice import bp
from blueprints.selfservice.common import own_company
from blueprints.selfservice.forms import FeedbackForm
from portal.agreements.models import CABINS
from portal.airports import is_iata_code, not_an_iata_code
from portal.auth.policy import allow
from portal.companies.models import Interaction
from portal.extensions import db
from portal.quotas.queries import month_text
from portal.rendering.slots import SlotsBusy
from portal.selfservice import operations, statement
from portal.timeutil import local_today
from portal.web.downloads import attachment
from portal.web.prepared import prepare
from portal.web.query import PAGE, arg, int_param, month_param, paginate, reads, rejected, text_param
from portal.web.saving import save_valid

log = logging.getLogger(__name__)
FEEDBACK_SHOWN = 10
RETRY_AFTER = 10  # seconds a refused statement download is told to wait (Retry-After)


def _code(name: str) -> str | None:
    value = arg(name).strip().upper()
    return value if is_iata_code(value) else None


@bp.route("/history")
@allow("booker")
@reads(
    month_param("month"),
    text_param("origin", maximum=10),
    text_param("destination", maximum=10),
    text_param("cabin", choices=CABINS),
    PAGE,
)
def history():
    company = own_company()
    filters = statement.HistoryFilter(
        month=arg("month"),
        origin=_code("origin"),
        destination=_code("destination"),
        cabin=arg("cabin") or None,
    )
    problems = []
    for name in ("origin", "destination"):
        if arg(name).strip() and getattr(filters, name) is None:
            problems.append(not_an_iata_code())
    page = paginate(statement.history(company.id, filters))
    return render_template(
        "selfservice/history.html",
        company=company,
        page=page,
        filters=filters,
        months=statement.history_months(company.id),
        month_text=month_text,
        cabins=CABINS,
        problems=sorted(set(problems)),
    )


def _statement_month() -> tuple[date, bool]:
    """The month asked for (default: last month, the latest complete one) and whether the one
    asked for was refused (the page has been told why)."""
    month = arg("month") or statement.previous_month(local_today().replace(day=1))
    return month, rejected("month")


@bp.route("/statement")
@allow("booker")
@reads(month_param("month"))
def statement_page():
    company = own_company()
    month, _refused = _statement_month()
    data = statement.statement_data(company, month)
    months = statement.history_months(company.id)
    if month not in months:
        months = sorted([*months, month], reverse=True)
    return render_template(
        "selfservice/statement.html",
        company=company,
        data=data,
        month=month,
        months=months,
        month_text=month_text,
    )


def _download_or_back():
    month, refused = _statement_month()
    if refused:
        return None, redirect(url_for(".statement_page"))
    return month, None


@bp.route("/statement.csv")
@allow("booker")
@reads(month_param("month"))
def statement_csv():
    month, back = _download_or_back()
    if back:
        return back
    data = statement.statement_data(own_company(), month)
    body = statement.statement_csv(data)
    return attachment(body, "text/csv", f"statement-{month_text(month)}.csv")


@bp.route("/statement.pdf")
@allow("booker")
@reads(month_param("month"), int_param("run"))
def statement_pdf():
    """The statement as PDF, rendered by a worker (portal/selfservice/tasks.py): served when it
    is ready, else a page that reloads itself until it is. While the company's render slots are
    all taken, a new render is refused (429)."""
    month, back = _download_or_back()
    if back:
        return back
    company = own_company()
    try:
        path, task_args = statement.pdf_file(company, month)
        outcome = prepare(
            "statements.render",
            path,
            task_args,
            author_id=current_user.id,
            run_id=arg("run"),
            refuse_new=lambda: statement.refuse_when_busy(company.id),
        )
    except SlotsBusy:
        log.info("statement %s for company %s refused: its render slots are taken", month, company.id)
        busy = _("A statement of your company is being produced right now. Please try again in a moment.")
        raise TooManyRequests(description=busy, retry_after=RETRY_AFTER) from None
    if outcome.path is not None:
        return attachment(outcome.path.read_bytes(), "application/pdf", f"statement-{month_text(month)}.pdf")
    if outcome.error is not None:
        log.error("statement %s for company %s: PDF render failed: %s", month, company.id, outcome.error)
        flash(_("The statement could not be produced. Please try again later."), "danger")
        return redirect(url_for(".statement_page", month=month_text(month)))
    again = url_for(".statement_pdf", month=month_text(month), run=outcome.run_id)
    page = render_template(
        "preparing.html",
        heading=_("Statement for %(month)s", month=month_text(month)),
        testid="statement-preparing",
        again=again,
        back_url=url_for(".statement_page", month=month_text(month)),
        back_label=_("Back to the statement"),
    )
    return page, 202


@bp.route("/feedback", methods=["GET", "POST"])
@allow("booker")
def feedback():
    company = own_company()
    form = FeedbackForm()
    if save_valid(
        form,
        lambda: operations.send_feedback(current_user, form.summary.data),
        _("Thank you: your feedback is with your account manager."),
        refused_for=company.id,
    ):
        return redirect(url_for(".feedback"))
    sent = db.session.scalars(
        select(Interaction)
        .where(
            Interaction.company_id == company.id,
            Interaction.kind == "feedback",
            Interaction.author_id == current_user.id,  # staff notes on the company stay staff's
        )
        .order_by(Interaction.occurred_at.desc(), Interaction.id.desc())
        .limit(FEEDBACK_SHOWN)
    ).all()
    return render_template("selfservice/feedback.html", form=form, company=company, sent=sent)
