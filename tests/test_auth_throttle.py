"""One lock for every password check: sign-in, re-authentication and the current password on a
password change count failures together, per account and per address."""

from sqlalchemy import func, select

from portal.auth.models import LoginAttempt
from tests import factories
from tests.conftest import sign_in

NEW = "brand-new-Secret-4711"


def _change_password(client, current: str):
    page = client.get("/account/password")
    return client.post(
        "/account/password",
        data={
            "current_password": current,
            "new_password": NEW,
            "confirm": NEW,
            "csrf_token": factories.csrf_from(page),
        },
    )


def _failures(db_session, email: str) -> int:
    return db_session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(LoginAttempt.email == email, LoginAttempt.succeeded.is_(False))
    )


def test_wrong_current_passwords_are_recorded_and_throttled(client, world, login, db_session):
    login(world.manager_a1)
    for _ in range(5):
        assert _change_password(client, "wrong-password-123").status_code == 200
    assert _failures(db_session, world.manager_a1.email) == 5
    # The lock holds even with the right current password, and the password stays as it was.
    response = _change_password(client, factories.PASSWORD)
    assert response.status_code == 429
    assert _failures(db_session, world.manager_a1.email) == 5
    assert sign_in(client.application.test_client(), world.manager_a1.email, NEW).status_code != 302


def test_password_change_guesses_lock_sign_in_too(app, client, world, login):
    login(world.manager_a1)
    for _ in range(5):
        _change_password(client, "wrong-password-123")
    assert sign_in(app.test_client(), world.manager_a1.email).status_code == 429


def test_failed_sign_ins_lock_the_password_change(app, client, world, login):
    login(world.manager_a1)
    for _ in range(5):
        assert sign_in(app.test_client(), world.manager_a1.email, "wrong-password-123").status_code == 401
    assert _change_password(client, factories.PASSWORD).status_code == 429


def test_a_right_current_password_still_changes_it(client, world, login, db_session):
    login(world.manager_a1)
    assert _change_password(client, factories.PASSWORD).status_code == 302
    attempts = db_session.scalars(
        select(LoginAttempt).where(LoginAttempt.email == world.manager_a1.email)
    ).all()
    assert [a.succeeded for a in attempts] == [True, True]  # the sign-in and the current password
