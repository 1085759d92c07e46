"""User accounts: list, create, edit, enable and disable."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blueprints.admin import bp
from blueprints.admin.forms import NewUserForm, ToggleForm, UserForm
from portal.auth import operations
from portal.auth.models import ROLES, User
from portal.auth.policy import allow
from portal.auth.queries import user_list
from portal.companies.models import Company
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.org import handover
from portal.org.models import SalesOffice
from portal.org.operations import open_offices_query
from portal.stations.models import Station
from portal.web.query import PAGE, arg, paginate, reads, text_param
from portal.web.saving import save_valid


def _offices(current_office_id: int | None = None):
    """Open offices to choose from (and the user's own, should it have closed since)."""
    offices = db.session.scalars(open_offices_query()).all()
    if current_office_id and all(o.id != current_office_id for o in offices):
        current = db.session.get(SalesOffice, current_office_id, options=[joinedload(SalesOffice.branch)])
        offices = [current, *offices]
    return offices


def _stations():
    return db.session.scalars(select(Station).order_by(Station.code)).all()


def company_id_of(form) -> int | None:
    """The company named by the credit code field, or None; unknown codes become a form error."""
    code = (form.company_code.data or "").strip().upper()
    if not code:
        return None
    company_id = db.session.scalar(select(Company.id).where(Company.credit_code == code))
    if company_id is None:
        raise ValidationFailed({"company_code": [_("No company has this credit code.")]})
    return company_id


def _account_fields(form) -> dict:
    """What the new-account and the account forms both set."""
    return {
        "name": form.name.data,
        "role": form.role.data,
        "office_id": form.office_id.data or None,
        "company_id": company_id_of(form),
        "phone": form.phone.data,
        "title": form.title.data,
        "station_id": form.station_id.data or None,
    }


@bp.route("/users")
@allow("admin")
@reads(text_param("q", maximum=100), text_param("role", choices=ROLES), PAGE)
def users():
    q, role = arg("q"), arg("role")
    page = paginate(user_list(q, role))
    return render_template("admin/users.html", page=page, q=q, role=role, roles=ROLES, toggle=ToggleForm())


@bp.route("/users/new", methods=["GET", "POST"])
@allow("admin")
def new_user():
    form = NewUserForm(_offices(), stations=_stations())

    if save_valid(
        form,
        lambda: operations.create_user(
            current_user, email=form.email.data, password=form.password.data, **_account_fields(form)
        ),
        _("The account has been created."),
    ):
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=None)


@bp.route("/users/<int:user_id>", methods=["GET", "POST"])
@allow("admin")
def edit_user(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = UserForm(_offices(user.office_id), obj=user, stations=_stations())
    if request.method == "GET":
        form.office_id.data = user.office_id or 0
        form.station_id.data = user.station_id or 0
        form.company_code.data = user.company.credit_code if user.company else ""

    if save_valid(
        form,
        lambda: operations.update_user(current_user, user, **_account_fields(form)),
        _("The account has been saved."),
    ):
        return redirect(url_for(".users"))
    return render_template("admin/user_form.html", form=form, user=user)


@bp.route("/users/<int:user_id>/enabled", methods=["POST"])
@allow("admin")
def set_enabled(user_id: int):
    user = db.session.get(User, user_id) or abort(404)
    form = ToggleForm()
    if not form.validate_on_submit():
        abort(400)
    enable = request.form.get("enable") == "1"
    try:
        if enable:
            operations.set_enabled(current_user, user, True)
        else:
            handover.disable_account(current_user, user)
    except ValidationFailed as e:
        db.session.rollback()
        flash(str(e), "danger")
        if not enable and user.id != current_user.id:
            return redirect(url_for(".leave", user_id=user.id))
    else:
        db.session.commit()
        flash(
            _("The account is enabled.")
            if enable
            else _("The account is disabled; its sessions have ended."),
            "success",
        )
    return redirect(url_for(".users"))
