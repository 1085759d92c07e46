"""API clients: create, revoke, authenticate by bearer token; the principal a call acts as.

A token is `kap_` plus 40 random characters. Only its SHA-256 is stored (a token has 238 bits
of entropy, so a fast hash is enough and lets every call be checked with one indexed lookup).
Like every operation module this flushes and never commits.
"""

import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from flask_babel import gettext as _
from sqlalchemy import bindparam, select, update

from portal.api.models import SCOPES, ApiClient
from portal.auth.models import User
from portal.companies.models import Company
from portal.db import read_rows, utcnow
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.timeutil import local_to_utc

TOKEN_PREFIX = "kap_"
LAST_USE_PRECISION = timedelta(minutes=1)
NAME = re.compile(r"^[\w .@:-]{2,100}$")


def hash_token(token: str) -> str:
    """The stored form of a token."""
    return hashlib.sha256(token.encode()).hexdigest()


def parse_scopes(text: str) -> list[str]:
    """Scope names from a comma- or space-separated list, each checked against SCOPES."""
    names = [s for s in re.split(r"[,\s]+", text or "") if s]
    unknown = sorted(set(names) - set(SCOPES))
    if unknown:
        raise ValidationFailed({"scopes": [_("Unknown scopes: %(names)s.", names=", ".join(unknown))]})
    if not names:
        raise ValidationFailed({"scopes": [_("Choose at least one scope.")]})
    return [s for s in SCOPES if s in names]


def create_client(
    actor: User | None,
    name: str,
    scopes: list[str],
    *,
    company_id: int | None = None,
    expires_on: date | None = None,
    today: date,
) -> tuple[ApiClient, str]:
    """A new client and its token (returned once, never stored)."""
    reasons: dict = {}
    name = (name or "").strip()
    if not NAME.match(name):
        reasons["name"] = [_("2 to 100 letters, digits, spaces or . @ : - _")]
    elif db.session.scalar(select(ApiClient.id).where(ApiClient.name == name)) is not None:
        reasons["name"] = [_("A client with this name exists already.")]
    unknown = set(scopes) - set(SCOPES)
    if unknown or not scopes:
        reasons["scopes"] = (
            [_("Choose at least one scope.")]
            if not scopes
            else [_("Unknown scopes: %(names)s.", names=", ".join(sorted(unknown)))]
        )
    if company_id is not None and db.session.get(Company, company_id) is None:
        reasons["company_id"] = [_("No company has this id.")]
    if expires_on is not None and expires_on <= today:
        reasons["expires_on"] = [_("The expiry date must lie in the future.")]
    if reasons:
        raise ValidationFailed(reasons)
    token = TOKEN_PREFIX + secrets.token_urlsafe(30)
    client = ApiClient(
        name=name,
        scopes=" ".join(s for s in SCOPES if s in scopes),
        company_id=company_id,
        token_prefix=token[:12],
        token_hash=hash_token(token),
        expires_at=local_to_utc(datetime.combine(expires_on, time.min)) if expires_on else None,
        created_by_id=actor.id if actor else None,
    )
    db.session.add(client)
    db.session.flush()
    return client, token


def revoke_client(client: ApiClient) -> None:
    """Refuse the client's token from now on (kept for the record)."""
    if client.revoked_at is None:
        client.revoked_at = utcnow()
        db.session.flush()


@dataclass(frozen=True)
class ApiPrincipal:
    """Who an API call acts as, shaped like a User for the access predicates and services:
    a company-bound client is that company's booker; an unbound one reads every company."""

    client_id: int
    name: str
    company_id: int | None
    scopes: frozenset[str]
    last_used_at: datetime | None  # as read when the call began (see touch)

    id = None  # no user: requests it makes have no portal requester
    is_authenticated = True
    is_staff = False
    office_id = None
    branch_id = None

    @property
    def role(self) -> str:
        return "booker" if self.company_id is not None else "admin"

    @property
    def email(self) -> str:
        return f"api:{self.name}"


# What a call needs of its client, read on every call: one indexed lookup of columns, built
# once (no ORM object, no statement built per call).
_CLIENT_BY_TOKEN = select(
    ApiClient.id,
    ApiClient.name,
    ApiClient.company_id,
    ApiClient.scopes,
    ApiClient.expires_at,
    ApiClient.revoked_at,
    ApiClient.last_used_at,
).where(ApiClient.token_hash == bindparam("token_hash"))


def authenticate(token: str, *, now: datetime | None = None) -> ApiPrincipal | None:
    """Who a call with `token` acts as, or None (unknown, revoked or expired token)."""
    if not token or not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    client = read_rows(db.session, _CLIENT_BY_TOKEN, {"token_hash": hash_token(token)}).first()
    now = now or utcnow()
    if client is None or client.revoked_at is not None:
        return None
    if client.expires_at is not None and client.expires_at <= now:
        return None
    return ApiPrincipal(
        client.id, client.name, client.company_id, frozenset(client.scopes.split()), client.last_used_at
    )


def touch(client_id: int, last_used_at: datetime | None, now: datetime | None = None) -> None:
    """Note a client's last use, to the minute: a Core statement (not a change worth an audit
    row), skipped when the stored time (`last_used_at`, as read when the call began) is less
    than a minute old, so a busy client does not write its row on every call."""
    now = now or utcnow()
    if last_used_at is not None and now - last_used_at < LAST_USE_PRECISION:
        return
    db.session.execute(update(ApiClient).where(ApiClient.id == client_id).values(last_used_at=now))


def status_of(client: ApiClient, now: datetime | None = None) -> str:
    """active, expired or revoked."""
    now = now or utcnow()
    if client.revoked_at is not None:
        return "revoked"
    if client.expires_at is not None and client.expires_at <= now:
        return "expired"
    return "active"
