"""Marshmallow schemas of /api/v1: what goes in (validated) and what comes out (documented)."""

import math
from datetime import UTC, datetime

from marshmallow import EXCLUDE, Schema, ValidationError, fields, validate

from portal.agreements.models import AGREEMENT_STATUSES, CABINS
from portal.api.models import EVENT_SCOPES
from portal.companies.models import COMPANY_STATUSES, INTERACTION_KINDS, TIERS
from portal.stations.models import SERVICES

MAX_PAGE = 100


def utc_text(value: datetime | None) -> str | None:
    # The database keeps naive UTC; the API says so (RFC 3339 with Z).
    return None if value is None else value.replace(tzinfo=UTC).isoformat().replace("+00:00", "Z")


def decimal_text(allow_none: bool = False) -> fields.Decimal:
    """An exact decimal sent as text (e.g. "12.50"), never a binary float."""
    # apispec adds "null" to the type of a field that allows none.
    return fields.Decimal(
        as_string=True, allow_none=allow_none, metadata={"type": "string", "format": "decimal"}
    )


def utc_datetime(attribute: str, description: str = "UTC") -> fields.Function:
    """A stored (naive UTC) time as an RFC 3339 date-time."""
    return fields.Function(
        lambda obj: utc_text(getattr(obj, attribute)),
        allow_none=True,
        metadata={"type": "string", "format": "date-time", "description": description},
    )


MAX_SEGMENTS = 5_000


class ProblemSchema(Schema):
    """An RFC 9457 problem document."""

    type = fields.String()
    title = fields.String()
    status = fields.Integer()
    detail = fields.String()
    instance = fields.String()
    errors = fields.Dict(metadata={"description": "Messages per field (or per location and field)."})


class CompanyQuery(Schema):
    """Filters of the company list; `cursor` is the `next_cursor` of the previous page."""

    tier = fields.String(validate=validate.OneOf(TIERS))
    status = fields.String(validate=validate.OneOf(COMPANY_STATUSES))
    office_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    manager_id = fields.Integer(validate=validate.Range(min=1, max=2**31 - 1))
    updated_since = fields.DateTime(format="iso", metadata={"description": "ISO 8601, UTC"})
    cursor = fields.String(validate=validate.Length(max=40))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class CompanySchema(Schema):
    id = fields.Integer()
    name_zh = fields.String()
    name_en = fields.String(allow_none=True)
    credit_code = fields.String()
    industry = fields.String()
    headcount_band = fields.String()
    city = fields.String()
    address = fields.String(allow_none=True)
    office_id = fields.Integer()
    manager_id = fields.Integer(allow_none=True)
    parent_id = fields.Integer(allow_none=True)
    status = fields.String()
    tier = fields.String(allow_none=True)
    score = decimal_text(allow_none=True)
    activity_status = fields.String(allow_none=True)
    updated_at = utc_datetime("updated_at")


class CompanyPage(Schema):
    items = fields.List(fields.Nested(CompanySchema))
    next_cursor = fields.String(
        allow_none=True, metadata={"description": "Pass as `cursor` for the next page; null on the last."}
    )


class ScoreSchema(Schema):
    score_date = fields.Date()
    total = decimal_text()
    rank = fields.Integer()
    tier = fields.String()
    activity_status = fields.String()
    revenue_fen = fields.Integer(metadata={"description": "Net revenue in the 12-month window, in fen"})
    segments = fields.Integer()
    premium_share = decimal_text()
    growth = decimal_text()
    recency_days = fields.Integer(allow_none=True)
    attainment = decimal_text()
    pct_revenue = decimal_text()
    pct_frequency = decimal_text()
    pct_premium = decimal_text()
    pct_growth = decimal_text()
    pct_recency = decimal_text()
    pct_attainment = decimal_text()


class HistoryQuery(Schema):
    limit = fields.Integer(load_default=24, validate=validate.Range(min=1, max=MAX_PAGE))


class DiscountSchema(Schema):
    scope = fields.String()
    origin = fields.String(allow_none=True)
    destination = fields.String(allow_none=True)
    cabin = fields.String()
    percent = decimal_text()


class IncentiveTierSchema(Schema):
    threshold_percent = decimal_text()
    rebate_percent = decimal_text()


class AgreementSchema(Schema):
    id = fields.Integer()
    number = fields.String()
    company_id = fields.Integer()
    status = fields.String(validate=validate.OneOf(AGREEMENT_STATUSES))
    valid_from = fields.Date()
    valid_to = fields.Date()
    commitment_revenue_fen = fields.Integer()
    commitment_segments = fields.Integer()
    entitlements = fields.List(fields.String())
    discounts = fields.List(fields.Nested(DiscountSchema))
    incentive_tiers = fields.List(fields.Nested(IncentiveTierSchema))
    approved_at = utc_datetime("approved_at")


class QuotaQuery(Schema):
    month = fields.String(
        validate=validate.Regexp(r"^\d{4}-(0[1-9]|1[0-2])$"),
        metadata={"description": "YYYY-MM; default: this month and the next two"},
    )


class QuotaSchema(Schema):
    id = fields.Integer()
    agreement_id = fields.Integer()
    origin = fields.String()
    destination = fields.String()
    cabin = fields.String()
    month = fields.Date()
    seats = fields.Integer()
    confirmed = fields.Integer()
    left = fields.Integer()
    waitlisted = fields.Integer()


class RequestQuery(Schema):
    status = fields.String(validate=validate.OneOf(("confirmed", "waitlisted", "cancelled", "expired")))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=MAX_PAGE))


class RequestInput(Schema):
    traveller_id = fields.Integer(required=True, validate=validate.Range(min=1, max=2**31 - 1))
    flight_number = fields.String(required=True, validate=validate.Length(min=1, max=10))
    flight_date = fields.Date(required=True)
    origin = fields.String(required=True, validate=validate.Length(equal=3))
    destination = fields.String(required=True, validate=validate.Length(equal=3))
    cabin = fields.String(required=True, validate=validate.OneOf(CABINS))
    departure_time = fields.Time(
        metadata={"description": "HH:MM (Beijing time); only for flights outside our timetable"}
    )
    services = fields.List(
        fields.String(validate=validate.OneOf(SERVICES)),
        load_default=list,
        validate=validate.Length(max=len(SERVICES)),
        metadata={"description": "per-trip services the company's agreement includes"},
    )


class RequestSchema(Schema):
    id = fields.Integer()
    company_id = fields.Integer()
    quota_id = fields.Integer()
    traveller_id = fields.Integer()
    traveller_name = fields.Function(lambda r: r.traveller.name)
    flight_number = fields.String()
    flight_date = fields.Date()
    departure_at = utc_datetime("departure_at")
    origin = fields.String()
    destination = fields.String()
    cabin = fields.String()
    status = fields.String()
    services = fields.Function(
        lambda r: sorted((row.service for row in r.services), key=SERVICES.index),
        metadata={"description": "per-trip services asked for with the request"},
    )
    requested_at = utc_datetime("requested_at")
    confirmed_at = utc_datetime("confirmed_at")
    cancelled_at = utc_datetime("cancelled_at")


class InteractionInput(Schema):
    kind = fields.String(required=True, validate=validate.OneOf(INTERACTION_KINDS))
    occurred_at = fields.DateTime(
        format="iso", metadata={"description": "ISO 8601 (UTC unless a zone is given); default: now"}
    )
    summary = fields.String(required=True, validate=validate.Length(min=1, max=4000))
    outcome = fields.String(validate=validate.Length(max=4000))
    next_step = fields.String(validate=validate.Length(max=4000))


class InteractionSchema(Schema):
    id = fields.Integer()
    company_id = fields.Integer()
    kind = fields.String()
    occurred_at = utc_datetime("occurred_at")
    summary = fields.String()
    outcome = fields.String(allow_none=True)
    next_step = fields.String(allow_none=True)


CELL_TYPES = {"type": ["string", "number"]}  # apispec adds "null" (allow_none)


def is_cell(value) -> bool:
    """Whether a spreadsheet cell could hold `value`: text, a finite number or nothing."""
    if value is None or isinstance(value, str):
        return True
    return isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)


def _is_cell(value) -> None:
    if not is_cell(value):
        raise ValidationError("Text or a number.")


def cell(description: str) -> fields.Raw:
    return fields.Raw(allow_none=True, validate=_is_cell, metadata={**CELL_TYPES, "description": description})


class SegmentInput(Schema):
    """One flown coupon, keyed by the booking import's English column names. Each value is
    checked exactly as the file import checks its cells (text or numbers), row by row: a
    missing or bad value rejects that row with the import's message, not the whole batch."""

    class Meta:
        # Keys other than these are left out, as the import leaves out columns it does not
        # know (only the documented keys reach the checks, each a text or a number).
        unknown = EXCLUDE

    ticket_number = cell("13 digits (required)")
    coupon_number = cell("1 to 4 (required)")
    credit_code = cell("this or agreement_number")
    agreement_number = cell("this or credit_code")
    traveller = cell("the traveller's name (required)")
    flight_number = cell("e.g. CA1501 (required)")
    flight_date = cell("YYYY-MM-DD (required)")
    origin = cell("IATA code (required)")
    destination = cell("IATA code (required)")
    cabin = cell("F, C, W or Y; this or fare_class")
    fare_class = cell("booking class, e.g. J")
    net_revenue = cell("CNY, e.g. 1234.50 (required)")
    distance_km = cell("default: the route's distance")


SEGMENT_KEYS = tuple(SegmentInput().fields)


class SegmentList(fields.List):
    """A list of SegmentInput. Rows that are plainly right (objects whose documented keys hold
    text, numbers or null) load as the nested schema would load them, without running it per
    row (5,000 rows a batch); any other list is loaded by the schema, with its messages."""

    def _deserialize(self, value, attr, data, **kwargs):
        if isinstance(value, list):
            rows = list(map(_plain_row, value))
            if None not in rows:
                return rows
        return super()._deserialize(value, attr, data, **kwargs)


def _plain_row(row) -> dict | None:
    """The documented keys of `row`, if it is an object whose documented keys hold text,
    numbers or null; else None."""
    if type(row) is not dict:
        return None
    plain = {}
    for key in SEGMENT_KEYS:
        if key in row:
            value = row[key]
            if type(value) is not str and not is_cell(value):  # text, the usual case, first
                return None
            plain[key] = value
    return plain


class SegmentBatch(Schema):
    segments = SegmentList(
        fields.Nested(SegmentInput),
        required=True,
        validate=validate.Length(min=1, max=MAX_SEGMENTS),
    )


class SegmentRowResult(Schema):
    index = fields.Integer(metadata={"description": "0-based position in `segments`"})
    result = fields.String(metadata={"description": "created, existing or rejected"})
    errors = fields.List(fields.Dict(), metadata={"description": "column and reason per problem"})


class SegmentReport(Schema):
    batch_id = fields.Integer(allow_none=True)
    total = fields.Integer()
    created = fields.Integer()
    existing = fields.Integer()
    rejected = fields.Integer()
    results = fields.List(fields.Nested(SegmentRowResult))


class WebhookInput(Schema):
    url = fields.String(required=True, validate=validate.Length(min=1, max=500))
    events = fields.List(
        fields.String(validate=validate.OneOf(tuple(EVENT_SCOPES))),
        required=True,
        validate=validate.Length(min=1, max=len(EVENT_SCOPES)),
    )


class WebhookSchema(Schema):
    id = fields.Integer()
    url = fields.String()
    events = fields.Function(
        lambda w: w.events.split(), metadata={"type": "array", "items": {"type": "string"}}
    )
    created_at = utc_datetime("created_at")


class WebhookCreated(WebhookSchema):
    secret = fields.String(metadata={"description": "Signs the deliveries; shown only in this answer."})
