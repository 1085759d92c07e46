"""Creating a company, editing its profile, moving its lifecycle status, and its group page."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy.orm import joinedload

from blueprints.companies import bp
from blueprints.companies.profile_forms import NewCompanyForm, ProfileForm, StatusForm
from portal.auth.models import User
from portal.auth.policy import STAFF, allow, refuse
from portal.auth.roles import CHANGERS
from portal.companies import groups, lifecycle, profile
from portal.companies.access import has_portfolio
from portal.companies.profile import CreditCodeTaken, SimilarNames
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.timeutil import local_today
from portal.web.companies import load_company

NEW_FIELDS = (*profile.PROFILE_FIELDS, "parent_id", "office_id", "manager_id")
EDIT_FIELDS = (*profile.PROFILE_FIELDS, "parent_id")


def _save(form, fields, save, done: str):
    """On a valid POST run `save(values, confirmed)`, commit once and open the dossier. A
    refusal comes back onto the form with what it found (the company holding the credit code,
    the companies with a similar name). Returns (response or None, found)."""
    found = {"existing": None, "similar": None}
    if not form.validate_on_submit():
        return None, found
    try:
        company = save({f: form[f].data for f in fields}, form.confirmed_ids())
    except CreditCodeTaken as e:
        found["existing"] = e.company
        form.populate_errors(e.reasons)
    except SimilarNames as e:
        found["similar"] = e.companies
        form.confirm.data = ",".join(str(c.id) for c in e.companies)
        form.populate_errors(e.reasons)
    except ValidationFailed as e:
        form.populate_errors(e.reasons)
    else:
        company_id = company.id
        db.session.commit()
        flash(done, "success")
        return redirect(url_for(".detail", company_id=company_id)), found
    return None, found


@bp.route("/new", methods=["GET", "POST"])
@allow(*CHANGERS)
def new():
    """A new company (a prospect) in the actor's scope; saving opens its dossier."""
    if not profile.may_create(current_user):
        refuse("may not create companies")
    offices = db.session.scalars(profile.office_scope(current_user)).all()
    managers = db.session.scalars(profile.manager_scope(current_user).options(joinedload(User.office))).all()
    form = NewCompanyForm(offices, managers, allow_unassigned=not has_portfolio(current_user))
    if request.method == "GET":
        form.office_id.data = str(current_user.office_id or "")
        if has_portfolio(current_user):
            form.manager_id.data = str(current_user.id)
        form.confirm.data = ""
    response, found = _save(
        form,
        NEW_FIELDS,
        lambda values, confirmed: profile.create_company(current_user, values, confirmed=confirmed),
        _("The company has been created as a prospect."),
    )
    if response is not None:
        return response
    return render_template("companies/profile_form.html", form=form, company=None, **found)


@bp.route("/<int:company_id>/edit", methods=["GET", "POST"])
@allow(*STAFF)
def edit(company_id: int):
    """The profile: names, credit code, industry, headcount, city, address and parent."""
    company = load_company(company_id, change=True)
    form = ProfileForm(obj=company)
    if request.method == "GET":
        form.parent_id.data = str(company.parent_id or "")
        form.confirm.data = ""
    response, found = _save(
        form,
        EDIT_FIELDS,
        lambda values, confirmed: profile.update_profile(current_user, company, values, confirmed=confirmed),
        _("The profile has been saved."),
    )
    if response is not None:
        return response
    return render_template("companies/profile_form.html", form=form, company=company, **found)


@bp.route("/<int:company_id>/status", methods=["GET", "POST"])
@allow(*STAFF)
def change_status(company_id: int):
    """Move the company along its lifecycle, with a reason for the timeline."""
    company = load_company(company_id, change=True)
    moves = lifecycle.allowed_moves(company)
    form = StatusForm(moves)
    if form.validate_on_submit():
        try:
            lifecycle.change_status(current_user, company, form.status.data, form.reason.data)
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            flash(_("The company's status has been changed."), "success")
            return redirect(url_for(".timeline_page", company_id=company_id))
    blocking = lifecycle.live_agreements(company.id) if "closed" in moves else []
    return render_template("companies/status_form.html", form=form, company=company, blocking=blocking)


@bp.route("/<int:company_id>/group")
@allow(*STAFF)
def group(company_id: int):
    """The group the company heads: members with tier, score, status and trailing-year figures."""
    company = load_company(company_id)
    above = groups.ancestor_ids(company.id)
    return render_template(
        "companies/group.html",
        company=company,
        group=groups.group(current_user, company, local_today()),
        top_id=above[-1] if above else None,
    )
