"""Sign-in, throttling, sessions that end, CSRF, safe redirects, headers, passwords, audit."""

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.auth import operations
from portal.auth.models import LoginAttempt, User
from portal.auth.passwords import password_problems
from portal.db import utcnow
from tests import factories
from tests.conftest import sign_in


def test_wrong_password_is_refused_with_a_clear_message(client, world):
    response = sign_in(client, world.manager_a1.email, "wrong-password-123")
    assert response.status_code == 401
    assert "Email or password is wrong" in response.get_data(
        as_text=True
    ) or "邮箱或密码" in response.get_data(as_text=True)


def test_unknown_email_is_refused_like_a_wrong_password(client, world):
    assert sign_in(client, "nobody@test.example", "whatever-password-1").status_code == 401


def test_login_without_csrf_token_is_rejected(client, world):
    response = client.post("/login", data={"email": world.manager_a1.email, "password": factories.PASSWORD})
    assert response.status_code == 400
    assert client.get("/companies/").status_code == 302


def test_post_without_csrf_token_is_rejected_when_signed_in(client, world, login):
    login(world.admin)
    response = client.post(f"/admin/users/{world.manager_a2.id}/enabled", data={"enable": "0"})
    assert response.status_code == 400
    assert world.manager_a2.is_enabled


def test_failed_sign_ins_are_throttled(client, world, db_session):
    for _ in range(5):
        assert sign_in(client, world.manager_a1.email, "wrong-password-123").status_code == 401
    # The right password no longer helps while the window lasts.
    response = sign_in(client, world.manager_a1.email)
    assert response.status_code == 429
    failures = db_session.scalar(
        select(func.count()).select_from(LoginAttempt).where(LoginAttempt.email == world.manager_a1.email)
    )
    assert failures == 5  # the refused attempt is not even checked


def test_throttle_counts_failures_recorded_by_other_workers(client, world, db_session):
    """The count lives in the database: failures written by any process count."""
    now = utcnow()
    for i in range(5):
        db_session.add(LoginAttempt(email=world.manager_a1.email, ip=f"10.0.0.{i}", at=now, succeeded=False))
    db_session.flush()
    assert sign_in(client, world.manager_a1.email).status_code == 429


def test_old_failures_do_not_count(client, world, db_session):
    old = utcnow() - timedelta(hours=1)
    for _ in range(5):
        db_session.add(LoginAttempt(email=world.manager_a1.email, ip="127.0.0.1", at=old, succeeded=False))
    db_session.flush()
    assert sign_in(client, world.manager_a1.email).status_code == 302


def _session_cookie(client) -> str:
    cookie = client.get_cookie("session")
    assert cookie is not None
    return cookie.value


def test_cookie_replayed_after_sign_out_is_refused(app, client, world, login):
    login(world.manager_a1)
    stolen = _session_cookie(client)
    page = client.get("/logout")
    client.post("/logout", data={"csrf_token": factories.csrf_from(page)})
    assert client.get("/companies/").status_code == 302

    attacker = app.test_client()
    attacker.set_cookie("session", stolen)
    response = attacker.get("/companies/")
    assert response.status_code == 302
    assert "/login" in response.headers["Location"]


def test_remember_cookie_dies_with_sign_out(app, client, world):
    page = client.get("/login")
    client.post(
        "/login",
        data={
            "email": world.manager_a1.email,
            "password": factories.PASSWORD,
            "remember": "y",
            "csrf_token": factories.csrf_from(page),
        },
    )
    remember = client.get_cookie("remember_token")
    assert remember is not None and remember.http_only and remember.same_site == "Lax"
    page = client.get("/logout")
    client.post("/logout", data={"csrf_token": factories.csrf_from(page)})
    attacker = app.test_client()
    attacker.set_cookie("remember_token", remember.value)
    assert attacker.get("/companies/").status_code == 302


def change_password(client, new: str):
    """Post the change-password form (from its page, for the CSRF token) with the right current
    password; the response."""
    page = client.get("/account/password")
    return client.post(
        "/account/password",
        data={
            "current_password": factories.PASSWORD,
            "new_password": new,
            "confirm": new,
            "csrf_token": factories.csrf_from(page),
        },
    )


def test_password_change_ends_other_sessions(app, client, world, login):
    login(world.manager_a1)
    other_device = app.test_client()
    assert sign_in(other_device, world.manager_a1.email).status_code == 302
    response = change_password(client, "brand-new-Secret-4711")
    assert response.status_code == 302
    assert client.get("/companies/").status_code == 200  # this session carries on
    assert other_device.get("/companies/").status_code == 302  # the other one ended
    assert sign_in(app.test_client(), world.manager_a1.email, "brand-new-Secret-4711").status_code == 302


@pytest.mark.parametrize(
    "new, message",
    [("short-1", "at least 12"), ("password1234", "too common"), ("qwertyuiop12", "too common")],
)
def test_weak_new_passwords_are_refused(client, world, login, new, message):
    login(world.manager_a1)
    response = change_password(client, new)
    assert response.status_code == 200
    client.get("/lang/en")
    response = change_password(client, new)
    assert message in response.get_data(as_text=True)


def test_password_rules():
    assert password_problems("short")
    assert password_problems("123456789012")
    assert password_problems("passwordpassword")
    assert not password_problems("Harbour-lantern-2026!")


def test_disabled_account_loses_its_sessions(app, client, world, login, db_session):
    victim = app.test_client()
    assert sign_in(victim, world.manager_a2.email).status_code == 302
    assert victim.get("/companies/").status_code == 200
    login(world.admin)
    page = client.get("/admin/users")
    response = client.post(
        f"/admin/users/{world.manager_a2.id}/enabled",
        data={"enable": "0", "csrf_token": factories.csrf_from(page)},
    )
    assert response.status_code == 302
    assert victim.get("/companies/").status_code == 302
    assert sign_in(app.test_client(), world.manager_a2.email).status_code == 401


@pytest.mark.parametrize(
    "target, expected",
    [
        ("/companies/", "/companies/"),
        ("//evil.example/x", "/"),
        ("https://evil.example/", "/"),
        ("/\\evil.example", "/"),
        ("javascript:alert(1)", "/"),
    ],
)
def test_next_only_redirects_within_the_site(client, world, target, expected):
    page = client.get("/login")
    response = client.post(
        "/login?next=" + target,
        data={
            "email": world.manager_a1.email,
            "password": factories.PASSWORD,
            "csrf_token": factories.csrf_from(page),
        },
    )
    assert response.status_code == 302
    assert response.headers["Location"] == expected


def test_security_headers_and_cookie_flags(client, world):
    response = client.get("/login")
    csp = response.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp
    assert "frame-ancestors 'none'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    login = sign_in(client, world.manager_a1.email)
    cookie = login.headers.get("Set-Cookie", "")
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_production_cookies_are_secure(monkeypatch):
    monkeypatch.setenv("SECRET_KEY", "x" * 40)
    monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
    import importlib

    import config

    importlib.reload(config)
    try:
        assert config.ProductionConfig.SESSION_COOKIE_SECURE is True
        assert config.ProductionConfig.REMEMBER_COOKIE_SECURE is True
    finally:
        importlib.reload(config)


def test_production_refuses_to_start_without_secret_key(monkeypatch):
    from portal import create_app

    monkeypatch.delenv("SECRET_KEY", raising=False)
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app("production", SECRET_KEY=None)


def test_garbage_session_ids_load_no_user(app, db_session):
    from portal.auth.sessions import load_user

    with app.test_request_context():
        assert load_user("abc") is None
        assert load_user("1") is None
        assert load_user("999999:1") is None


def test_admin_creates_account_and_it_is_audited(client, world, login, db_session):
    login(world.admin)
    page = client.get("/admin/users/new")
    response = client.post(
        "/admin/users/new",
        data={
            "email": "New.Booker@Test.example",
            "name": "新订票员",
            "role": "booker",
            "office_id": "0",
            "company_code": world.company_b.credit_code.lower(),
            "password": "Harbour-lantern-2026!",
            "csrf_token": factories.csrf_from(page),
        },
    )
    assert response.status_code == 302, response.get_data(as_text=True)
    user = db_session.scalar(select(User).where(User.email == "new.booker@test.example"))
    assert user.company_id == world.company_b.id and user.office_id is None
    event = db_session.scalar(
        select(AuditEvent).where(AuditEvent.entity == "user", AuditEvent.entity_id == user.id)
    )
    assert event.action == "create" and event.actor_id == world.admin.id
    assert event.after["password_hash"] == "***"
    assert event.after["email"] == "new.booker@test.example"


@pytest.mark.parametrize(
    "data, field_message",
    [
        ({"role": "booker", "company_code": ""}, "A booker belongs to a company"),
        ({"role": "booker", "company_code": "91350100M000100Y43"}, "No company has this credit code"),
        ({"role": "account_manager", "office_id": "0"}, "Staff belong to a sales office"),
        ({"password": "password1234"}, "too common"),
    ],
)
def test_account_form_refuses_bad_input(client, world, login, data, field_message):
    login(world.admin)
    client.get("/lang/en")
    page = client.get("/admin/users/new")
    form = {
        "email": "x@test.example",
        "name": "X",
        "role": "account_manager",
        "office_id": str(world.office_a.id),
        "company_code": "",
        "password": "Harbour-lantern-2026!",
        "csrf_token": factories.csrf_from(page),
    } | data
    response = client.post("/admin/users/new", data=form)
    assert response.status_code == 200
    assert field_message in response.get_data(as_text=True)


def test_updates_are_audited_with_before_and_after(app, world, db_session):
    with app.test_request_context():
        operations.set_enabled(world.admin, world.manager_a2, False)
    event = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity == "user",
            AuditEvent.entity_id == world.manager_a2.id,
            AuditEvent.action == "update",
        )
    ).one()
    assert event.before["is_enabled"] is True and event.after["is_enabled"] is False
