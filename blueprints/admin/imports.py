"""Imports of bookings and companies (upload, report, report CSV) and the company merge page."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.admin import bp
from blueprints.admin.import_forms import ImportForm, MergeForm
from portal.auth.policy import allow
from portal.companies import merge
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.imports.operations import run_import
from portal.imports.reading import FileRefused
from portal.imports.report import write_csv

SHOWN_PROBLEMS = 200  # rows of the report on the page; the CSV has them all


def _problems(batch: ImportBatch) -> list[dict]:
    report = batch.report or {}
    return report.get("rejected", []) if isinstance(report, dict) else list(report)


@bp.route("/imports", methods=["GET", "POST"])
@allow("admin")
def imports():
    form = ImportForm()
    outcome = None
    if form.validate_on_submit():
        upload = form.file.data
        data = upload.read()
        try:
            outcome = run_import(
                form.kind.data,
                data,
                upload.filename or "upload",
                author_id=current_user.id,
                dry_run=form.dry_run.data,
            )
        except FileRefused as e:
            form.file.errors = [*form.file.errors, *e.reasons.get(None, [str(e)])]
        else:
            if not outcome.dry_run:
                flash(
                    _(
                        "%(total)s rows read: %(imported)s imported, %(rejected)s rejected.",
                        total=outcome.rows_total,
                        imported=outcome.rows_imported,
                        rejected=outcome.rows_rejected,
                    ),
                    "success",
                )
                return redirect(url_for(".import_detail", batch_id=outcome.batch_id))
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(30)).all()
    status = 400 if request.method == "POST" and outcome is None else 200
    return (
        render_template(
            "admin/imports.html", form=form, batches=batches, outcome=outcome, shown=SHOWN_PROBLEMS
        ),
        status,
    )


@bp.route("/imports/<int:batch_id>")
@allow("admin")
def import_detail(batch_id: int):
    batch = db.session.get(ImportBatch, batch_id) or abort(404)
    problems = _problems(batch)
    existing = (batch.report or {}).get("existing", 0) if isinstance(batch.report, dict) else 0
    return render_template(
        "admin/import_detail.html",
        batch=batch,
        problems=problems[:SHOWN_PROBLEMS],
        total=len(problems),
        existing=existing,
    )


@bp.route("/imports/<int:batch_id>/report.csv")
@allow("admin")
def import_report(batch_id: int):
    batch = db.session.get(ImportBatch, batch_id) or abort(404)
    body = write_csv(_problems(batch)).encode("utf-8")
    return Response(
        body,
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="import-{batch.id}-report.csv"'},
    )


@bp.route("/companies/merge", methods=["GET", "POST"])
@allow("admin")
def merge_companies():
    form = MergeForm()
    plan = None
    status = 200
    if form.validate_on_submit():
        survivor = merge.find_company(form.survivor.data)
        absorbed = merge.find_company(form.absorbed.data)
        if survivor is None:
            form.survivor.errors = [_("No company has this id or credit code.")]
        if absorbed is None:
            form.absorbed.errors = [_("No company has this id or credit code.")]
        if survivor is not None and absorbed is not None:
            try:
                if form.confirm.data == "1":
                    plan = merge.merge_companies(survivor, absorbed)
                else:
                    plan = merge.plan_merge(survivor, absorbed)
            except ValidationFailed as e:
                db.session.rollback()
                form.populate_errors(e.reasons)
                plan = None
            else:
                if form.confirm.data == "1":
                    db.session.commit()
                    flash(
                        _(
                            "Company %(absorbed)s has been merged into %(survivor)s.",
                            absorbed=absorbed.id,
                            survivor=survivor.id,
                        ),
                        "success",
                    )
                    return redirect(url_for("companies.detail", company_id=survivor.id))
        if plan is None:
            status = 400
    elif request.method == "POST":
        status = 400
    return render_template("admin/merge.html", form=form, plan=plan), status
