"""Password rules and hashing (scrypt via Werkzeug)."""

from flask_babel import gettext as _
from werkzeug.security import check_password_hash, generate_password_hash
from zxcvbn import zxcvbn

MIN_LENGTH = 12
MIN_STRENGTH = 3  # zxcvbn score 0-4; below 3 are common or guessable passwords


def password_problems(password: str, *, user_inputs: tuple[str, ...] = ()) -> list[str]:
    """Why a new password is refused (empty when it is acceptable)."""
    if len(password) < MIN_LENGTH:
        return [_("Use at least %(n)d characters.", n=MIN_LENGTH)]
    if len(password) > 256:
        return [_("Use at most 256 characters.")]
    strength = zxcvbn(password[:100], user_inputs=[i for i in user_inputs if i])
    if strength["score"] < MIN_STRENGTH:
        return [_("This password is too common or easy to guess; choose another.")]
    return []


def hash_password(password: str) -> str:
    """A scrypt hash of the password."""
    return generate_password_hash(password, method="scrypt")


def verify_password(password_hash: str, password: str) -> bool:
    """Whether the password matches the stored hash."""
    return check_password_hash(password_hash, password)


# A hash to compare against when the email is unknown, so timing does not reveal accounts.
_DUMMY_HASH = None


def dummy_verify(password: str) -> None:
    """Spend the time a real verification would."""
    global _DUMMY_HASH
    if _DUMMY_HASH is None:
        _DUMMY_HASH = hash_password("dummy-password-for-timing")
    check_password_hash(_DUMMY_HASH, password)
