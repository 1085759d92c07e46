"""Reminder pages: thin handlers over portal.reminders and portal.jobs."""

from datetime import timedelta

from flask import abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.companies.forms import InteractionForm
from blueprints.reminders import bp
from blueprints.reminders.forms import RunJobForm, SnoozeForm
from portal.auth.policy import STAFF, allow, refuse
from portal.auth.roles import CHANGERS, OVERSEERS, sees_every_branch
from portal.companies.models import ACTIVITY_STATUSES, TIERS
from portal.extensions import db
from portal.reminders import calls, operations, queries
from portal.reminders.operations import CONTACT_KINDS
from portal.timeutil import local_today
from portal.web.downloads import attachment
from portal.web.prepared import prepare
from portal.web.query import arg, int_param, reads, text_param
from portal.web.saving import save_valid

PERIODS = (30, 90, 180, 365)


@bp.route("/")
@allow(*STAFF)
def index():
    today = local_today()
    groups = queries.grouped_for(current_user, today)
    return render_template("reminders/index.html", groups=groups, today=today)


def _load(reminder_id: int):
    """The reminder (404 if unknown); one the user may not act on is refused, answered 404."""
    reminder = queries.pending_reminder(reminder_id)
    if reminder is None:
        abort(404)
    if not operations.may_act(current_user, reminder):
        refuse("reminder outside the user's scope", company_id=reminder.company_id, hide=True)
    return reminder


@bp.route("/<int:reminder_id>/complete", methods=["GET", "POST"])
@allow(*CHANGERS)
def complete(reminder_id: int):
    reminder = _load(reminder_id)
    form = InteractionForm(kinds=CONTACT_KINDS)
    if request.method == "GET":
        form.start("visit")
    if save_valid(
        form,
        lambda: operations.complete_reminder(current_user, reminder, **form.values()),
        _("Done: the revisit is recorded on the company's timeline."),
        refused_for=reminder.company_id,
        hide=True,
    ):
        return redirect(url_for(".index"))
    return render_template("reminders/complete.html", form=form, reminder=reminder)


@bp.route("/<int:reminder_id>/snooze", methods=["GET", "POST"])
@allow(*CHANGERS)
def snooze(reminder_id: int):
    reminder = _load(reminder_id)
    form = SnoozeForm()
    if save_valid(
        form,
        lambda: operations.snooze_reminder(
            current_user, reminder, until=form.until.data, reason=form.reason.data, today=local_today()
        ),
        lambda result: _("The reminder is put off to %(date)s.", date=form.until.data.isoformat()),
        refused_for=reminder.company_id,
        hide=True,
    ):
        return redirect(url_for(".index"))
    return render_template(
        "reminders/snooze.html", form=form, reminder=reminder, max_days=operations.MAX_SNOOZE_DAYS
    )


@bp.route("/branch")
@allow(*OVERSEERS)
@reads(int_param("branch_id"), int_param("days", 90, maximum=max(PERIODS)))
def branch():
    branches = queries.branches()
    if not sees_every_branch(current_user):
        branch_id = current_user.branch_id
        requested = arg("branch_id")
        if requested is not None and requested != branch_id:
            refuse("branch head asked for another branch")
    else:
        branch_id = arg("branch_id") or (branches[0].id if branches else None)
    chosen = next((b for b in branches if b.id == branch_id), None)
    if branch_id is not None and chosen is None:
        abort(404)
    days = arg("days")
    if days not in PERIODS:
        days = 90
    today = local_today()
    start = today - timedelta(days=days)
    rates = queries.branch_rates(chosen.id, start, today, today) if chosen else []
    return render_template(
        "reminders/branch.html",
        branches=branches,
        chosen=chosen,
        rates=rates,
        days=days,
        periods=PERIODS,
        start=start,
        today=today,
    )


CALL_LIST_PARAMS = (
    int_param("office_id"),
    text_param("tier", choices=TIERS, many=True),
    text_param("activity", choices=ACTIVITY_STATUSES, many=True),
)


def _call_list_args():
    offices = queries.offices_for(current_user)
    office_id = arg("office_id")
    office = next((o for o in offices if o.id == office_id), None) if office_id else None
    if office_id and office is None:
        abort(404)
    if office is None and offices:
        office = offices[0]
    tiers, activities = arg("tier"), arg("activity")
    return offices, office, tiers, activities


@bp.route("/calls")
@allow(*OVERSEERS)
@reads(*CALL_LIST_PARAMS)
def call_list():
    offices, office, tiers, activities = _call_list_args()
    rows = queries.call_list(office.id, tiers, activities) if office else []
    return render_template(
        "reminders/calls.html",
        offices=offices,
        office=office,
        rows=rows,
        tiers=tiers,
        activities=activities,
        all_tiers=TIERS,
        all_activities=ACTIVITY_STATUSES,
        today=local_today(),
    )


@bp.route("/calls.pdf")
@allow(*OVERSEERS)
@reads(*CALL_LIST_PARAMS, int_param("run"))
def call_list_pdf():
    """The call list as PDF, rendered by a worker: served when ready, else a page that follows
    the render."""
    _offices, office, tiers, activities = _call_list_args()
    if office is None:
        abort(404)
    today = local_today()
    path, task_args = calls.pdf_file(office, tiers, activities, today)
    outcome = prepare("reminders.call_list", path, task_args, author_id=current_user.id, run_id=arg("run"))
    if outcome.path is not None:
        filename = f"call-list-{office.code}-{today}.pdf"
        return attachment(outcome.path.read_bytes(), "application/pdf", filename)
    if outcome.error is not None:
        current_app.logger.error("call list PDF failed: %s", outcome.error)
        abort(503)
    again = url_for(
        ".call_list_pdf", office_id=office.id, tier=tiers, activity=activities, run=outcome.run_id
    )
    page = render_template(
        "preparing.html",
        heading=f"{_('Courtesy call list')} · {office.name_zh}",
        testid="call-list-preparing",
        again=again,
        back_url=url_for(".call_list", office_id=office.id),
        back_label=_("Back to the call list"),
    )
    return page, 202


@bp.route("/jobs")
@allow("admin")
def jobs():
    from portal.jobs.registry import available_jobs
    from portal.jobs.runner import last_runs, recent_runs

    return render_template(
        "reminders/jobs.html", jobs=available_jobs(), last=last_runs(), runs=recent_runs(), form=RunJobForm()
    )


@bp.route("/jobs/run", methods=["POST"])
@allow("admin")
def run_job():
    """Hand the job to the task queue (a job such as the monthly reviews runs for minutes); its
    run shows in the list below when a worker has done it."""
    from portal.jobs.registry import JOBS
    from portal.tasks import runs

    form = RunJobForm()
    if not form.validate_on_submit() or form.name.data not in JOBS:
        flash(_("Choose a job to run."), "danger")
        return redirect(url_for(".jobs"))
    run = runs.enqueue("jobs.run", author_id=current_user.id, job=form.name.data)
    db.session.commit()
    runs.dispatch(run.id)
    flash(_("Job %(name)s is queued; its run shows below when it is done.", name=form.name.data), "info")
    return redirect(url_for(".jobs"))
