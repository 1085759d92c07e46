"""Sign-in with throttling, sign-out, password change and disabling: they flush, never commit."""

from datetime import datetime

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import func, select

from portal.auth.models import STAFF_ROLES, LoginAttempt, User
from portal.auth.passwords import dummy_verify, hash_password, password_problems, verify_password
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.org.operations import check_open_office
from portal.stations.models import Station


def _recent_failures(column, value: str, since: datetime) -> int:
    return db.session.scalar(
        select(func.count())
        .select_from(LoginAttempt)
        .where(column == value, LoginAttempt.at >= since, LoginAttempt.succeeded.is_(False))
    )


def is_throttled(email: str, ip: str, now: datetime | None = None) -> bool:
    """Too many failed sign-ins for this email, or from this address, in the window."""
    now = now or utcnow()
    since = now - current_app.config["LOGIN_FAILURE_WINDOW"]
    limit = current_app.config["LOGIN_MAX_FAILURES"]
    # An address gets more room than one account: an office behind one NAT shares it.
    return (
        _recent_failures(LoginAttempt.email, email, since) >= limit
        or _recent_failures(LoginAttempt.ip, ip, since) >= limit * 4
    )


def check_password(email: str, password: str, ip: str, now: datetime | None = None) -> User | None:
    """The enabled user with these credentials, or None; throttled and recorded.

    Every password check (sign-in, re-authentication, the current password on a password
    change) goes through here, so they share one limit and one lock.
    """
    email = email.strip().lower()
    now = now or utcnow()
    if is_throttled(email, ip, now):
        raise NotAllowed(
            _(
                "Too many failed sign-ins. Try again in %(m)d minutes.",
                m=int(current_app.config["LOGIN_FAILURE_WINDOW"].total_seconds() // 60),
            )
        )
    user = db.session.scalar(select(User).where(User.email == email))
    if user is None:
        dummy_verify(password)
        ok = False
    else:
        ok = verify_password(user.password_hash, password) and user.is_enabled
    db.session.add(LoginAttempt(email=email[:254], ip=ip, at=now, succeeded=ok))
    db.session.flush()
    return user if ok else None


def sign_in(email: str, password: str, ip: str) -> User:
    """The user with these credentials; every attempt is recorded for throttling."""
    now = utcnow()
    user = check_password(email, password, ip, now)
    if user is None:
        raise ValidationFailed(_("Email or password is wrong, or the account is disabled."))
    user.last_login_at = now
    db.session.flush()
    return user


def end_all_sessions(user: User) -> None:
    """Invalidate every session and remember cookie of the user."""
    user.session_version = (user.session_version or 0) + 1
    db.session.flush()


def change_password(user: User, current: str, new: str, ip: str) -> None:
    """Set a new password after checking the current one (throttled and recorded like a
    sign-in); other sessions end."""
    if check_password(user.email, current, ip) is None:
        raise ValidationFailed({"current_password": [_("The current password is wrong.")]})
    problems = password_problems(new, user_inputs=(user.email, user.name))
    if problems:
        raise ValidationFailed({"new_password": problems})
    user.password_hash = hash_password(new)
    user.password_changed_at = utcnow()
    end_all_sessions(user)


def set_enabled(actor: User, user: User, enabled: bool) -> None:
    """Enable or disable an account; disabling ends its sessions at once."""
    if actor.id == user.id and not enabled:
        raise ValidationFailed(_("You cannot disable your own account."))
    user.is_enabled = enabled
    if not enabled:
        end_all_sessions(user)
    db.session.flush()


def create_user(
    actor: User,
    *,
    email: str,
    name: str,
    role: str,
    password: str,
    office_id: int | None = None,
    company_id: int | None = None,
    phone: str | None = None,
    title: str | None = None,
    station_id: int | None = None,
) -> User:
    """Create an account: staff belong to an office, bookers to a company, station staff to a
    station."""
    email = email.strip().lower()
    reasons: dict[str | None, list[str]] = {}
    if db.session.scalar(select(User.id).where(User.email == email)) is not None:
        reasons["email"] = [_("An account with this email exists already.")]
    problems = password_problems(password, user_inputs=(email, name))
    if problems:
        reasons["password"] = problems
    _check_membership(role, office_id, company_id, reasons, station_id)
    if role in STAFF_ROLES:
        check_open_office(office_id, reasons)
    if reasons:
        raise ValidationFailed(reasons)
    user = User(
        email=email,
        name=name.strip(),
        role=role,
        password_hash=hash_password(password),
        office_id=office_id if role in STAFF_ROLES else None,
        company_id=company_id if role == "booker" else None,
        station_id=station_id if role == "station" else None,
        phone=phone or None,
        title=title or None,
        password_changed_at=utcnow(),
    )
    db.session.add(user)
    db.session.flush()
    return user


def update_user(
    actor: User, user: User, *, name: str, role: str, office_id, company_id, phone, title, station_id=None
) -> None:
    """Change an account's name, role and membership; a role change ends its sessions."""
    reasons: dict[str | None, list[str]] = {}
    if actor.id == user.id and role != user.role:
        reasons["role"] = [_("You cannot change your own role.")]
    _check_membership(role, office_id, company_id, reasons, station_id)
    if role in STAFF_ROLES:
        check_open_office(office_id, reasons, unchanged_from=user.office_id)
    if reasons:
        raise ValidationFailed(reasons)
    role_changed = role != user.role
    user.name = name.strip()
    user.role = role
    user.office_id = office_id if role in STAFF_ROLES else None
    user.company_id = company_id if role == "booker" else None
    user.station_id = station_id if role == "station" else None
    user.phone = phone or None
    user.title = title or None
    if role_changed:
        end_all_sessions(user)
    db.session.flush()


def _check_membership(role: str, office_id, company_id, reasons: dict, station_id=None) -> None:
    if role == "booker" and not company_id:
        reasons["company_id"] = [_("A booker belongs to a company.")]
    if role in STAFF_ROLES and not office_id:
        reasons["office_id"] = [_("Staff belong to a sales office.")]
    if role == "station" and (not station_id or db.session.get(Station, station_id) is None):
        reasons["station_id"] = [_("Station staff belong to a station.")]
