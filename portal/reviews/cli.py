"""`flask --app wsgi reviews generate (--company ID [--with-subsidiaries] | --portfolio [--branch ID])
--period P --out PATH`."""

import click
from flask import Flask


def _period(_ctx, _param, value):
    from portal.reviews.periods import parse

    try:
        return parse(value)
    except ValueError as e:
        raise click.BadParameter(str(e)) from None


def register(app: Flask) -> None:
    """Attach the `reviews` commands."""

    @app.cli.group("reviews")
    def reviews():
        """Account and portfolio review PDFs."""

    @reviews.command("generate")
    @click.option("--company", "company_id", type=int, help="An account review of this company.")
    @click.option(
        "--with-subsidiaries",
        "include_subsidiaries",
        is_flag=True,
        help="With --company: add its subsidiaries.",
    )
    @click.option("--portfolio", is_flag=True, help="A portfolio review (all companies, or --branch).")
    @click.option("--branch", "branch_id", type=int, help="With --portfolio: one branch only.")
    @click.option("--period", required=True, callback=_period, help="YYYYQn (e.g. 2026Q3) or YYYY.")
    @click.option("--out", "out_path", required=True, type=click.Path(dir_okay=False, writable=True))
    def generate(company_id, include_subsidiaries, portfolio, branch_id, period, out_path):
        """Render one review PDF to a file (not listed in the portal)."""
        from portal.companies.models import Company
        from portal.extensions import db
        from portal.org.models import Branch
        from portal.pdf import RenderError
        from portal.reviews import generation

        if (company_id is None) == (not portfolio):
            raise click.UsageError("give exactly one of --company ID or --portfolio")
        if branch_id is not None and not portfolio:
            raise click.UsageError("--branch goes with --portfolio")
        if include_subsidiaries and portfolio:
            raise click.UsageError("--with-subsidiaries goes with --company")
        if company_id is not None and db.session.get(Company, company_id) is None:
            raise click.BadParameter(f"no company {company_id}", param_hint="--company")
        if branch_id is not None and db.session.get(Branch, branch_id) is None:
            raise click.BadParameter(f"no branch {branch_id}", param_hint="--branch")
        kind = "portfolio" if portfolio else "account"
        context = generation.review_context(
            kind,
            period,
            company_id=company_id,
            branch_id=branch_id,
            include_subsidiaries=include_subsidiaries,
        )
        db.session.commit()  # no transaction stays open during the render
        try:
            result = generation.render_context(context, out_path)
        except RenderError as e:
            raise click.ClickException(str(e)) from None
        click.echo(
            f"{out_path}: {result.pages} pages, {result.size_bytes} bytes ({kind} review {period.code})"
        )

    @reviews.command("batch")
    @click.option("--quiet", is_flag=True, help="No progress bar.")
    def batch(quiet: bool):
        """Queue and produce this month's Platinum/Gold account reviews and the portfolio review."""
        from tqdm import tqdm

        from portal.extensions import db
        from portal.reviews.generation import queue_monthly_batch
        from portal.reviews.queries import queued_count
        from portal.reviews.tasks import run_queued
        from portal.timeutil import local_today

        queued = queue_monthly_batch(local_today())
        db.session.commit()
        with tqdm(total=queued_count(), unit="review", disable=quiet, desc="reviews") as bar:
            counts = run_queued(progress=lambda: bar.update(1))
        counts["queued"] = len(queued)
        click.echo(", ".join(f"{k} {v}" for k, v in counts.items()))
