"""The resources of /api/v1. Thin: load what the client may reach, call the services, dump."""

import base64
import binascii
import functools
from datetime import UTC

from flask import current_app, jsonify
from flask_smorest import abort
from sqlalchemy import Enum, String, bindparam, select, type_coerce
from sqlalchemy.orm import selectinload

from blueprints.api import bp
from blueprints.api import schemas as s
from blueprints.api.auth import company_in_reach, finish_call, principal, rate_limit_key, scoped
from portal.agreements.models import Agreement
from portal.api import segments, webhooks
from portal.api.models import ApiClient, WebhookSubscription
from portal.companies import operations as companies
from portal.companies.models import Company, Traveller
from portal.db import read_rows, utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import csrf, db, limiter
from portal.quotas import operations as quotas
from portal.quotas import queries as quota_queries
from portal.quotas.models import PriorityRequest
from portal.scoring.models import ScoreSnapshot
from portal.selfservice import operations as selfservice
from portal.timeutil import local_today, next_month

bp.after_request(finish_call)
csrf.exempt(bp)  # bearer tokens, not cookies: no cross-site request can carry one
limiter.limit(lambda: current_app.config["API_RATE_LIMIT"], key_func=rate_limit_key)(bp)

# Agreements a company-bound client (a booker's view) may read: not drafts or internal states.
BOOKER_AGREEMENT_STATUSES = ("active", "expired")


def _refused(error: ValidationFailed | NotAllowed):
    """A service's refusal as a problem: 403 for rules about who, 422 for the input."""
    if isinstance(error, NotAllowed):
        abort(403, message=str(error))
    reasons = {key or "_": [str(m) for m in messages] for key, messages in error.reasons.items()}
    abort(422, message="The request breaks a rule; see errors.", messages={"json": reasons})


def _decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        value = int(base64.urlsafe_b64decode(cursor.encode() + b"==").decode())
    except (ValueError, binascii.Error, UnicodeDecodeError):
        value = -1
    if not 0 < value < 2**31:
        abort(400, message="The cursor is not one this API gave out.")
    return value


def _encode_cursor(last_id: int) -> str:
    return base64.urlsafe_b64encode(str(last_id).encode()).decode().rstrip("=")


# The list reads the documented columns as rows and writes them as CompanySchema would (a test
# holds the two equal): BI tools page through every company, and a schema dump per row costs
# more than the query.
COMPANY_FIELDS = list(s.CompanySchema().fields)


def _as_stored(column):
    """The column read as the string stored: a choice column's check of each value read
    (five of them, a hundred rows) costs more than the rest of the row."""
    if isinstance(column.type, Enum):
        return type_coerce(column, String).label(column.key)
    return column


COMPANY_COLUMNS = [_as_stored(getattr(Company, name)) for name in COMPANY_FIELDS]


def _company_json(row) -> dict:
    item = dict(zip(COMPANY_FIELDS, row, strict=True))
    if item["score"] is not None:
        item["score"] = str(item["score"])
    if item["updated_at"] is not None:
        item["updated_at"] = item["updated_at"].isoformat() + "Z"  # naive UTC, as utc_text writes it
    return item


@functools.cache
def _company_list_statement(filters: tuple[str, ...]):
    """The list's select for one combination of filters, built once with bound parameters:
    SQLAlchemy then finds its compiled form for the very same statement, where a statement
    built anew each call must have its result columns matched up again (about a tenth of the
    call)."""
    stmt = select(*COMPANY_COLUMNS).where(Company.id > bindparam("after"))
    for name in filters:
        if name == "updated_since":
            stmt = stmt.where(Company.updated_at >= bindparam(name))
        else:
            stmt = stmt.where(getattr(Company, name) == bindparam(name))
    return stmt.order_by(Company.id).limit(bindparam("limit"))


@bp.route("/companies")
@scoped("companies:read")
@bp.arguments(s.CompanyQuery(), location="query", as_kwargs=True)  # one instance, not one a call
@bp.response(200, s.CompanyPage)
def list_companies(limit, cursor=None, **filters):
    """Companies by id, a page at a time; a company-bound client sees only its own."""
    bound = principal().company_id
    if bound is not None:
        filters["id"] = bound
    if filters.get("updated_since") and filters["updated_since"].tzinfo is not None:
        filters["updated_since"] = filters["updated_since"].astimezone(UTC).replace(tzinfo=None)
    stmt = _company_list_statement(tuple(sorted(filters)))
    params = {"after": _decode_cursor(cursor), "limit": limit + 1, **filters}
    rows = read_rows(db.session, stmt, params).all()
    items = [_company_json(row) for row in rows[:limit]]
    more = len(rows) > limit
    return jsonify(items=items, next_cursor=_encode_cursor(items[-1]["id"]) if more else None)


@bp.route("/companies/<int:company_id>")
@scoped("companies:read")
@bp.response(200, s.CompanySchema)
def get_company(company_id):
    """One company."""
    return company_in_reach(company_id)


@bp.route("/companies/<int:company_id>/score")
@scoped("scores:read")
@bp.response(200, s.ScoreSchema)
def current_score(company_id):
    """The company's latest score snapshot, with each component's raw value and percentile."""
    company = company_in_reach(company_id)
    snapshot = db.session.scalar(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.company_id == company.id)
        .order_by(ScoreSnapshot.score_date.desc())
        .limit(1)
    )
    if snapshot is None:
        abort(404, message="The company has not been scored yet.")
    return snapshot


@bp.route("/companies/<int:company_id>/scores")
@scoped("scores:read")
@bp.arguments(s.HistoryQuery, location="query", as_kwargs=True)
@bp.response(200, s.ScoreSchema(many=True))
def score_history(company_id, limit):
    """The company's score snapshots, newest first."""
    company = company_in_reach(company_id)
    return db.session.scalars(
        select(ScoreSnapshot)
        .where(ScoreSnapshot.company_id == company.id)
        .order_by(ScoreSnapshot.score_date.desc())
        .limit(limit)
    ).all()


def _agreements(company_id: int):
    stmt = (
        select(Agreement)
        .where(Agreement.company_id == company_id)
        .options(selectinload(Agreement.discounts), selectinload(Agreement.incentive_tiers))
        .order_by(Agreement.valid_from.desc(), Agreement.id.desc())
    )
    if principal().company_id is not None:
        stmt = stmt.where(Agreement.status.in_(BOOKER_AGREEMENT_STATUSES))
    return stmt


@bp.route("/companies/<int:company_id>/agreements")
@scoped("agreements:read")
@bp.response(200, s.AgreementSchema(many=True))
def list_agreements(company_id):
    """The company's agreements with their terms, newest first."""
    company = company_in_reach(company_id)
    return db.session.scalars(_agreements(company.id)).all()


@bp.route("/agreements/<int:agreement_id>")
@scoped("agreements:read")
@bp.response(200, s.AgreementSchema)
def get_agreement(agreement_id):
    """One agreement with its terms."""
    company_id = db.session.scalar(
        select(Agreement.company_id).where(Agreement.id == min(agreement_id, 2**31 - 1))
    )
    if company_id is None:
        abort(404, message="No such agreement.")
    company_in_reach(company_id)
    agreement = db.session.scalar(_agreements(company_id).where(Agreement.id == agreement_id))
    if agreement is None:
        abort(404, message="No such agreement.")
    return agreement


@bp.route("/companies/<int:company_id>/quotas")
@scoped("quotas:read")
@bp.arguments(s.QuotaQuery, location="query", as_kwargs=True)
@bp.response(200, s.QuotaSchema(many=True))
def list_quotas(company_id, month=None):
    """Quotas of the company's active agreements with their balances (one month, or this month
    and the next two)."""
    company = company_in_reach(company_id)
    today = local_today()
    if month:
        months = (quota_queries.parse_month(month),)
    else:
        first = today.replace(day=1)
        months = (first, next_month(first), next_month(next_month(first)))
    uses = quota_queries.company_balances(company.id, months, today=today)
    return [
        {
            "id": u.quota.id,
            "agreement_id": u.quota.agreement_id,
            "origin": u.quota.origin,
            "destination": u.quota.destination,
            "cabin": u.quota.cabin,
            "month": u.quota.month,
            "seats": u.quota.seats,
            "confirmed": u.confirmed,
            "left": u.left,
            "waitlisted": u.waitlisted,
        }
        for u in uses
    ]


@bp.route("/companies/<int:company_id>/requests")
@scoped("requests:write")
@bp.arguments(s.RequestQuery, location="query", as_kwargs=True)
@bp.response(200, s.RequestSchema(many=True))
def list_requests(company_id, limit, status=None):
    """The company's priority requests, newest first."""
    company = company_in_reach(company_id)
    stmt = quota_queries.company_requests(company.id, status=status).limit(limit)
    return db.session.scalars(stmt).unique().all()


@bp.route("/companies/<int:company_id>/requests", methods=["POST"])
@scoped("requests:write")
@bp.arguments(s.RequestInput)
@bp.response(201, s.RequestSchema)
def create_request(data, company_id):
    """Request a protected seat: confirmed while seats are left, waitlisted otherwise (the
    same rules, waitlist and notifications as the booker's pages)."""
    company = company_in_reach(company_id)
    traveller = db.session.get(Traveller, data["traveller_id"])
    if traveller is not None and traveller.company_id != company.id:
        traveller = None  # another company's traveller is no traveller of this one
    try:
        return quotas.request_seat(
            principal(),
            company,
            traveller=traveller,
            flight_number=data["flight_number"],
            flight_date=data["flight_date"],
            origin=data["origin"],
            destination=data["destination"],
            cabin=data["cabin"],
            departure_time=data.get("departure_time"),
            services=data["services"],
        )
    except (ValidationFailed, NotAllowed) as e:
        _refused(e)


@bp.route("/requests/<int:request_id>/cancel", methods=["POST"])
@scoped("requests:write")
@bp.response(200, s.RequestSchema)
def cancel_request(request_id):
    """Cancel a confirmed or waitlisted request; a freed seat goes to the first in line."""
    req = db.session.get(PriorityRequest, request_id) if request_id < 2**31 else None
    if req is None:
        abort(404, message="No such request.")
    company_in_reach(req.company_id)
    try:
        quotas.cancel_request(principal(), req)
    except (ValidationFailed, NotAllowed) as e:
        _refused(e)
    db.session.refresh(req)
    return req


@bp.route("/companies/<int:company_id>/interactions", methods=["POST"])
@scoped("interactions:write")
@bp.arguments(s.InteractionInput)
@bp.response(201, s.InteractionSchema)
def create_interaction(data, company_id):
    """Put a note from another system on the company's timeline. A company-bound client, like
    a booker, sends feedback only."""
    company = company_in_reach(company_id)
    who = principal()
    try:
        if who.company_id is not None:
            if data["kind"] != "feedback":
                abort(403, message="A company-bound client records feedback only.")
            return selfservice.send_feedback(who, data["summary"])
        occurred_at = data.get("occurred_at") or utcnow()
        if occurred_at.tzinfo is not None:
            occurred_at = occurred_at.astimezone(UTC).replace(tzinfo=None)
        return companies.record_interaction(
            who,
            company,
            kind=data["kind"],
            occurred_at=occurred_at,
            summary=data["summary"],
            outcome=data.get("outcome"),
            next_step=data.get("next_step"),
        )
    except (ValidationFailed, NotAllowed) as e:
        _refused(e)


@bp.route("/segments", methods=["POST"])
@scoped("segments:write")
@bp.arguments(s.SegmentBatch)
@bp.response(200, s.SegmentReport)
def ingest_segments(data):
    """Flown coupons from the reservation system, checked exactly like the booking import and
    imported as one batch; a coupon already there (same ticket and coupon number) is left as
    it is, so posting a batch twice changes nothing. Answers a result per row."""
    who = principal()
    if who.company_id is not None:
        abort(403, message="Segments are ingested by the reservation system, not a company's client.")
    report = segments.ingest(data["segments"], client_name=who.name)
    return jsonify(vars(report))  # the report's fields are SegmentReport's: no dump per row


@bp.route("/webhooks")
@scoped(None)
@bp.response(200, s.WebhookSchema(many=True))
def list_webhooks():
    """The client's webhook subscriptions."""
    return db.session.scalars(
        select(WebhookSubscription)
        .where(
            WebhookSubscription.client_id == principal().client_id, WebhookSubscription.deleted_at.is_(None)
        )
        .order_by(WebhookSubscription.id)
    ).all()


@bp.route("/webhooks", methods=["POST"])
@scoped(None)
@bp.arguments(s.WebhookInput)
@bp.response(201, s.WebhookCreated)
def create_webhook(data):
    """Subscribe a URL to events the client's scopes let it see. Each delivery is a signed
    POST (header X-Portal-Signature: t=<unix time>,v1=<HMAC-SHA256 of "<t>.<body>">); the
    secret is in this answer only."""
    client = db.session.get(ApiClient, principal().client_id)
    try:
        subscription, secret = webhooks.subscribe(client, data["url"], data["events"])
    except ValidationFailed as e:
        _refused(e)
    subscription.secret = secret
    return subscription


@bp.route("/webhooks/<int:webhook_id>", methods=["DELETE"])
@scoped(None)
@bp.response(204)
def delete_webhook(webhook_id):
    """Unsubscribe; deliveries not yet sent are given up."""
    subscription = db.session.get(WebhookSubscription, webhook_id) if webhook_id < 2**31 else None
    if subscription is None or subscription.client_id != principal().client_id or subscription.deleted_at:
        abort(404, message="No such webhook.")
    webhooks.unsubscribe(subscription)
