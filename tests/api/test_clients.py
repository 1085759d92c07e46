"""API clients: tokens are shown once and stored hashed; expiry, revocation, the CLI, the admin page."""

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.api.clients import authenticate, hash_token, parse_scopes, revoke_client
from portal.api.models import ApiClient
from portal.audit.models import AuditEvent
from portal.errors import ValidationFailed
from tests import factories
from tests.api.helpers import api_client


def test_the_token_is_stored_only_as_its_hash(app, db_session):
    with app.test_request_context():
        client, token = api_client(db_session)
        assert token.startswith("kap_") and len(token) > 40
        assert client.token_hash == hash_token(token) and token not in client.token_hash
        assert client.token_prefix == token[:12]
        assert authenticate(token).client_id == client.id
        assert authenticate(token + "x") is None and authenticate("") is None


def test_revoked_and_expired_tokens_do_not_authenticate(app, db_session):
    with app.test_request_context():
        revoked, token = api_client(db_session, "bi")
        revoke_client(revoked)
        assert authenticate(token) is None
        expiring, token2 = api_client(db_session, "tmc", expires_on=date.today() + timedelta(days=2))
        assert authenticate(token2) is not None
        expiring.expires_at = expiring.expires_at - timedelta(days=3)
        assert authenticate(token2) is None


def test_creating_checks_name_scopes_company_and_expiry(app, db_session, world):
    with app.test_request_context():
        api_client(db_session, "bi")
        for kwargs, field in (
            ({"name": "bi"}, "name"),
            ({"name": "<x>"}, "name"),
            ({"scopes": ["companies:write"]}, "scopes"),
            ({"scopes": []}, "scopes"),
            ({"company": type("C", (), {"id": 999_999})()}, "company_id"),
            ({"expires_on": date.today()}, "expires_on"),
        ):
            args = {"name": "other", **kwargs}
            with pytest.raises(ValidationFailed) as e:
                api_client(db_session, **args)
            assert field in e.value.reasons
        with pytest.raises(ValidationFailed):
            parse_scopes("companies:read,everything")
        assert parse_scopes("scores:read, companies:read") == ["companies:read", "scores:read"]


def test_cli_prints_the_token_on_its_last_line(app, world, db_session):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "api",
            "clients",
            "create",
            "tmc-one",
            "--scopes",
            "companies:read,requests:write",
            "--company",
            str(world.company_a.id),
            "--expires",
            "2099-01-31",
        ]
    )
    assert result.exit_code == 0, result.output
    token = result.output.strip().splitlines()[-1]
    with app.test_request_context():
        client = authenticate(token)
        assert client.name == "tmc-one" and client.company_id == world.company_a.id
        assert client.scopes == {"companies:read", "requests:write"}
    listed = runner.invoke(args=["api", "clients", "list"])
    assert "tmc-one" in listed.output and "active" in listed.output and token not in listed.output
    revoked = runner.invoke(args=["api", "clients", "revoke", str(client.client_id)])
    assert revoked.exit_code == 0
    bad = runner.invoke(args=["api", "clients", "create", "x y z", "--scopes", "nope:read"])
    assert bad.exit_code != 0 and "nope:read" in bad.output


def test_admin_creates_a_client_and_sees_the_token_once(client, world, login, db_session):
    login(world.admin)
    page = client.get("/admin/api-clients/new")
    assert page.status_code == 200
    token = factories.csrf_from(page)
    response = client.post(
        "/admin/api-clients/new",
        data={
            "csrf_token": token,
            "name": "BI nightly",
            "scopes": ["companies:read", "scores:read"],
            "company_code": "",
            "expires_on": "",
        },
    )
    body = response.get_data(as_text=True)
    assert response.status_code == 200 and "kap_" in body
    stored = db_session.scalars(select(ApiClient)).all()
    assert [c.name for c in stored] == ["BI nightly"]
    listing = client.get("/admin/api-clients").get_data(as_text=True)
    assert "BI nightly" in listing and body.split('id="api-token">')[1][:40] not in listing
    refused = client.post(
        "/admin/api-clients/new",
        data={"csrf_token": token, "name": "", "scopes": ["nope"], "company_code": "XYZ"},
    )
    assert refused.status_code == 200 and len(db_session.scalars(select(ApiClient)).all()) == 1


def test_admin_revokes_a_client(client, world, login, db_session):
    with client.application.test_request_context():
        api, token = api_client(db_session, "tmc")
    login(world.admin)
    page = client.get("/admin/api-clients")
    response = client.post(
        f"/admin/api-clients/{api.id}/revoke", data={"csrf_token": factories.csrf_from(page)}
    )
    assert response.status_code == 302
    db_session.refresh(api)
    assert api.revoked_at is not None
    assert client.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"}).status_code == 401


def test_last_use_is_noted_to_the_minute(app, client, db_session):
    from datetime import timedelta

    with app.test_request_context():
        api, token = api_client(db_session, "bi")
    assert api.last_used_at is None
    client.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"})
    db_session.refresh(api)
    first = api.last_used_at
    assert first is not None
    client.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"})
    db_session.refresh(api)
    assert api.last_used_at == first  # within the minute: not written again
    api.last_used_at = first - timedelta(minutes=5)
    db_session.commit()
    client.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"})
    db_session.refresh(api)
    assert api.last_used_at > first - timedelta(minutes=5)


def test_calls_beyond_a_clients_rate_limit_get_429_and_other_clients_do_not(
    app, client, db_session, monkeypatch
):
    monkeypatch.setitem(app.config, "API_RATE_LIMIT", "3 per minute")
    with app.test_request_context():
        _, busy = api_client(db_session, "busy")
        _, quiet = api_client(db_session, "quiet")
    answers = [
        client.get("/api/v1/companies?limit=1", headers={"Authorization": f"Bearer {busy}"}) for _ in range(4)
    ]
    assert [a.status_code for a in answers] == [200, 200, 200, 429]
    assert answers[0].headers["X-RateLimit-Limit"] == "3"
    assert answers[0].headers["X-RateLimit-Remaining"] == "2"
    refused = answers[-1]
    assert refused.mimetype == "application/problem+json" and refused.get_json()["status"] == 429
    assert 0 < int(refused.headers["Retry-After"]) <= 60
    other = client.get("/api/v1/companies?limit=1", headers={"Authorization": f"Bearer {quiet}"})
    assert other.status_code == 200
    refusals = db_session.scalars(
        select(AuditEvent).where(AuditEvent.action == "api_call", AuditEvent.actor_label == "api:busy")
    ).all()
    assert [r.after["status"] for r in refusals] == [200, 200, 200, 429]  # the refused call is audited too
