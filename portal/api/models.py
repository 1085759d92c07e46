"""ApiClient: a system that calls /api/v1 with a bearer token."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from portal.db import Base, TimestampMixin, utcnow

# These names are an interface (DESIGN §6): clients are given them.
SCOPES = (
    "companies:read",
    "scores:read",
    "agreements:read",
    "quotas:read",
    "requests:write",
    "interactions:write",
    "segments:write",
)


class ApiClient(TimestampMixin, Base):
    """One calling system. Only a SHA-256 of its token is kept: the token is shown once."""

    __tablename__ = "api_client"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(100), unique=True)
    # Space-separated scope names (see SCOPES).
    scopes: Mapped[str] = mapped_column(sa.String(300))
    # Bound to a company, the client acts as that company's booker and sees nothing else.
    company_id: Mapped[int | None] = mapped_column(sa.ForeignKey("company.id"), index=True)
    token_prefix: Mapped[str] = mapped_column(sa.String(12))  # to recognise a token in lists
    token_hash: Mapped[str] = mapped_column(sa.String(64), unique=True)
    expires_at: Mapped[datetime | None]
    revoked_at: Mapped[datetime | None]
    last_used_at: Mapped[datetime | None]
    created_by_id: Mapped[int | None] = mapped_column(sa.ForeignKey("user.id"))

    company = relationship("Company")
    created_by = relationship("User")

    @property
    def scope_set(self) -> frozenset[str]:
        """The scopes as a set."""
        return frozenset(self.scopes.split())


# Webhook events and the scope a client needs to receive each (what it could read anyway).
EVENT_SCOPES = {
    "request.confirmed": "requests:write",
    "request.waitlisted": "requests:write",
    "request.promoted": "requests:write",
    "request.cancelled": "requests:write",
    "agreement.activated": "agreements:read",
    "agreement.expiring": "agreements:read",
    "company.tier_changed": "companies:read",
}


class WebhookSubscription(Base):
    """A client's URL for some events; the signing secret is kept encrypted (shown once)."""

    __tablename__ = "webhook_subscription"

    id: Mapped[int] = mapped_column(primary_key=True)
    client_id: Mapped[int] = mapped_column(sa.ForeignKey("api_client.id"), index=True)
    url: Mapped[str] = mapped_column(sa.String(500))
    events: Mapped[str] = mapped_column(sa.String(300))  # space-separated EVENT_SCOPES keys
    secret_encrypted: Mapped[str] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    deleted_at: Mapped[datetime | None]

    client: Mapped[ApiClient] = relationship()


class WebhookDelivery(Base):
    """One event for one subscription: queued, delivered, or given up after its attempts."""

    __tablename__ = "webhook_delivery"
    __table_args__ = (sa.Index("ix_webhook_delivery_pending", "delivered_at", "next_attempt_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    subscription_id: Mapped[int] = mapped_column(sa.ForeignKey("webhook_subscription.id"), index=True)
    event: Mapped[str] = mapped_column(sa.String(40))
    dedupe_key: Mapped[str] = mapped_column(sa.String(160), unique=True)
    payload: Mapped[dict] = mapped_column(sa.JSON)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    attempts: Mapped[int] = mapped_column(default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claimed_at: Mapped[datetime | None]
    claimed_by: Mapped[str | None] = mapped_column(sa.String(100))
    delivered_at: Mapped[datetime | None]
    failed_at: Mapped[datetime | None]
    last_status: Mapped[int | None]
    last_error: Mapped[str | None] = mapped_column(sa.Text)

    subscription: Mapped[WebhookSubscription] = relationship()
