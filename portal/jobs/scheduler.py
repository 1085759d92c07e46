"""The scheduler process (`flask --app wsgi scheduler run`): APScheduler 3 with an in-memory job
store, one instance per job, late runs coalesced; every run goes through the database lock, so
starting several schedulers still fires each job once (DESIGN §8)."""

import logging

from apscheduler.schedulers.blocking import BlockingScheduler
from flask import Flask

from portal.jobs.registry import available_jobs

log = logging.getLogger(__name__)


def _fire(app: Flask, name: str) -> None:
    from portal.jobs.runner import run_job

    with app.app_context():
        run = run_job(name)
        log.info("scheduled job %s: %s %s", name, run.outcome, run.counts or run.error or "")


# A run missed while the scheduler was down (up to an hour) happens once when it is back, and
# never twice at once in this process (the job lock covers other processes).
JOB_OPTIONS = {"coalesce": True, "max_instances": 1, "misfire_grace_time": 3600}


def build_scheduler(app: Flask) -> BlockingScheduler:
    """A BlockingScheduler in PORTAL_TIMEZONE with every registered job."""
    scheduler = BlockingScheduler(timezone=app.config["PORTAL_TIMEZONE"])
    for job in available_jobs():
        scheduler.add_job(
            _fire,
            job.trigger,
            args=[app, job.name],
            id=job.name,
            name=job.description,
            replace_existing=True,
            **JOB_OPTIONS,
            **job.trigger_args,
        )
    return scheduler
