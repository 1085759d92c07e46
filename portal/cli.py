"""Command-line interface (DESIGN §6): `flask --app wsgi <command>`."""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the portal's commands to the app's CLI."""

    @app.cli.command("seed")
    @click.option("--companies", default=1200, show_default=True, type=click.IntRange(1, 100_000))
    @click.option("--years", default=2, show_default=True, type=click.IntRange(1, 10))
    @click.option("--seed", "seed_value", default=42, show_default=True, type=int)
    @click.option("--if-empty", is_flag=True, help="Do nothing when the database has companies or users.")
    @click.option("--quiet", is_flag=True, help="No progress bar.")
    @click.option(
        "--allow-demo-in-production",
        is_flag=True,
        help="Seed even with PORTAL_ENV=production (the demo logins' password is published).",
    )
    @click.option(
        "--score-months",
        default=6,
        show_default=True,
        type=click.IntRange(0, 24),
        help="Score the last N month-ends after seeding, so rankings have history (0: none).",
    )
    def seed(
        companies: int,
        years: int,
        seed_value: int,
        if_empty: bool,
        quiet: bool,
        allow_demo_in_production: bool,
        score_months: int,
    ):
        """Build the deterministic demo world, score it, and print the demo logins."""
        if app.config["PORTAL_ENV"] == "production" and not allow_demo_in_production:
            raise click.ClickException(
                "PORTAL_ENV is production: the demo seed makes accounts whose password is published"
                " (DEMO_PASSWORD), so it does not run. Pass --allow-demo-in-production to seed anyway."
            )
        from portal.audit.trail import acting_as
        from portal.demo import seed as demo
        from portal.extensions import db
        from portal.scoring.operations import backfill
        from portal.timeutil import local_today

        if if_empty and not demo.database_is_empty():
            click.echo("The database already has companies or users; seed skipped.")
            demo.print_logins(app.config["DEMO_PASSWORD"])
            return
        if not demo.database_is_empty():
            raise click.ClickException("The database already has data; seed an empty database.")
        summary = demo.seed_world(companies=companies, years=years, seed=seed_value, progress=not quiet)
        for key, value in summary.items():
            click.echo(f"{key}: {value}")
        if score_months:
            with acting_as("system:scoring"):
                scored = backfill(local_today(), score_months)
            db.session.commit()
            click.echo(f"scored {len(scored)} month-ends, the last {scored[-1][0].isoformat()}")
            # With a score history the rank and sleeping rules have something to read too.
            from portal.alerts.operations import raise_churn_alerts

            with acting_as("system:early_warnings"):
                churn = raise_churn_alerts(local_today())
            db.session.commit()
            click.echo(f"churn warnings after scoring: {churn['churn_opened']} more")
        demo.print_logins(app.config["DEMO_PASSWORD"])

    @app.cli.group("scores")
    def scores():
        """Account scoring."""

    @scores.command("recompute")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="Score date (default: today in the portal's time zone).",
    )
    def recompute(as_of):
        """Score every company for a date and store the snapshots (idempotent)."""
        from portal.audit.trail import acting_as
        from portal.extensions import db
        from portal.scoring.operations import recompute as run
        from portal.timeutil import local_today

        score_date = as_of.date() if as_of else local_today()
        with acting_as("system:scoring"):
            summary = run(score_date)
        db.session.commit()
        click.echo(
            f"Scores for {score_date.isoformat()}: " + ", ".join(f"{k} {v}" for k, v in summary.items())
        )

    @scores.command("backfill")
    @click.option("--months", required=True, type=click.IntRange(1, 120), help="Month-ends to score.")
    @click.option(
        "--as-of",
        "as_of",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="The last score date (default: today in the portal's time zone).",
    )
    def backfill(months: int, as_of):
        """Score the last N month-ends ending at the as-of date, oldest first (idempotent)."""
        from portal.audit.trail import acting_as
        from portal.extensions import db
        from portal.scoring.operations import backfill as run
        from portal.timeutil import local_today

        score_date = as_of.date() if as_of else local_today()
        with acting_as("system:scoring"):
            results = run(score_date, months)
        db.session.commit()
        for day, summary in results:
            click.echo(f"Scores for {day.isoformat()}: " + ", ".join(f"{k} {v}" for k, v in summary.items()))

    from portal.api.cli import register as register_api
    from portal.imports.cli import register as register_imports

    register_imports(app)
    register_api(app)

    from portal.jobs.cli import register as register_jobs

    register_jobs(app)

    from portal.reviews.cli import register as register_reviews

    register_reviews(app)

    from portal.backup.cli import register as register_backup

    register_backup(app)
    from portal.tasks.cli import register as register_tasks

    register_tasks(app)
