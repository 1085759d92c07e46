"""Webhooks: clients subscribe a URL to events; deliveries go out from an outbox, signed.

`emit` writes one delivery row per matching subscription in the caller's transaction (so an
event is sent if and only if its change commits). The task in portal/api/tasks.py sends them
like the mail outbox: each row is claimed with a conditional UPDATE and committed before the
HTTP call, the outcome is written in another short transaction (no transaction is open while a
receiver is called), failures are retried with back-off and given up after
WEBHOOK_MAX_ATTEMPTS. This module's steps flush; the task commits.

Each delivery is a POST of a JSON body with the header
`X-Portal-Signature: t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" under the secret>`;
receivers check it with `signature_valid` (and refuse old timestamps against replays).
"""

import hashlib
import hmac
import ipaddress
import json
import logging
import secrets
import socket
import time
import urllib.error
import urllib.request
from urllib.parse import urlsplit

from flask import current_app
from flask_babel import gettext as _
from sqlalchemy import or_, select, update

from portal import outbox
from portal.api.models import EVENT_SCOPES, ApiClient, WebhookDelivery, WebhookSubscription
from portal.companies import secrets as field_secrets
from portal.db import utcnow
from portal.errors import ValidationFailed
from portal.extensions import db

log = logging.getLogger(__name__)

SIGNATURE_HEADER = "X-Portal-Signature"
MAX_SUBSCRIPTIONS_PER_CLIENT = 10
RESPONSE_BYTES_KEPT = 500


# --- where deliveries may go -------------------------------------------------------------


def _address_allowed(address: str) -> bool:
    ip = ipaddress.ip_address(address)
    if current_app.config.get("WEBHOOK_ALLOW_PRIVATE"):
        return not ip.is_unspecified and not ip.is_multicast
    return ip.is_global


def url_problems(url: str) -> list[str]:
    """Why `url` may not receive deliveries (empty when it may): HTTPS only in production; no
    loopback, link-local or private address unless WEBHOOK_ALLOW_PRIVATE (every address the
    name resolves to is checked, at registration and again before each delivery)."""
    try:
        parts = urlsplit(url)
        port = parts.port
    except ValueError:
        return [_("Not a URL.")]
    if parts.scheme not in ("https", "http") or not parts.hostname or len(url) > 500:
        return [_("An http(s) URL of at most 500 characters.")]
    if parts.username or parts.password:
        return [_("A URL without a user name or password.")]
    if parts.scheme != "https" and current_app.config.get("PORTAL_ENV") == "production":
        return [_("Webhooks are sent over HTTPS only.")]
    try:
        infos = socket.getaddrinfo(parts.hostname, port or (443 if parts.scheme == "https" else 80))
    except (socket.gaierror, UnicodeError):
        return [_("The host name does not resolve.")]
    if not all(_address_allowed(info[4][0]) for info in infos):
        return [_("The URL points to a private, loopback or link-local address.")]
    return []


# --- subscriptions -------------------------------------------------------------------------


def events_for(client: ApiClient) -> list[str]:
    """The events a client may subscribe to: those its scopes let it see."""
    return [event for event, scope in EVENT_SCOPES.items() if scope in client.scope_set]


def subscribe(client: ApiClient, url: str, events: list[str]) -> tuple[WebhookSubscription, str]:
    """A new subscription and its signing secret (returned once)."""
    reasons: dict = {}
    allowed = set(events_for(client))
    unknown = sorted(set(events) - allowed)
    if not events:
        reasons["events"] = [_("Choose at least one event.")]
    elif unknown:
        reasons["events"] = [
            _("Events this client may not subscribe to: %(names)s.", names=", ".join(unknown))
        ]
    problems = url_problems(url or "")
    if problems:
        reasons["url"] = problems
    count = db.session.scalar(
        select(db.func.count())
        .select_from(WebhookSubscription)
        .where(WebhookSubscription.client_id == client.id, WebhookSubscription.deleted_at.is_(None))
    )
    if count >= MAX_SUBSCRIPTIONS_PER_CLIENT:
        reasons[None] = [_("A client has at most %(n)s webhooks.", n=MAX_SUBSCRIPTIONS_PER_CLIENT)]
    if reasons:
        raise ValidationFailed(reasons)
    secret = "whsec_" + secrets.token_urlsafe(30)
    subscription = WebhookSubscription(
        client_id=client.id,
        url=url,
        events=" ".join(e for e in EVENT_SCOPES if e in events),
        secret_encrypted=field_secrets.encrypt(secret),
    )
    db.session.add(subscription)
    db.session.flush()
    return subscription, secret


def unsubscribe(subscription: WebhookSubscription) -> None:
    """Stop deliveries to the subscription (pending ones are given up)."""
    subscription.deleted_at = utcnow()
    db.session.execute(
        update(WebhookDelivery)
        .where(
            WebhookDelivery.subscription_id == subscription.id,
            WebhookDelivery.delivered_at.is_(None),
            WebhookDelivery.failed_at.is_(None),
        )
        .values(failed_at=utcnow(), last_error="unsubscribed")
    )
    db.session.flush()


# --- emitting ------------------------------------------------------------------------------


def emit(event: str, company_id: int, data: dict, *, key: str) -> int:
    """Queue `event` about a company for every live subscription that may see it (clients bound
    to another company never do); `key` makes the event idempotent per subscription."""
    return emit_many(event, [(company_id, data, key)])


def emit_many(event: str, items: list[tuple[int, dict, str]]) -> int:
    """`emit` for several companies at once: (company_id, data, key) each; how many were queued.
    Writes in the caller's transaction (flush only), so an event goes out only if it commits."""
    if not items:
        return 0
    now = utcnow()
    subscriptions = [
        (subscription_id, client_company)
        for subscription_id, events, scopes, client_company in db.session.execute(
            select(WebhookSubscription.id, WebhookSubscription.events, ApiClient.scopes, ApiClient.company_id)
            .join(ApiClient, ApiClient.id == WebhookSubscription.client_id)
            .where(
                WebhookSubscription.deleted_at.is_(None),
                WebhookSubscription.events.contains(event),
                ApiClient.revoked_at.is_(None),
                or_(ApiClient.expires_at.is_(None), ApiClient.expires_at > now),
            )
        )
        if event in events.split() and EVENT_SCOPES[event] in scopes.split()
    ]
    if not subscriptions:
        return 0
    wanted = {}
    for company_id, data, key in items:
        body = {"event": event, "company_id": company_id, "occurred_at": now.isoformat() + "Z", "data": data}
        for subscription_id, client_company in subscriptions:
            if client_company is None or client_company == company_id:
                wanted[f"{subscription_id}:{event}:{key}"[:160]] = (subscription_id, body)
    existing = set(
        db.session.scalars(select(WebhookDelivery.dedupe_key).where(WebhookDelivery.dedupe_key.in_(wanted)))
    )
    for dedupe, (subscription_id, body) in wanted.items():
        if dedupe not in existing:
            db.session.add(
                WebhookDelivery(subscription_id=subscription_id, event=event, dedupe_key=dedupe, payload=body)
            )
    db.session.flush()
    return len(wanted) - len(existing)


# --- signing and delivering ----------------------------------------------------------------


def sign(secret: str, timestamp: int, body: bytes) -> str:
    """The signature header's value for `body` sent at `timestamp`."""
    digest = hmac.new(secret.encode(), f"{timestamp}.".encode() + body, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def signature_valid(
    secret: str, header: str, body: bytes, *, now: float | None = None, tolerance: int = 300
) -> bool:
    """Whether `header` signs `body` with `secret` within `tolerance` seconds (receivers' check)."""
    try:
        parts = dict(item.split("=", 1) for item in header.split(","))
        timestamp = int(parts["t"])
    except (ValueError, KeyError):
        return False
    if abs((now or time.time()) - timestamp) > tolerance:
        return False
    return hmac.compare_digest(sign(secret, timestamp, body), f"t={timestamp},v1={parts.get('v1', '')}")


def delivery_request(delivery: WebhookDelivery) -> tuple[str, bytes, dict]:
    """The URL, signed JSON body and headers of one delivery's POST."""
    subscription = delivery.subscription
    secret = field_secrets.decrypt(subscription.secret_encrypted)
    body = json.dumps(delivery.payload, ensure_ascii=False, sort_keys=True).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "key-account-portal-webhooks/1",
        "X-Portal-Event": delivery.event,
        "X-Portal-Delivery": str(delivery.id),
        SIGNATURE_HEADER: sign(secret, int(time.time()), body),
    }
    return subscription.url, body, headers


def post(url: str, body: bytes, headers: dict) -> tuple[int | None, str | None]:
    """POST one delivery (call with no transaction open): the HTTP status, and the error when
    it was not delivered."""
    problems = url_problems(url)
    if problems:
        return None, f"OSError: {problems[0]}"[:2000]
    request = urllib.request.Request(url, data=body, headers=headers, method="POST")
    timeout = float(current_app.config.get("WEBHOOK_TIMEOUT", 10))
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310 (checked above)
            status = response.status
    except urllib.error.HTTPError as e:
        status = e.code
    except OSError as e:
        return None, f"{type(e).__name__}: {e}"[:2000]
    return status, None if 200 <= status < 300 else f"HTTP {status}"


def record_attempt(
    delivery_id: int, holder: str, attempts: int, status: int | None, error: str | None
) -> str:
    """Write a claimed delivery's outcome and free its claim: "delivered", "failed" (retried
    later, with back-off) or "gave_up" (after WEBHOOK_MAX_ATTEMPTS); flushes."""
    values: dict = {"attempts": attempts, "last_status": status, "claimed_at": None, "claimed_by": None}
    if error is None:
        outcome = "delivered"
        values.update(delivered_at=utcnow(), last_error=None)
    else:
        gave_up = attempts >= int(current_app.config.get("WEBHOOK_MAX_ATTEMPTS", 8))
        outcome = "gave_up" if gave_up else "failed"
        values.update(
            last_error=error,
            next_attempt_at=utcnow() + outbox.backoff(attempts),
            failed_at=utcnow() if gave_up else None,
        )
    db.session.execute(
        update(WebhookDelivery)
        .where(WebhookDelivery.id == delivery_id, WebhookDelivery.claimed_by == holder)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    return outcome
