"""`flask --app wsgi api clients ...`: create, list and revoke API clients."""

import click
from flask import Flask


def register(app: Flask) -> None:
    """Attach the `api` command group."""

    @app.cli.group("api")
    def api_group():
        """The JSON API."""

    @api_group.group("clients")
    def clients():
        """Systems that call /api/v1."""

    @clients.command("create")
    @click.argument("name")
    @click.option("--scopes", required=True, help="Comma-separated, e.g. companies:read,scores:read")
    @click.option(
        "--company",
        "company_id",
        type=click.IntRange(1, 2**31 - 1),
        default=None,
        help="Bind the client to this company: it then acts as the company's booker.",
    )
    @click.option(
        "--expires",
        type=click.DateTime(formats=["%Y-%m-%d"]),
        default=None,
        help="The token stops working on this day (YYYY-MM-DD).",
    )
    def create(name: str, scopes: str, company_id: int | None, expires):
        """Create a client; the bearer token is printed on the last line (shown only once)."""
        from portal.api.clients import create_client, parse_scopes
        from portal.audit.trail import acting_as
        from portal.errors import ValidationFailed
        from portal.extensions import db
        from portal.timeutil import local_today

        try:
            with acting_as("system:cli"):
                client, token = create_client(
                    None,
                    name,
                    parse_scopes(scopes),
                    company_id=company_id,
                    expires_on=expires.date() if expires else None,
                    today=local_today(),
                )
                db.session.commit()
        except ValidationFailed as e:
            db.session.rollback()
            raise click.ClickException(str(e)) from None
        click.echo(f"client {client.id} {client.name}: {client.scopes}")
        click.echo(token)

    @clients.command("list")
    def list_clients():
        """Every client with its scopes, state and last use."""
        from sqlalchemy import select

        from portal.api.clients import status_of
        from portal.api.models import ApiClient
        from portal.extensions import db

        for c in db.session.scalars(select(ApiClient).order_by(ApiClient.id)):
            used = c.last_used_at.isoformat(timespec="seconds") if c.last_used_at else "never"
            company = f" company={c.company_id}" if c.company_id else ""
            click.echo(f"{c.id}\t{c.name}\t{status_of(c)}\t{c.scopes}{company}\tlast used {used}")

    @clients.command("revoke")
    @click.argument("client_id", type=click.IntRange(1, 2**31 - 1))
    def revoke(client_id: int):
        """Revoke a client's token."""
        from portal.api.clients import revoke_client
        from portal.api.models import ApiClient
        from portal.audit.trail import acting_as
        from portal.extensions import db

        client = db.session.get(ApiClient, client_id)
        if client is None:
            raise click.ClickException(f"No client has the id {client_id}.")
        with acting_as("system:cli"):
            revoke_client(client)
            db.session.commit()
        click.echo(f"client {client.id} {client.name} revoked")
