"""Background tasks: the recent runs, failed ones first to the eye, and their retry button."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _

from blueprints.admin import bp
from blueprints.admin.import_forms import RetryTaskForm
from portal.auth.policy import allow
from portal.extensions import db
from portal.tasks import runs
from portal.tasks.models import TASK_STATUSES, TaskRun
from portal.web.query import arg, reads, text_param


@bp.route("/tasks")
@allow("admin")
@reads(text_param("status", choices=TASK_STATUSES))
def tasks():
    status = arg("status")
    shown = runs.recent(100, status=status or None)
    return render_template(
        "admin/tasks.html",
        runs=shown,
        status=status,
        statuses=TASK_STATUSES,
        retryable={run.id for run in shown if runs.may_retry(run)},
        form=RetryTaskForm(),
    )


@bp.route("/tasks/<int:run_id>/retry", methods=["POST"])
@allow("admin")
def retry_task(run_id: int):
    """Queue a failed run again (one commit), then hand it to the workers."""
    run = db.session.get(TaskRun, run_id) or abort(404)
    form = RetryTaskForm()
    if not form.validate_on_submit():
        abort(400)
    if not runs.retry(run):
        flash(_("Only a failed task can be retried."), "warning")
        return redirect(url_for(".tasks"))
    db.session.commit()
    runs.dispatch(run.id)
    flash(_("Task %(id)s is queued again.", id=run.id), "success")
    if run.name == "imports.run":
        return redirect(url_for(".import_task", run_id=run.id))
    return redirect(url_for(".tasks"))
