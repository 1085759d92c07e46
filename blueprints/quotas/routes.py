"""An agreement's quotas: utilisation, create, edit, delete-if-unused, copy a month; a quota's
requests and waitlist. Staff who see the company read; those who may change it change."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload

from blueprints.quotas import bp
from blueprints.quotas.forms import ActionForm, CopyMonthForm, QuotaForm
from portal.agreements.models import Agreement
from portal.auth.policy import STAFF, allow, refuse
from portal.auth.roles import CHANGERS
from portal.companies.access import may_change, sees_in_full
from portal.companies.models import Company
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.org.models import SalesOffice
from portal.quotas import operations, queries
from portal.quotas.models import Quota
from portal.timeutil import local_today
from portal.web.query import PAGE, arg, month_param, paginate, reads
from portal.web.saving import save_valid


def _agreement_options():
    return (
        joinedload(Agreement.company).joinedload(Company.office).joinedload(SalesOffice.branch),
        joinedload(Agreement.company).joinedload(Company.manager),
    )


def _check(company: Company, change: bool) -> None:
    if not sees_in_full(current_user, company):
        refuse("quota outside the user's scope", company_id=company.id)
    if change and not may_change(current_user, company):
        refuse("may not change the company's quotas", company_id=company.id)


def _load_agreement(agreement_id: int, *, change: bool = False) -> Agreement:
    """The agreement (404 if unknown), refused unless the user sees its company in full."""
    agreement = db.session.scalar(
        select(Agreement).where(Agreement.id == agreement_id).options(*_agreement_options())
    )
    if agreement is None:
        abort(404)
    _check(agreement.company, change)
    return agreement


def _load_quota(quota_id: int, *, change: bool = False) -> Quota:
    """The quota with its agreement and company (404 if unknown), with the same checks."""
    quota = db.session.scalar(
        select(Quota)
        .where(Quota.id == quota_id)
        .options(
            joinedload(Quota.agreement)
            .joinedload(Agreement.company)
            .joinedload(Company.office)
            .joinedload(SalesOffice.branch),
            joinedload(Quota.agreement).joinedload(Agreement.company).joinedload(Company.manager),
        )
    )
    if quota is None:
        abort(404)
    _check(quota.agreement.company, change)
    return quota


def _to_agreement(agreement_id: int, month=None):
    return redirect(url_for(".agreement", agreement_id=agreement_id, month=month))


@bp.route("/agreement/<int:agreement_id>")
@allow(*STAFF)
@reads(month_param("month"))
def agreement(agreement_id: int):
    agreement = _load_agreement(agreement_id)
    today = local_today()
    months = queries.agreement_months(agreement.id)
    month = arg("month")
    uses = queries.agreement_quotas(agreement.id, today=today, month=month)
    copy_form = CopyMonthForm(formdata=None)
    copy_form.month.choices = [(queries.month_text(m), queries.month_text(m)) for m in months]
    this_month = today.replace(day=1)
    if months:
        copy_form.month.data = queries.month_text(this_month if this_month in months else months[-1])
    return render_template(
        "quotas/agreement.html",
        agreement=agreement,
        company=agreement.company,
        uses=uses,
        months=months,
        month=month,
        month_text=queries.month_text,
        copy_form=copy_form,
        action_form=ActionForm(formdata=None),
        can_change=may_change(current_user, agreement.company)
        and agreement.status in operations.QUOTA_EDITABLE_STATUSES,
        today=today,
        nearly_full=sum(u.nearly_full for u in uses),
        unused=sum(u.unused for u in uses),
    )


@bp.route("/agreement/<int:agreement_id>/new", methods=["GET", "POST"])
@allow(*CHANGERS)
@reads(month_param("month"))
def new(agreement_id: int):
    agreement = _load_agreement(agreement_id, change=True)
    form = QuotaForm()
    if request.method == "GET":
        form.cabin.data = "Y"
        month = arg("month")
        if month is None:
            month = max(local_today().replace(day=1), agreement.valid_from.replace(day=1))
        form.month.data = queries.month_text(month)
    saved = save_valid(
        form,
        lambda: operations.create_quota(current_user, agreement, form.fields()),
        lambda quota: _(
            "The quota %(route)s %(cabin)s for %(month)s is saved.",
            route=f"{quota.origin}–{quota.destination}",
            cabin=label(quota.cabin, "cabin"),
            month=queries.month_text(quota.month),
        ),
        refused_for=agreement.company_id,
        clash=_("This agreement has a quota for this route, cabin and month already."),
    )
    if saved:
        return _to_agreement(agreement_id, queries.month_text(saved.value.month))
    return render_template("quotas/form.html", form=form, agreement=agreement, quota=None)


@bp.route("/<int:quota_id>")
@allow(*STAFF)
@reads(PAGE)
def detail(quota_id: int):
    quota = _load_quota(quota_id)
    page = paginate(queries.quota_requests(quota.id))
    use = queries.agreement_quotas(quota.agreement_id, today=local_today(), month=quota.month)
    use = next((u for u in use if u.quota.id == quota.id), None)
    return render_template(
        "quotas/detail.html",
        quota=quota,
        agreement=quota.agreement,
        company=quota.agreement.company,
        use=use,
        page=page,
        positions=queries.waitlist_positions([quota.id], utcnow()),
        month_text=queries.month_text,
        action_form=ActionForm(formdata=None),
        can_change=may_change(current_user, quota.agreement.company)
        and quota.agreement.status in operations.QUOTA_EDITABLE_STATUSES,
        has_requests=operations.has_requests(quota.id),
    )


@bp.route("/<int:quota_id>/edit", methods=["GET", "POST"])
@allow(*CHANGERS)
def edit(quota_id: int):
    quota = _load_quota(quota_id, change=True)
    form = QuotaForm()
    if request.method == "GET":
        form.fill(quota)
    saved = save_valid(
        form,
        lambda: operations.update_quota(current_user, quota, form.fields()),
        _("The quota is saved."),
        refused_for=quota.agreement.company_id,
        clash=_("Someone else changed this quota meanwhile; please check and save again."),
    )
    if saved:
        if promoted := saved.value:
            flash(
                _("%(n)s waitlisted requests are now confirmed; their bookers are told.", n=len(promoted)),
                "info",
            )
        return redirect(url_for(".detail", quota_id=quota_id))
    return render_template(
        "quotas/form.html",
        form=form,
        agreement=quota.agreement,
        quota=quota,
        has_requests=operations.has_requests(quota.id),
    )


@bp.route("/<int:quota_id>/delete", methods=["POST"])
@allow(*CHANGERS)
def delete(quota_id: int):
    quota = _load_quota(quota_id, change=True)
    if not ActionForm().validate_on_submit():
        abort(400)
    agreement_id, month = quota.agreement_id, queries.month_text(quota.month)
    try:
        operations.delete_quota(current_user, quota)
        db.session.commit()
    except NotAllowed as e:
        refuse(str(e), company_id=quota.agreement.company_id)
    except ValidationFailed as e:
        db.session.rollback()
        flash(str(e), "danger")
        return redirect(url_for(".detail", quota_id=quota_id))
    except IntegrityError:
        db.session.rollback()
        flash(_("A request was made under this quota meanwhile: it cannot be deleted."), "danger")
        return redirect(url_for(".detail", quota_id=quota_id))
    flash(_("The quota is deleted."), "success")
    return _to_agreement(agreement_id, month)


@bp.route("/agreement/<int:agreement_id>/copy", methods=["POST"])
@allow(*CHANGERS)
def copy(agreement_id: int):
    agreement = _load_agreement(agreement_id, change=True)
    form = CopyMonthForm()
    form.month.choices = [
        (queries.month_text(m), queries.month_text(m)) for m in queries.agreement_months(agreement.id)
    ]
    if not form.validate_on_submit():
        flash(_("Choose a month that has quotas."), "danger")
        return _to_agreement(agreement_id)
    month = queries.parse_month(form.month.data)
    try:
        result = operations.copy_month(current_user, agreement, month)
        db.session.commit()
    except NotAllowed as e:
        refuse(str(e), company_id=agreement.company_id)
    except ValidationFailed as e:
        db.session.rollback()
        flash(str(e), "danger")
        return _to_agreement(agreement_id, form.month.data)
    except IntegrityError:
        db.session.rollback()
        flash(_("Someone copied these quotas at the same moment; nothing was changed. Try again."), "danger")
        return _to_agreement(agreement_id, form.month.data)
    target = queries.month_text(result.target)
    if result.created:
        flash(
            _(
                "%(created)s quotas copied to %(month)s; %(skipped)s were there already.",
                created=result.created,
                month=target,
                skipped=result.skipped,
            ),
            "success",
        )
    else:
        flash(_("%(month)s has all these quotas already; nothing was copied.", month=target), "info")
    return _to_agreement(agreement_id, target)
