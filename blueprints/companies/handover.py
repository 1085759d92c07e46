"""Handing a company over to another account manager (branch heads of its branch, admins)."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.companies import bp
from blueprints.companies.forms import ReassignForm
from portal.auth.policy import allow, refuse
from portal.auth.roles import HEADS
from portal.companies import dossier, operations
from portal.extensions import db
from portal.web.companies import load_company
from portal.web.saving import save_valid


@bp.route("/<int:company_id>/manager", methods=["GET", "POST"])
@allow(*HEADS)
def reassign(company_id: int):
    company = load_company(company_id)
    if not operations.may_reassign(current_user, company):
        refuse("may not reassign the company", company_id=company.id)
    candidates = [
        u
        for u in db.session.scalars(operations.candidates_query(current_user, company))
        if u.id != company.manager_id
    ]
    form = ReassignForm(candidates)
    if save_valid(
        form,
        lambda: operations.reassign_manager(current_user, company, form.manager_id.data, form.note.data),
        lambda result: _("%(name)s now serves the company and has been told.", name=company.manager.name),
    ):
        return redirect(url_for(".detail", company_id=company.id, _anchor="overview"))
    return render_template(
        "companies/reassign.html",
        form=form,
        company=company,
        candidates=candidates,
        history=dossier.manager_history(company.id),
    )
