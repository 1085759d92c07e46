"""API clients and calls for the API tests."""

from datetime import date

from portal.api.clients import create_client
from portal.api.models import SCOPES


def api_client(session, name: str = "reservation-system", scopes=SCOPES, company=None, expires_on=None):
    """A new client and its token (written in the test's transaction)."""
    client, token = create_client(
        None,
        name,
        list(scopes),
        company_id=company.id if company is not None else None,
        expires_on=expires_on,
        today=date.today(),
    )
    session.commit()  # inside the test's outer transaction: a call's rollback keeps it
    return client, token


def bearer(token: str) -> dict:
    return {"Authorization": f"Bearer {token}"}
