"""A booker's travel history, monthly statement (page, CSV, PDF) and feedback."""

import logging
import shutil
import tempfile
from datetime import date
from pathlib import Path

from flask import Response, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from werkzeug.exceptions import TooManyRequests

from blueprints.selfservice import bp
from blueprints.selfservice.common import own_company
from blueprints.selfservice.forms import FeedbackForm
from portal import pdf
from portal.agreements.models import CABINS
from portal.auth.policy import allow, refuse
from portal.companies.models import Interaction
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.quotas.operations import IATA_CODE
from portal.quotas.queries import month_text
from portal.rendering.slots import SlotsBusy
from portal.selfservice import operations, statement
from portal.timeutil import local_today
from portal.web.query import PAGE, arg, month_param, paginate, reads, rejected, text_param

log = logging.getLogger(__name__)
FEEDBACK_SHOWN = 10
RETRY_AFTER = 10  # seconds a refused statement download is told to wait (Retry-After)


def _code(name: str) -> str | None:
    value = arg(name).strip().upper()
    return value if IATA_CODE.match(value) else None


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
            problems.append(_("A three-letter IATA code, e.g. PEK."))
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
    return Response(
        body,
        mimetype="text/csv",
        headers={
            "Content-Disposition": f'attachment; filename="statement-{month_text(month)}.csv"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/statement.pdf")
@allow("booker")
@reads(month_param("month"))
def statement_pdf():
    """The statement as PDF. The data is read into plain values and the read transaction ends
    before rendering (it may take a second or more): no transaction stays open meanwhile. At
    most STATEMENTS_MAX_PER_COMPANY of a company's statements render at once (then 429)."""
    month, back = _download_or_back()
    if back:
        return back
    company = own_company()
    company_id = company.id  # read before the commit: a refresh would begin another transaction
    data = statement.statement_data(company, month)
    db.session.commit()  # nothing to write: ends the read transaction before the render
    folder = Path(tempfile.mkdtemp(prefix="statement-"))
    try:
        with statement.statement_slot(company_id):
            statement.render_statement_pdf(data, folder / "statement.pdf")
        body = (folder / "statement.pdf").read_bytes()
    except SlotsBusy:
        log.info("statement %s for company %s refused: its render slots are taken", month, company_id)
        busy = _("A statement of your company is being produced right now. Please try again in a moment.")
        raise TooManyRequests(description=busy, retry_after=RETRY_AFTER) from None
    except pdf.RenderError:
        log.exception("statement %s for company %s: PDF render failed", month, current_user.company_id)
        flash(_("The statement could not be produced. Please try again later."), "danger")
        return redirect(url_for(".statement_page", month=month_text(month)))
    finally:
        shutil.rmtree(folder, ignore_errors=True)
    return Response(
        body,
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="statement-{month_text(month)}.pdf"',
            "Cache-Control": "private, no-store",
        },
    )


@bp.route("/feedback", methods=["GET", "POST"])
@allow("booker")
def feedback():
    company = own_company()
    form = FeedbackForm()
    if form.validate_on_submit():
        try:
            operations.send_feedback(current_user, form.summary.data)
            db.session.commit()
        except ValidationFailed as e:
            db.session.rollback()
            form.populate_errors(e.reasons)
        except NotAllowed as e:
            refuse(str(e), company_id=company.id)
        else:
            flash(_("Thank you: your feedback is with your account manager."), "success")
            return redirect(url_for(".feedback"))
        company = own_company()
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
