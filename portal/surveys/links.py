"""The one-time survey links: a random token, signed and timed with the app's SECRET_KEY.

The database keeps only the token's SHA-256, so neither a copy of the database nor a guessed
id opens a survey; the signature's age bounds the link even if a row's expiry were changed.
"""

import hashlib
import secrets

from flask import current_app
from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer

SALT = "portal.survey"
PATH = "/survey/"  # the public page's path (blueprints.surveys), for links made outside a request


class LinkExpired(Exception):
    """The link's signature is older than the survey's lifetime."""


class LinkInvalid(Exception):
    """The link was not made by this portal (or was altered)."""


def _serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=SALT)


def token_hash(token: str) -> str:
    """What the survey row keeps of a token."""
    return hashlib.sha256(token.encode("ascii")).hexdigest()


def new_token() -> str:
    """A fresh random token for one survey."""
    return secrets.token_urlsafe(24)


def sign(token: str) -> str:
    """The signed, timed form of a token that goes into the mailed link."""
    return _serializer().dumps(token)


def unsign(signed: str, max_age_seconds: int) -> str:
    """The token inside a signed link; LinkExpired or LinkInvalid when it cannot be used."""
    try:
        token = _serializer().loads(signed, max_age=max_age_seconds)
    except SignatureExpired as e:
        raise LinkExpired() from e
    except BadSignature as e:
        raise LinkInvalid() from e
    if not isinstance(token, str):
        raise LinkInvalid()
    return token


def url(signed: str) -> str:
    """The absolute address of the survey page for a signed token."""
    return current_app.config["PORTAL_BASE_URL"].rstrip("/") + PATH + signed
