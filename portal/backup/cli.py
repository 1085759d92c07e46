"""`flask --app wsgi backup create --out DIR` and `flask --app wsgi backup restore DIR`."""

from pathlib import Path

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the backup commands."""

    @app.cli.group("backup")
    def backup():
        """Back up and restore the database and the data folder."""

    @backup.command("create")
    @click.option("--out", "out", required=True, type=click.Path(file_okay=False, path_type=Path))
    def create(out: Path):
        """Write a consistent backup into the new folder OUT (safe while the portal runs)."""
        from portal.backup.service import create_backup

        click.echo(f"backed up {_summary(_refusals_stop(create_backup, out))} into {out}")

    @backup.command("restore")
    @click.argument("folder", type=click.Path(exists=True, file_okay=False, path_type=Path))
    def restore(folder: Path):
        """Restore the backup in FOLDER into an empty database and the data folder."""
        from portal.backup.service import restore_backup

        click.echo(f"restored {_summary(_refusals_stop(restore_backup, folder))}; row counts match")


def _refusals_stop(action, folder: Path) -> dict:
    """Run a backup action; a refusal ends the command with its reason (exit status 1)."""
    from portal.backup.service import BackupRefused

    try:
        return action(folder)
    except BackupRefused as e:
        raise click.ClickException(str(e)) from None


def _summary(manifest: dict) -> str:
    return (
        f"{manifest['database']} backup of {manifest['created_at']} at migration {manifest['revision']}: "
        f"{sum(manifest['counts'].values())} rows in {len(manifest['counts'])} tables, "
        f"{len(manifest['files'])} files"
    )
