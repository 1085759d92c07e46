"""The registry of scheduled jobs: what each does and when it fires (Asia/Shanghai time).

A job's `work` runs in one transaction under the job's database lock and is committed by the
runner; `after` (optional) runs once that is committed: it hands the long part (sending mail,
webhook deliveries, rendering reviews) to the task queue (portal/tasks). To add a job, write its
work function and add a `Job` to JOBS with its trigger.
"""

from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime


@dataclass
class JobContext:
    """What a run knows: the local date and the UTC time it runs for; whether the date was given
    (`jobs run NAME --today ...`) rather than read from the clock."""

    today: date
    now: datetime
    today_given: bool = False


@dataclass
class Job:
    """A scheduled job: name, description, APScheduler trigger and the work it does."""

    name: str
    description: str
    trigger: str  # "cron" or "interval"
    trigger_args: dict
    work: Callable[[JobContext], dict]
    after: Callable[[JobContext], dict] | None = None


def _revisits(ctx: JobContext) -> dict:
    from portal.reminders import operations

    counts = operations.generate_revisits(ctx.today)
    counts.update(operations.escalate_overdue(ctx.today))
    return counts


def _agreements(ctx: JobContext) -> dict:
    from portal.agreements.operations import expire_due
    from portal.reminders.operations import agreement_expiry_reminders

    return {"expired": expire_due(ctx.today), "expiry_reminders": agreement_expiry_reminders(ctx.today)}


def _waitlist(ctx: JobContext) -> dict:
    from portal.quotas import jobs

    return {"expired": jobs.expire_waitlisted(ctx.now)}


def _digest(ctx: JobContext) -> dict:
    from portal.reminders.digests import enqueue_digests

    return {"digests": enqueue_digests(ctx.today)}


def _mail_enqueue(ctx: JobContext) -> dict:
    from portal.mail.operations import enqueue_notifications

    return {"notifications": enqueue_notifications(ctx.now)}


def _handed_to_task(name: str) -> dict:
    """Hand the sending to the task queue; the task's counts when it already ran (tests run
    tasks at once), else the id of its run."""
    from portal.extensions import db
    from portal.tasks import runs
    from portal.tasks.models import TaskRun

    run = db.session.get(TaskRun, runs.submit(name))
    db.session.refresh(run)
    return {"task_run": run.id, **(run.result or {})}


def _mail_send(ctx: JobContext) -> dict:
    return _handed_to_task("mail.send")


def _webhooks_due(ctx: JobContext) -> dict:
    from portal.api.models import WebhookDelivery
    from portal.extensions import db

    pending = db.session.scalar(
        db.select(db.func.count())
        .select_from(WebhookDelivery)
        .where(WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None))
    )
    return {"pending": pending}


def _webhooks_send(ctx: JobContext) -> dict:
    return _handed_to_task("webhooks.deliver")


def _reviews_queue(ctx: JobContext) -> dict:
    from portal.reviews.generation import queue_monthly_batch

    return {"queued": len(queue_monthly_batch(ctx.today))}


def _reviews_render(ctx: JobContext) -> dict:
    return _handed_to_task("reviews.render")


def _rescoring(ctx: JobContext) -> dict:
    from portal.scoring.operations import recompute

    return {k: v for k, v in recompute(ctx.today).items() if isinstance(v, int | str | float)}


def _vip_notice(ctx: JobContext) -> dict:
    from portal.stations.notices import build_notices

    return build_notices(ctx.today, ctx.now, today_given=ctx.today_given)


def _vip_notice_mail(ctx: JobContext) -> dict:
    from portal.stations.jobs import mail_pending

    return mail_pending()


def _surveys(ctx: JobContext) -> dict:
    from portal.surveys.operations import send_quarterly

    return {"surveys": send_quarterly(ctx.today, ctx.now)}


def _early_warnings(ctx: JobContext) -> dict:
    from portal.alerts.operations import run_early_warnings

    return run_early_warnings(ctx.today, ctx.now)


JOBS: dict[str, Job] = {
    job.name: job
    for job in (
        Job(
            "revisits",
            "Generate due revisits and escalate overdue ones",
            "cron",
            {"hour": 6, "minute": 0},
            _revisits,
        ),
        Job(
            "agreements",
            "Expire ended agreements; expiry reminders at 90, 60 and 30 days",
            "cron",
            {"hour": 0, "minute": 30},
            _agreements,
        ),
        Job(
            "waitlist",
            "Expire waitlisted priority requests whose flight has left",
            "cron",
            {"minute": 5},
            _waitlist,
        ),
        Job(
            "digest",
            "Queue each manager's daily revisit digest (.ics)",
            "cron",
            {"hour": 7, "minute": 0},
            _digest,
        ),
        Job(
            "mail",
            "Queue notification mails and send the outbox",
            "interval",
            {"minutes": 5},
            _mail_enqueue,
            after=_mail_send,
        ),
        Job(
            "webhooks",
            "Deliver queued webhook events to the API clients' URLs (retried with back-off)",
            "interval",
            {"minutes": 1},
            _webhooks_due,
            after=_webhooks_send,
        ),
        Job(
            "rescoring",
            "Rescore every company (monthly)",
            "cron",
            {"day": 1, "hour": 3, "minute": 0},
            _rescoring,
        ),
        Job(
            "surveys",
            "Mail the quarter's satisfaction survey to the contacts of active companies (once a quarter)",
            "cron",
            {"hour": 9, "minute": 0},
            _surveys,
        ),
        Job(
            "early_warnings",
            "Churn early warnings and the last month's roster compliance",
            "cron",
            {"hour": 6, "minute": 30},
            _early_warnings,
        ),
        Job(
            "reviews",
            "Monthly account reviews (Platinum, Gold) and the portfolio review",
            "cron",
            {"day": 1, "hour": 5, "minute": 0},  # after the monthly rescoring at 03:00
            _reviews_queue,
            after=_reviews_render,
        ),
        Job(
            "vip_notice",
            "Each station's VIP service notice for tomorrow from 16:00; amendments after it",
            "cron",
            {"minute": "*/10"},  # the 16:00 run builds the notices, later runs the amendments
            _vip_notice,
            after=_vip_notice_mail,
        ),
    )
}


def available_jobs() -> list[Job]:
    """The registered jobs, in registry order."""
    return list(JOBS.values())
