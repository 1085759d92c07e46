"""Task entry point of a scheduled job started by hand ("Run now" on /reminders/jobs)."""

from portal.jobs.runner import run_job
from portal.tasks.runs import RunContext, task


@task("jobs.run", retries=0)
def run_now(ctx: RunContext, *, job: str) -> dict:
    """Run the job once (under its database lock); its JobRun records the outcome and the page
    lists it. Not retried by the queue: the job's next scheduled run is its retry."""
    run = run_job(job)
    return {"job_run_id": run.id, "outcome": run.outcome}
