"""Fresh sign-ins for sensitive actions: the password was entered in this session, recently.

Flask-Login marks a session fresh when the password was typed (not restored from a remember
cookie), but keeps it fresh for the session's whole life. Revealing a document number also
needs the password to have been entered within REAUTH_MAX_AGE.
"""

import time

from flask import current_app, session
from flask_login import login_fresh

FRESH_AT = "_fresh_at"


def note_fresh_login(sender, user, **extra) -> None:
    """Signal receiver (user_logged_in): remember when the password was last entered."""
    if session.get("_fresh"):
        session[FRESH_AT] = time.time()


def recently_authenticated() -> bool:
    """Whether this session's password was entered within REAUTH_MAX_AGE."""
    if not login_fresh():
        return False
    entered = session.get(FRESH_AT)
    if not isinstance(entered, int | float):
        return False
    age = time.time() - entered
    return 0 <= age <= current_app.config["REAUTH_MAX_AGE"].total_seconds()
