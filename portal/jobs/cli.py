"""`flask --app wsgi jobs list|run NAME` and `flask --app wsgi scheduler run`."""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the jobs and scheduler commands."""

    @app.cli.group("jobs")
    def jobs():
        """Scheduled jobs."""

    @jobs.command("list")
    def list_jobs():
        """List the registered jobs, their schedule and last run."""
        from portal.jobs.registry import available_jobs
        from portal.jobs.runner import last_runs

        last = last_runs()
        for job in available_jobs():
            when = ", ".join(f"{k}={v}" for k, v in job.trigger_args.items())
            run = last.get(job.name)
            seen = f"{run.outcome} at {run.started_at:%Y-%m-%d %H:%M} UTC" if run else "never run"
            click.echo(f"{job.name:<12} {job.trigger} {when:<24} {seen:<36} {job.description}")

    @jobs.command("run")
    @click.argument("name")
    @click.option(
        "--today", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="Run as of this date."
    )
    def run(name: str, today):
        """Run one job now (it still takes the database lock)."""
        from portal.jobs.registry import available_jobs
        from portal.jobs.runner import UnknownJob, run_job

        try:
            result = run_job(name, today=today.date() if today else None)
        except UnknownJob:
            names = ", ".join(job.name for job in available_jobs())
            raise click.ClickException(f"No job named {name!r}; the jobs are: {names}") from None
        click.echo(f"{name}: {result.outcome} {result.counts or ''} {result.error or ''}".rstrip())
        if result.outcome == "failed":
            raise SystemExit(1)

    @app.cli.group("scheduler")
    def scheduler():
        """The scheduler process."""

    @scheduler.command("run")
    def run_scheduler():
        """Run the scheduler in this process until stopped (one dedicated process, DESIGN §8)."""
        import signal

        from portal.jobs.scheduler import build_scheduler

        sched = build_scheduler(app)
        for job in sched.get_jobs():
            click.echo(f"scheduled {job.id}: {job.trigger}")
        click.echo(
            f"scheduler running ({app.config['PORTAL_TIMEZONE']}); stop with SIGTERM or Ctrl-C", err=True
        )

        def stop(signum, frame):
            # A running job finishes its transaction or, if the process is killed, rolls back.
            sched.shutdown(wait=False)

        signal.signal(signal.SIGTERM, stop)
        try:
            sched.start()
        except (KeyboardInterrupt, SystemExit):
            pass
        click.echo("scheduler stopped", err=True)
