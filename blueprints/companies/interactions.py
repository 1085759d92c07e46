"""Recording interactions (visits, calls, emails, meetings, feedback, complaints) and moving
complaints through their statuses."""

from flask import abort, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.companies import bp
from blueprints.companies.forms import ComplaintStatusForm, InteractionForm
from portal.auth.policy import STAFF, allow
from portal.companies import operations
from portal.companies.models import INTERACTION_KINDS, Interaction
from portal.companies.timeline import is_overdue
from portal.db import utcnow
from portal.labels import label
from portal.web.companies import load_company, load_row
from portal.web.query import arg, reads, text_param
from portal.web.saving import save_valid


@bp.route("/<int:company_id>/interactions/new", methods=["GET", "POST"])
@allow(*STAFF)
@reads(text_param("kind", "visit", choices=INTERACTION_KINDS))
def new_interaction(company_id: int):
    company = load_company(company_id, change=True)
    form = InteractionForm()
    if request.method == "GET":
        form.start(arg("kind"))
    if save_valid(
        form,
        lambda: operations.record_interaction(current_user, company, **form.values()),
        lambda interaction: (
            _("The complaint has been recorded; it stays on the overview until it is resolved.")
            if interaction.kind == "complaint"
            else _("The interaction has been recorded.")
        ),
    ):
        return redirect(url_for(".timeline_page", company_id=company.id))
    return render_template("companies/interaction_form.html", form=form, company=company)


@bp.route("/<int:company_id>/complaints/<int:interaction_id>", methods=["GET", "POST"])
@allow(*STAFF)
def complaint_status(company_id: int, interaction_id: int):
    company = load_company(company_id, change=True)
    complaint = load_row(Interaction, interaction_id, company)
    if complaint.kind != "complaint":
        abort(404)
    form = ComplaintStatusForm()
    if request.method == "GET":
        form.status.data = complaint.complaint_status
    if save_valid(
        form,
        lambda: operations.set_complaint_status(
            current_user, complaint, form.status.data, form.resolution.data
        ),
        lambda result: _(
            "The complaint is now: %(status)s.", status=label(complaint.complaint_status, "complaint_status")
        ),
    ):
        return redirect(url_for(".detail", company_id=company.id, _anchor="overview"))
    return render_template(
        "companies/complaint_form.html",
        form=form,
        company=company,
        complaint=complaint,
        overdue=is_overdue(complaint, utcnow()),
    )
