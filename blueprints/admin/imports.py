"""Imports of bookings and companies (upload, report, report CSV) and the company merge page."""

from flask import Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.admin import bp
from blueprints.admin.import_forms import ImportForm, MergeForm, RetryTaskForm
from portal.auth.policy import allow
from portal.companies import merge
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.imports.models import ImportBatch
from portal.imports.reading import FileRefused
from portal.imports.report import write_csv
from portal.imports.uploads import queue_upload
from portal.tasks import runs
from portal.tasks.models import TaskRun
from portal.tasks.progress import task_progress

SHOWN_PROBLEMS = 200  # rows of the report on the page; the CSV has them all


def _problems(batch: ImportBatch) -> list[dict]:
    report = batch.report or {}
    return report.get("rejected", []) if isinstance(report, dict) else list(report)


@bp.route("/imports", methods=["GET", "POST"])
@allow("admin")
def imports():
    """Upload: the header is checked now, the import runs as a task whose page shows progress."""
    form = ImportForm()
    if form.validate_on_submit():
        upload = form.file.data
        try:
            run = queue_upload(
                form.kind.data,
                upload.read(),
                upload.filename or "upload",
                author_id=current_user.id,
                dry_run=form.dry_run.data,
            )
        except FileRefused as e:
            db.session.rollback()
            form.file.errors = [*form.file.errors, *e.reasons.get(None, [str(e)])]
        else:
            db.session.commit()
            runs.dispatch(run.id)
            return redirect(url_for(".import_task", run_id=run.id))
    batches = db.session.scalars(select(ImportBatch).order_by(ImportBatch.id.desc()).limit(30)).all()
    status = 400 if request.method == "POST" else 200
    return render_template("admin/imports.html", form=form, batches=batches), status


@bp.route("/imports/tasks/<int:run_id>")
@allow("admin")
def import_task(run_id: int):
    """An uploaded import: its progress while it runs (the page reloads itself), then the report
    (a real import's batch page, or a dry run's report here), or the error and a retry button."""
    run = db.session.get(TaskRun, run_id)
    if run is None or run.name != "imports.run":
        abort(404)
    result = run.result or {}
    if run.status == "done" and result.get("batch_id"):
        flash(
            _(
                "%(total)s rows read: %(imported)s imported, %(rejected)s rejected.",
                total=result["rows_total"],
                imported=result["rows_imported"],
                rejected=result["rows_rejected"],
            ),
            "success",
        )
        return redirect(url_for(".import_detail", batch_id=result["batch_id"]))
    return render_template(
        "admin/import_task.html",
        run=run,
        result=result,
        progress=task_progress(run),
        may_retry=runs.may_retry(run),
        retry_form=RetryTaskForm(),
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
