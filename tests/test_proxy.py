"""Behind a reverse proxy (PORTAL_TRUSTED_PROXIES): throttling and the audit trail see the
client's address; one address's lock slows only that address, one account's lock only that
account."""

import pytest
from sqlalchemy import select

from portal import create_app
from portal.audit.models import AuditEvent
from portal.auth.models import LoginAttempt
from tests import factories

WRONG = "wrong-password-123"


@pytest.fixture(scope="module")
def proxied_app(app):
    """The same database behind one trusted proxy (the test client's 127.0.0.1)."""
    return create_app(
        "testing",
        SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
        PORTAL_DATA_DIR=app.config["PORTAL_DATA_DIR"],
        PORTAL_TRUSTED_PROXIES=1,
    )


def _client(app, forwarded_for: str | None):
    client = app.test_client()
    if forwarded_for:
        client.environ_base["HTTP_X_FORWARDED_FOR"] = forwarded_for
    return client


def _sign_in(client, email: str, password: str = factories.PASSWORD) -> int:
    token = factories.csrf_from(client.get("/login"))
    return client.post("/login", data={"email": email, "password": password, "csrf_token": token}).status_code


def _attempt_ips(db_session, email: str) -> list[str]:
    return list(db_session.scalars(select(LoginAttempt.ip).where(LoginAttempt.email == email)))


def test_the_forwarded_address_is_recorded_behind_a_trusted_proxy(proxied_app, world, db_session):
    # The proxy appends the address it saw; an entry the client wrote itself is not believed.
    client = _client(proxied_app, "6.6.6.6, 203.0.113.7")
    assert _sign_in(client, world.manager_a1.email, WRONG) == 401
    assert _attempt_ips(db_session, world.manager_a1.email) == ["203.0.113.7"]


def test_forwarded_headers_are_ignored_without_trusted_proxies(app, world, db_session):
    client = _client(app, "203.0.113.7")
    assert _sign_in(client, world.manager_a1.email, WRONG) == 401
    assert _attempt_ips(db_session, world.manager_a1.email) == ["127.0.0.1"]


def test_the_audit_trail_records_the_client_address(proxied_app, world, db_session):
    admin = _client(proxied_app, "203.0.113.9")
    assert _sign_in(admin, world.admin.email) == 302
    page = admin.get(f"/admin/users/{world.manager_a2.id}")
    response = admin.post(
        f"/admin/users/{world.manager_a2.id}/enabled",
        data={"enable": "0", "csrf_token": factories.csrf_from(page)},
    )
    assert response.status_code == 302
    changes = select(AuditEvent.ip).where(
        AuditEvent.actor_id == world.admin.id, AuditEvent.action == "update"
    )
    assert db_session.scalars(changes).all() == ["203.0.113.9"]


def test_an_address_lock_slows_only_that_address(proxied_app, world):
    attacker = _client(proxied_app, "198.51.100.66")
    # Four failures on each of many accounts: no account reaches its own limit of five, but the
    # address reaches its limit (four times an account's) and is locked.
    emails = [f"probe{i}@test.example" for i in range(5)]
    for email in emails:
        for _ in range(4):
            assert _sign_in(attacker, email, WRONG) == 401
    assert _sign_in(attacker, world.manager_a1.email) == 429
    # Everyone else behind the same proxy signs in as before.
    assert _sign_in(_client(proxied_app, "203.0.113.20"), world.manager_a1.email) == 302


def test_an_account_lock_holds_for_that_account_only(proxied_app, world):
    attacker = _client(proxied_app, "198.51.100.66")
    for _ in range(5):
        assert _sign_in(attacker, world.manager_a1.email, WRONG) == 401
    # The guessed account is locked from every address (the guesses could come from anywhere) ...
    assert _sign_in(_client(proxied_app, "203.0.113.20"), world.manager_a1.email) == 429
    # ... other accounts are not, not even from the attacker's address.
    assert _sign_in(_client(proxied_app, "203.0.113.21"), world.manager_a2.email) == 302
    assert _sign_in(_client(proxied_app, "198.51.100.66"), world.admin.email) == 302


def test_a_negative_number_of_proxies_is_refused(app):
    with pytest.raises(RuntimeError, match="PORTAL_TRUSTED_PROXIES"):
        create_app(
            "testing",
            SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"],
            PORTAL_TRUSTED_PROXIES=-1,
        )
