"""A booker's priority requests: the list with statuses and waitlist places, a new request,
and cancelling one."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.selfservice import bp
from blueprints.selfservice.common import own_company, own_row, own_travellers
from blueprints.selfservice.forms import CancelForm, RequestForm
from portal.auth.policy import allow, refuse
from portal.companies.models import Traveller
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.quotas import operations, queries
from portal.quotas.models import REQUEST_STATUSES, PriorityRequest
from portal.selfservice import operations as selfservice
from portal.timeutil import local_today
from portal.web.query import PAGE, arg, paginate, reads, text_param

REQUEST_FORM_FIELDS = ("flight_number", "flight_date", "origin", "destination", "cabin", "departure_time")


@bp.route("/requests")
@allow("booker")
@reads(text_param("status", choices=REQUEST_STATUSES), PAGE)
def requests():
    company = own_company()
    status = arg("status")
    page = paginate(queries.company_requests(company.id, status=status or None))
    now = utcnow()
    positions = queries.waitlist_positions([r.quota_id for r in page.items if r.status == "waitlisted"], now)
    return render_template(
        "selfservice/requests.html",
        company=company,
        page=page,
        status=status,
        statuses=REQUEST_STATUSES,
        positions=positions,
        cancel_form=CancelForm(formdata=None),
        now=now,
    )


@bp.route("/requests/new", methods=["GET", "POST"])
@allow("booker")
@reads(
    text_param("origin", maximum=3), text_param("destination", maximum=3), text_param("cabin", "Y", maximum=3)
)
def new_request():
    company = own_company()
    form = RequestForm(own_travellers(company.id))
    if request.method == "GET":
        _prefill(form)
    if form.validate_on_submit():
        try:
            outcome = _request_seat(form, company)
            db.session.commit()
        except ValidationFailed as e:
            db.session.rollback()  # a new traveller made for this request goes too
            form.populate_errors(_reasons_on_form(form, e.reasons))
        except NotAllowed as e:
            refuse(str(e), company_id=company.id)
        else:
            _flash_outcome(*outcome)
            return redirect(url_for(".requests"))
        company = own_company()
    today = local_today()
    this_month = today.replace(day=1)
    balances = queries.company_balances(company.id, (this_month, queries.next_month(this_month)), today=today)
    return render_template(
        "selfservice/request_form.html",
        form=form,
        company=company,
        balances=balances,
        month_text=queries.month_text,
    )


def _prefill(form: RequestForm) -> None:
    """Route and cabin from the quota dashboard's "Request a seat" links; the first traveller."""
    form.origin.data = arg("origin").upper() or None
    form.destination.data = arg("destination").upper() or None
    cabin = arg("cabin")
    form.cabin.data = cabin if cabin in dict(form.cabin.choices) else "Y"
    if len(form.traveller_id.choices) > 1:
        form.traveller_id.data = form.traveller_id.choices[1][0]


def _request_seat(form: RequestForm, company) -> tuple:
    """Request the seat (for a new traveller made first, if asked); its status, flight and date,
    read before the commit."""
    if form.wants_new_traveller:
        traveller = selfservice.create_traveller(
            current_user, name=form.new_traveller_name.data, ff_number=form.new_traveller_ff.data
        )
    else:
        traveller = own_row(Traveller, int(form.traveller_id.data))
    req = operations.request_seat(
        current_user,
        company,
        traveller=traveller,
        services=form.services.data,
        **{name: form[name].data for name in REQUEST_FORM_FIELDS},
    )
    return req.status, req.flight_number, req.flight_date


def _reasons_on_form(form: RequestForm, reasons: dict) -> dict:
    """The new traveller's problems belong to its fields."""
    reasons = dict(reasons)
    if form.wants_new_traveller:
        for source, target in (("name", "new_traveller_name"), ("ff_number", "new_traveller_ff")):
            if source in reasons:
                reasons[target] = reasons.pop(source)
    return reasons


def _flash_outcome(status: str, flight: str, day) -> None:
    if status == "confirmed":
        flash(_("Confirmed: a seat on %(flight)s on %(date)s is yours.", flight=flight, date=day), "success")
        return
    flash(
        _(
            "No seat is left on this quota: the request for %(flight)s on %(date)s "
            "is waitlisted. You are told here as soon as a seat frees up.",
            flight=flight,
            date=day,
        ),
        "warning",
    )


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@allow("booker")
def cancel_request(request_id: int):
    req = own_row(PriorityRequest, request_id)
    if not CancelForm().validate_on_submit():
        flash(_("The form expired; please try again."), "danger")
        return redirect(url_for(".requests"))
    label_status = label(req.status, "request_status")
    try:
        promoted = operations.cancel_request(current_user, req)
        db.session.commit()
    except ValidationFailed as e:
        db.session.rollback()
        flash(str(e), "danger")
        return redirect(url_for(".requests"))
    except NotAllowed as e:
        refuse(str(e), company_id=current_user.company_id)
    message = _("The request (%(status)s) is cancelled.", status=label_status)
    if promoted:
        message += " " + _("Its seat went to the next request on the waitlist.")
    flash(message, "success")
    return redirect(url_for(".requests"))
