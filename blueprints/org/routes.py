"""Branches and offices (list, open, rename, close) and moving companies between offices."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.org import bp
from blueprints.org.forms import BranchForm, CloseForm, MoveForm, NamesForm, OfficeForm
from portal.auth.policy import allow
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.org import operations, queries
from portal.org.models import Branch, SalesOffice
from portal.web.query import MAX_ID, arg, int_param, reads


def _answer(form, template: str, **context):
    """The form page; 400 when a submission was refused."""
    status = 400 if request.method == "POST" else 200
    return render_template(template, form=form, **context), status


@bp.route("/")
@allow("admin")
def index():
    return render_template("org/index.html", tree=queries.org_tree(), close=CloseForm())


def _open_unit(form, kind: str, create, done: str):
    """Open a branch or an office from its form (the form's fields are the operation's)."""
    if form.validate_on_submit():
        fields = {f.name: f.data for f in form if f.name != "csrf_token"}
        try:
            unit = create(current_user, **fields)
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            flash(done % {"name": unit.name_zh}, "success")
            return redirect(url_for(".index"))
    return _answer(form, "org/unit_form.html", unit=None, kind=kind)


@bp.route("/branches/new", methods=["GET", "POST"])
@allow("admin")
def new_branch():
    return _open_unit(BranchForm(), "branch", operations.create_branch, _("Branch %(name)s has been opened."))


@bp.route("/offices/new", methods=["GET", "POST"])
@allow("admin")
@reads(int_param("branch_id"))
def new_office():
    branches = db.session.scalars(
        select(Branch).where(Branch.closed_at.is_(None)).order_by(Branch.code)
    ).all()
    form = OfficeForm(branches)
    if request.method == "GET" and arg("branch_id"):
        form.branch_id.data = arg("branch_id")
    return _open_unit(form, "office", operations.create_office, _("Office %(name)s has been opened."))


def _rename(unit, kind: str):
    form = NamesForm(obj=unit)
    if form.validate_on_submit():
        try:
            operations.rename(
                current_user, unit, name_zh=form.name_zh.data, name_en=form.name_en.data, city=form.city.data
            )
        except ValidationFailed as e:
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            flash(_("The names have been saved."), "success")
            return redirect(url_for(".index"))
    return _answer(form, "org/unit_form.html", unit=unit, kind=kind)


@bp.route("/branches/<int:branch_id>", methods=["GET", "POST"])
@allow("admin")
def edit_branch(branch_id: int):
    return _rename(db.session.get(Branch, branch_id) or abort(404), "branch")


@bp.route("/offices/<int:office_id>", methods=["GET", "POST"])
@allow("admin")
def edit_office(office_id: int):
    return _rename(db.session.get(SalesOffice, office_id) or abort(404), "office")


def _close(unit, close, done: str):
    if not CloseForm().validate_on_submit():
        abort(400)
    try:
        close(current_user, unit)
    except ValidationFailed as e:
        db.session.rollback()
        flash(str(e), "danger")
    else:
        db.session.commit()
        flash(done, "success")
    return redirect(url_for(".index"))


@bp.route("/branches/<int:branch_id>/close", methods=["POST"])
@allow("admin")
def close_branch(branch_id: int):
    branch = db.session.get(Branch, branch_id) or abort(404)
    return _close(branch, operations.close_branch, _("Branch %(name)s is closed.", name=branch.name_zh))


@bp.route("/offices/<int:office_id>/close", methods=["POST"])
@allow("admin")
def close_office(office_id: int):
    office = db.session.get(SalesOffice, office_id) or abort(404)
    return _close(office, operations.close_office, _("Office %(name)s is closed.", name=office.name_zh))


def _move_source() -> SalesOffice | None:
    """The office whose companies are listed: the posted one, else the `from` argument."""
    posted = request.form.get("from", type=int) if request.method == "POST" else None
    source_id = posted if posted is not None else arg("from")
    if source_id is not None and not 0 < source_id <= MAX_ID:
        abort(404)
    source = db.session.get(SalesOffice, source_id) if source_id else None
    if source_id and source is None:
        abort(404)
    return source


@bp.route("/move", methods=["GET", "POST"])
@allow("admin")
@reads(int_param("from"))
def move():
    """Choose companies of one office, a target office and (if needed) a new manager."""
    offices = db.session.scalars(operations.open_offices_query()).all()
    source = _move_source()
    form = MoveForm(offices, queries.managers_for_choice())
    companies = queries.office_companies(source.id, operations.MOVE_LIMIT) if source else []
    if form.validate_on_submit():
        try:
            done = operations.move_companies(
                current_user,
                form.company_ids.data,
                form.office_id.data or None,
                manager_id=form.manager_id.data or None,
                note=form.note.data,
            )
        except ValidationFailed as e:
            db.session.rollback()
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            office, n = done.office.name_zh, len(done.companies)
            flash(_("%(n)s companies have moved to %(office)s.", n=n, office=office), "success")
            return redirect(url_for("audit.index", batch=done.batch))
    sources = db.session.scalars(select(SalesOffice).order_by(SalesOffice.code)).all()
    return _answer(
        form,
        "org/move.html",
        source=source,
        sources=sources,
        companies=companies,
        chosen=set(form.company_ids.data or ()),
    )
