"""`flask --app wsgi import bookings|companies FILE [--dry-run]` (DESIGN §6)."""

import os

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the import commands to the app's CLI."""

    @app.cli.group("import")
    def import_group():
        """Imports of bookings and companies from CSV or XLSX exports."""

    def run(kind: str, path: str, dry_run: bool, quiet: bool, report_path: str | None) -> None:
        from tqdm import tqdm

        from portal.imports.reading import FileRefused, estimate_rows
        from portal.imports.report import write_csv
        from portal.imports.tasks import run_import

        with open(path, "rb") as f:
            data = f.read()
        bar = tqdm(total=estimate_rows(data), unit="rows", disable=quiet, desc=os.path.basename(path))

        def progress(rows: int, **counts) -> None:
            bar.update(rows - bar.n)

        try:
            outcome = run_import(kind, data, os.path.basename(path), dry_run=dry_run, progress=progress)
        except FileRefused as e:
            raise click.ClickException(str(e)) from None
        finally:
            bar.close()
        prefix = "Dry run, nothing written: " if dry_run else f"Batch {outcome.batch_id}: "
        click.echo(
            prefix
            + f"{outcome.rows_total} rows, {outcome.rows_imported} imported, "
            + f"{outcome.rows_existing} already present, {outcome.rows_rejected} rejected"
        )
        for entry in outcome.report[:20]:
            click.echo(f"  line {entry['line']}, {entry['column']}: {entry['reason']}")
        if len(outcome.report) > 20:
            click.echo(f"  ... {len(outcome.report) - 20} more problems")
        if report_path:
            with open(report_path, "w", encoding="utf-8", newline="") as f:
                f.write(write_csv(outcome.report))
            click.echo(f"Report written to {report_path}")

    for kind in ("bookings", "companies"):

        @import_group.command(kind)
        @click.argument("path", type=click.Path(exists=True, dir_okay=False))
        @click.option("--dry-run", is_flag=True, help="Validate and report; write nothing.")
        @click.option("--quiet", is_flag=True, help="No progress bar.")
        @click.option(
            "--report", "report_path", type=click.Path(dir_okay=False), help="Write the report as CSV."
        )
        def command(path: str, dry_run: bool, quiet: bool, report_path: str | None, kind: str = kind):
            """Import a CSV or XLSX export in one transaction (re-importing changes nothing)."""
            run(kind, path, dry_run, quiet, report_path)
