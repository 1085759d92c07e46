"""Flask-Login wiring: sessions carry the user's session version, so old cookies die."""

from flask import request
from flask_babel import lazy_gettext as _l
from flask_login import LoginManager, user_logged_in
from sqlalchemy import bindparam, select

from portal.auth import fresh
from portal.auth.models import User
from portal.extensions import db
from portal.notifications.queries import remember_unread, unread_of

# Every signed-in request loads its user, and every page's navbar shows the unread count:
# one statement for both, built once.
_USER_WITH_UNREAD = select(User, unread_of(User.id)).where(User.id == bindparam("user_id"))


def init_login_manager(login_manager: LoginManager) -> None:
    """Configure where to send anonymous users and how to load a user from a cookie."""
    login_manager.login_view = "auth.login"
    login_manager.login_message = _l("Please sign in to see this page.")
    login_manager.login_message_category = "info"
    login_manager.session_protection = "basic"
    login_manager.user_loader(load_user)
    user_logged_in.connect(fresh.note_fresh_login)


def load_user(token: str) -> User | None:
    """Load the user named by a session or remember cookie, if its version is current."""
    user_id, _, version = token.partition(":")
    if not user_id.isdigit() or not version.isdigit():
        return None
    row = db.session.execute(_USER_WITH_UNREAD, {"user_id": int(user_id)}).first()
    if row is None:
        return None
    user, unread = row
    if user.session_version != int(version) or not user.is_enabled:
        return None
    remember_unread(unread)
    return user


def client_ip() -> str:
    """The client's address: behind PORTAL_TRUSTED_PROXIES proxies, the one they forwarded."""
    return (request.remote_addr or "unknown")[:45]
