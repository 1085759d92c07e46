"""Agreement operations: drafts and their terms, the lifecycle, renewal, expiry, documents.

Every function checks its rules, changes rows and flushes; none commits (the route or the
job does). Rules broken by input raise ValidationFailed, actors without the right raise
NotAllowed; both carry a message a person can act on. Who may act is decided by the
predicates of portal.agreements.access, which the pages ask too. Every status change and every
change of terms writes an AgreementEvent (the agreement's history); the audit trail records
every row change through its flush hook.
"""

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal

from flask_babel import gettext as _
from sqlalchemy import select, update
from sqlalchemy.orm import joinedload

from portal.agreements import access
from portal.agreements.attainment import add_years
from portal.agreements.models import (
    CABINS,
    DISCOUNT_SCOPES,
    ENTITLEMENTS,
    Agreement,
    AgreementDiscount,
    AgreementEvent,
    IncentiveTier,
)
from portal.airports import is_iata_code
from portal.api import webhooks
from portal.audit.trail import record_bulk
from portal.auth.models import User
from portal.companies.access import may_change
from portal.companies.models import Company, Document, DocumentVersion
from portal.db import claim_row, utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.org.models import SalesOffice

MAX_PERCENT = Decimal(100)
MAX_THRESHOLD = Decimal(1000)
MAX_COMMITMENT_FEN = 10**15  # 10 trillion yuan: far above any account, far below BigInteger


@dataclass
class DiscountTerm:
    """One discount row as entered: scope, route (city pairs only), cabin, percent."""

    scope: str | None
    cabin: str | None
    percent: Decimal | None
    origin: str | None = None
    destination: str | None = None


@dataclass
class TierTerm:
    """One incentive tier as entered: attainment threshold and rebate, in percent."""

    threshold: Decimal | None
    rebate: Decimal | None


@dataclass
class Terms:
    """Everything the terms editor sets on an agreement."""

    valid_from: date | None
    valid_to: date | None
    commitment_revenue_fen: int = 0
    commitment_segments: int = 0
    discounts: list[DiscountTerm] = field(default_factory=list)
    tiers: list[TierTerm] = field(default_factory=list)
    entitlements: set[str] = field(default_factory=set)
    internal_notes: str | None = None

    @classmethod
    def of(cls, agreement: Agreement) -> "Terms":
        """The terms an agreement has now."""
        return cls(
            valid_from=agreement.valid_from,
            valid_to=agreement.valid_to,
            commitment_revenue_fen=agreement.commitment_revenue_fen,
            commitment_segments=agreement.commitment_segments,
            discounts=[
                DiscountTerm(d.scope, d.cabin, d.percent, d.origin, d.destination)
                for d in agreement.discounts
            ],
            tiers=[TierTerm(t.threshold_percent, t.rebate_percent) for t in agreement.incentive_tiers],
            entitlements=set(agreement.entitlements),
            internal_notes=agreement.internal_notes,
        )


# --- who may do what: the predicates are in portal.agreements.access ----------------------


def _require_change(actor: User, agreement_or_company) -> None:
    company = getattr(agreement_or_company, "company", agreement_or_company)
    if not may_change(actor, company):
        raise NotAllowed(_("You may not change this company's agreements."))


def _require_decider(actor: User, agreement: Agreement) -> None:
    if not access.may_decide(actor, agreement.company):
        raise NotAllowed(
            _("Only the head of the company's branch or an administrator may decide on its agreements.")
        )


# --- validation --------------------------------------------------------------------------


def overlapping(company_id: int, valid_from: date, valid_to: date, exclude_id: int | None = None):
    """An active or pending agreement of the company whose validity overlaps the period."""
    stmt = select(Agreement).where(
        Agreement.company_id == company_id,
        Agreement.status.in_(("active", "pending_approval")),
        Agreement.valid_from <= valid_to,
        Agreement.valid_to >= valid_from,
    )
    if exclude_id is not None:
        stmt = stmt.where(Agreement.id != exclude_id)
    return db.session.scalars(stmt.order_by(Agreement.valid_from).limit(1)).first()


def _discount_problems(rows: list[DiscountTerm]) -> list[str]:
    problems = []
    seen = set()
    for n, row in enumerate(rows, start=1):
        where = _("Discount row %(n)s", n=n)
        if row.scope not in DISCOUNT_SCOPES:
            problems.append(_("%(where)s: choose a scope.", where=where))
            continue
        if row.cabin not in CABINS:
            problems.append(_("%(where)s: choose a cabin (F, C, W or Y).", where=where))
        if row.percent is None:
            problems.append(_("%(where)s: enter the discount in percent.", where=where))
        elif not (0 <= row.percent <= MAX_PERCENT):
            problems.append(_("%(where)s: a discount is between 0 and 100 percent.", where=where))
        origin = (row.origin or "").strip().upper() or None
        destination = (row.destination or "").strip().upper() or None
        if row.scope == "city_pair":
            if not (origin and destination):
                problems.append(_("%(where)s: a city pair needs an origin and a destination.", where=where))
            elif not (is_iata_code(origin) and is_iata_code(destination)):
                problems.append(_("%(where)s: airports are three-letter IATA codes, e.g. PEK.", where=where))
            elif origin == destination:
                problems.append(_("%(where)s: origin and destination must differ.", where=where))
        elif origin or destination:
            problems.append(
                _("%(where)s: only a city-pair discount names an origin and destination.", where=where)
            )
        key = (row.scope, origin, destination, row.cabin)
        if key in seen:
            problems.append(_("%(where)s repeats an earlier row's scope, route and cabin.", where=where))
        seen.add(key)
    return problems


def _tier_problems(rows: list[TierTerm]) -> list[str]:
    problems = []
    previous: TierTerm | None = None
    for n, row in enumerate(rows, start=1):
        where = _("Tier %(n)s", n=n)
        if row.threshold is None or row.rebate is None:
            problems.append(_("%(where)s: enter both the attainment threshold and the rebate.", where=where))
            continue
        if not (0 < row.threshold <= MAX_THRESHOLD):
            problems.append(_("%(where)s: a threshold is above 0 and at most 1000 percent.", where=where))
        if not (0 <= row.rebate <= MAX_PERCENT):
            problems.append(_("%(where)s: a rebate is between 0 and 100 percent.", where=where))
        if previous is not None:
            if row.threshold <= previous.threshold:
                problems.append(
                    _(
                        "%(where)s: thresholds must rise strictly from tier to tier "
                        "(%(this)s%% is not above %(previous)s%%).",
                        where=where,
                        this=row.threshold,
                        previous=previous.threshold,
                    )
                )
            elif row.rebate < previous.rebate:
                problems.append(_("%(where)s: a higher tier cannot earn a lower rebate.", where=where))
        previous = row
    return problems


def validate_terms(terms: Terms, *, company_id: int, agreement_id: int | None = None) -> None:
    """Raise ValidationFailed with every problem of the terms (field name -> messages)."""
    reasons: dict[str | None, list[str]] = {}

    def add(name, message):
        reasons.setdefault(name, []).append(message)

    if terms.valid_from is None:
        add("valid_from", _("Enter the first day of validity."))
    if terms.valid_to is None:
        add("valid_to", _("Enter the last day of validity."))
    if terms.valid_from and terms.valid_to:
        if terms.valid_to <= terms.valid_from:
            add("valid_to", _("The agreement must end after it starts."))
        elif terms.valid_to > add_years(terms.valid_from, 5):
            add("valid_to", _("An agreement runs for at most five years."))
        else:
            other = overlapping(company_id, terms.valid_from, terms.valid_to, exclude_id=agreement_id)
            if other is not None:
                add(
                    "valid_to",
                    _(
                        "The validity overlaps agreement %(number)s (%(status)s, %(start)s to %(end)s); "
                        "a company has one agreement at a time.",
                        number=other.number,
                        status=label(other.status, "agreement_status"),
                        start=other.valid_from.isoformat(),
                        end=other.valid_to.isoformat(),
                    ),
                )
    if not (0 <= terms.commitment_revenue_fen <= MAX_COMMITMENT_FEN):
        add("commitment_revenue", _("The committed revenue must be zero or more."))
    if not (0 <= terms.commitment_segments <= 10_000_000):
        add("commitment_segments", _("The committed segments must be zero or more."))
    for problem in _discount_problems(terms.discounts):
        add("discounts", problem)
    for problem in _tier_problems(terms.tiers):
        add("incentive_tiers", problem)
    if terms.tiers and terms.commitment_revenue_fen <= 0:
        add("incentive_tiers", _("Incentive tiers need a committed revenue to measure attainment against."))
    unknown = set(terms.entitlements) - set(ENTITLEMENTS)
    if unknown:
        add(None, _("Unknown entitlements: %(names)s.", names=", ".join(sorted(unknown))))
    if reasons:
        raise ValidationFailed(reasons)


# --- drafts and terms --------------------------------------------------------------------


def _next_number(company_id: int, year: int) -> str:
    prefix = f"AG{year}-{company_id:05d}-"
    taken = set(db.session.scalars(select(Agreement.number).where(Agreement.number.like(f"{prefix}%"))))
    n = 1
    while f"{prefix}{n:02d}" in taken:
        n += 1
    return f"{prefix}{n:02d}"


def _event(agreement: Agreement, from_status: str | None, to_status: str, actor: User | None, note=None):
    event = AgreementEvent(
        agreement=agreement,
        from_status=from_status,
        to_status=to_status,
        actor_id=actor.id if actor else None,
        at=utcnow(),
        note=(note or "").strip() or None,
    )
    db.session.add(event)
    return event


def _apply_terms(agreement: Agreement, terms: Terms) -> None:
    agreement.valid_from = terms.valid_from
    agreement.valid_to = terms.valid_to
    agreement.commitment_revenue_fen = terms.commitment_revenue_fen
    agreement.commitment_segments = terms.commitment_segments
    for name in ENTITLEMENTS:
        setattr(agreement, name, name in terms.entitlements)
    agreement.internal_notes = (terms.internal_notes or "").strip() or None

    discounts = [
        (
            d.scope,
            (d.origin or "").strip().upper() or None,
            (d.destination or "").strip().upper() or None,
            d.cabin,
            Decimal(d.percent),
        )
        for d in terms.discounts
    ]
    current = [(d.scope, d.origin, d.destination, d.cabin, Decimal(d.percent)) for d in agreement.discounts]
    if discounts != current:
        agreement.discounts.clear()
        db.session.flush()  # old rows go before new ones are written
        for scope, origin, destination, cabin, percent in discounts:
            agreement.discounts.append(
                AgreementDiscount(
                    scope=scope, origin=origin, destination=destination, cabin=cabin, percent=percent
                )
            )
    tiers = [(Decimal(t.threshold), Decimal(t.rebate)) for t in terms.tiers]
    current_tiers = [
        (Decimal(t.threshold_percent), Decimal(t.rebate_percent)) for t in agreement.incentive_tiers
    ]
    if tiers != current_tiers:
        agreement.incentive_tiers.clear()
        db.session.flush()  # (agreement, threshold) is unique: delete before inserting again
        for threshold, rebate in tiers:
            agreement.incentive_tiers.append(
                IncentiveTier(threshold_percent=threshold, rebate_percent=rebate)
            )


def create_draft(actor: User, company: Company, terms: Terms, *, today: date) -> Agreement:
    """A new draft agreement for the company with the given terms."""
    _require_change(actor, company)
    validate_terms(terms, company_id=company.id)
    agreement = Agreement(
        number=_next_number(company.id, today.year),
        company=company,
        status="draft",
        author_id=actor.id,
        valid_from=terms.valid_from,
        valid_to=terms.valid_to,
    )
    db.session.add(agreement)
    _apply_terms(agreement, terms)
    _event(agreement, None, "draft", actor, _("Draft created."))
    db.session.flush()
    return agreement


def _decimal_text(value) -> str:
    """A percentage as plain text, the same however it was written (12.5, 12.50)."""
    return format(Decimal(value).normalize(), "f")


def plain_terms(terms: Terms) -> dict:
    """The terms as plain JSON values, one per term, in the form the history keeps them."""
    return {
        "valid_from": terms.valid_from.isoformat() if terms.valid_from else None,
        "valid_to": terms.valid_to.isoformat() if terms.valid_to else None,
        "commitment_revenue_fen": terms.commitment_revenue_fen,
        "commitment_segments": terms.commitment_segments,
        "discounts": [
            {
                "scope": d.scope,
                "origin": d.origin,
                "destination": d.destination,
                "cabin": d.cabin,
                "percent": _decimal_text(d.percent),
            }
            for d in terms.discounts
        ],
        "tiers": [
            {"threshold": _decimal_text(t.threshold), "rebate": _decimal_text(t.rebate)} for t in terms.tiers
        ],
        "entitlements": [name for name in ENTITLEMENTS if name in terms.entitlements],
        "internal_notes": terms.internal_notes,
    }


def terms_changes(before: Terms, after: Terms) -> dict:
    """Each term that differs: {name: {"before": ..., "after": ...}} in plain JSON values."""
    old, new = plain_terms(before), plain_terms(after)
    return {name: {"before": old[name], "after": new[name]} for name in old if old[name] != new[name]}


def update_terms(actor: User, agreement: Agreement, terms: Terms) -> None:
    """Replace a draft's terms; a change is an event on the agreement's history (who, when,
    what changed), and whoever makes one may no longer approve the agreement."""
    if not access.may_edit(actor, agreement):
        _require_change(actor, agreement)
        raise ValidationFailed(
            _(
                "Only drafts can be edited; this agreement is %(status)s.",
                status=label(agreement.status, "agreement_status"),
            )
        )
    validate_terms(terms, company_id=agreement.company_id, agreement_id=agreement.id)
    before = Terms.of(agreement)
    _apply_terms(agreement, terms)
    changes = terms_changes(before, Terms.of(agreement))
    if changes:
        event = _event(agreement, agreement.status, agreement.status, actor)
        event.kind = "terms"
        event.changes = changes
    db.session.flush()


# --- the lifecycle -----------------------------------------------------------------------

TRANSITIONS = {
    "submit": ("draft", "pending_approval"),
    "approve": ("pending_approval", "active"),
    "reject": ("pending_approval", "draft"),
    "terminate": ("active", "terminated"),
    "expire": ("active", "expired"),
}


def _illegal(action: str, agreement: Agreement) -> ValidationFailed:
    status = label(agreement.status, "agreement_status")
    messages = {
        "submit": _(
            "Only a draft can be submitted for approval; this agreement is %(status)s.", status=status
        ),
        "approve": _(
            "Only an agreement pending approval can be approved; this one is %(status)s.", status=status
        ),
        "reject": _(
            "Only an agreement pending approval can be rejected; this one is %(status)s.", status=status
        ),
        "terminate": _("Only an active agreement can be terminated; this one is %(status)s.", status=status),
        "expire": _("Only an active agreement can expire; this one is %(status)s.", status=status),
        "renew": _(
            "Only an active or expired agreement can be renewed; this one is %(status)s.", status=status
        ),
    }
    return ValidationFailed(messages[action])


def _transition(action: str, agreement: Agreement, actor: User | None, note: str | None = None) -> None:
    """Move the agreement along `action`, refusing if another request moved it first."""
    source, target = TRANSITIONS[action]
    if agreement.status != source:
        raise _illegal(action, agreement)
    if not claim_row(db.session, Agreement, agreement.id, status=source):
        raise ValidationFailed(_("Someone else changed this agreement meanwhile; reload the page."))
    agreement.status = target
    _event(agreement, source, target, actor, note)


def _check_current(agreement: Agreement, today: date) -> None:
    if agreement.valid_to < today:
        raise ValidationFailed(
            _(
                "The validity ended on %(end)s; change the dates before going on.",
                end=agreement.valid_to.isoformat(),
            )
        )
    other = overlapping(
        agreement.company_id, agreement.valid_from, agreement.valid_to, exclude_id=agreement.id
    )
    if other is not None:
        raise ValidationFailed(
            _(
                "The validity overlaps agreement %(number)s (%(status)s); "
                "a company has one agreement at a time.",
                number=other.number,
                status=label(other.status, "agreement_status"),
            )
        )


def submit(actor: User, agreement: Agreement, *, today: date, note: str | None = None) -> None:
    """Draft -> pending approval (by whoever may change the company: its manager, head, admin)."""
    if not access.may_edit(actor, agreement):
        _require_change(actor, agreement)
        raise _illegal("submit", agreement)
    validate_terms(Terms.of(agreement), company_id=agreement.company_id, agreement_id=agreement.id)
    _check_current(agreement, today)
    _transition("submit", agreement, actor, note or _("Submitted for approval."))
    db.session.flush()


def approve(actor: User, agreement: Agreement, *, today: date, note: str | None = None) -> None:
    """Pending approval -> active, by the branch head or an admin who neither wrote, nor
    submitted, nor changed the terms of it (access.may_approve)."""
    if not access.may_approve(actor, agreement):
        _require_decider(actor, agreement)
        if agreement.status != "pending_approval":
            raise _illegal("approve", agreement)
        raise ValidationFailed(
            _(
                "You wrote, submitted or changed the terms of this agreement, so you cannot approve "
                "it yourself: another branch head or an administrator must approve it."
            )
        )
    # Serialise approvals of one company's agreements (PostgreSQL), so two overlapping
    # agreements cannot both become active; SQLite write transactions are serial anyway.
    db.session.execute(select(Company.id).where(Company.id == agreement.company_id).with_for_update())
    _check_current(agreement, today)
    _transition("approve", agreement, actor, note or _("Approved."))
    agreement.approved_by_id = actor.id
    agreement.approved_at = utcnow()
    db.session.flush()
    webhooks.emit(
        "agreement.activated",
        agreement.company_id,
        {
            "agreement_id": agreement.id,
            "number": agreement.number,
            "valid_from": agreement.valid_from.isoformat(),
            "valid_to": agreement.valid_to.isoformat(),
        },
        key=str(agreement.id),
    )


def reject(actor: User, agreement: Agreement, reason: str) -> None:
    """Pending approval -> draft, with the reason the author needs to fix it."""
    if not access.may_reject(actor, agreement):
        _require_decider(actor, agreement)
        raise _illegal("reject", agreement)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Say why, so the author can fix the agreement.")]})
    _transition("reject", agreement, actor, reason)
    db.session.flush()


def terminate(actor: User, agreement: Agreement, reason: str) -> None:
    """Active -> terminated before its end, with the reason."""
    if not access.may_terminate(actor, agreement):
        _require_decider(actor, agreement)
        raise _illegal("terminate", agreement)
    if not (reason or "").strip():
        raise ValidationFailed({"reason": [_("Give the reason for the termination.")]})
    _transition("terminate", agreement, actor, reason)
    db.session.flush()


def renew(actor: User, agreement: Agreement, *, today: date) -> Agreement:
    """A new draft linked to an active or expired agreement, its terms copied and its validity
    shifted by one year (starting the day after the old one ends, at the earliest)."""
    if not access.may_renew(actor, agreement):
        _require_change(actor, agreement)
        if agreement.status not in ("active", "expired"):
            raise _illegal("renew", agreement)
        raise ValidationFailed(
            _(
                "This agreement is already renewed by %(number)s.",
                number=access.live_renewal(agreement).number,
            )
        )
    terms = Terms.of(agreement)
    # Shifted by a year; it starts no earlier than the day after the old one ends, so a
    # renewal never overlaps the agreement it renews.
    terms.valid_from = max(add_years(agreement.valid_from, 1), agreement.valid_to + timedelta(days=1))
    terms.valid_to = add_years(agreement.valid_to, 1)
    terms.internal_notes = None
    renewal = Agreement(
        number=_next_number(agreement.company_id, today.year),
        company=agreement.company,
        status="draft",
        author_id=actor.id,
        renewed_from_id=agreement.id,
        valid_from=terms.valid_from,
        valid_to=terms.valid_to,
    )
    db.session.add(renewal)
    _apply_terms(renewal, terms)
    _event(renewal, None, "draft", actor, _("Renewal of %(number)s.", number=agreement.number))
    db.session.flush()
    return renewal


def expire_due(today: date) -> int:
    """Active agreements whose validity ended before `today` become expired; returns how many.

    Idempotent: a second run finds nothing to do. Each row is claimed with a conditional
    UPDATE, so two runs at once never expire (or record) an agreement twice.
    """
    due = db.session.execute(
        select(Agreement.id, Agreement.company_id, Agreement.valid_to).where(
            Agreement.status == "active", Agreement.valid_to < today
        )
    ).all()
    changes = []
    for agreement_id, company_id, valid_to in due:
        claimed = db.session.execute(
            update(Agreement)
            .where(Agreement.id == agreement_id, Agreement.status == "active")
            .values(status="expired", updated_at=utcnow())
            .execution_options(synchronize_session="evaluate")
        ).rowcount
        if claimed != 1:
            continue
        db.session.add(
            AgreementEvent(
                agreement_id=agreement_id,
                from_status="active",
                to_status="expired",
                actor_id=None,
                at=utcnow(),
                note=f"Validity ended on {valid_to.isoformat()}.",
            )
        )
        changes.append((agreement_id, company_id, {"status": "active"}, {"status": "expired"}))
    # The UPDATEs above bypass the flush hook: audit them in bulk.
    record_bulk("agreement", changes)
    db.session.flush()
    return len(changes)


# --- documents ---------------------------------------------------------------------------


def add_document_version(
    actor: User,
    agreement: Agreement,
    *,
    kind: str,
    filename: str,
    stored_name: str,
    content_type: str,
    size_bytes: int,
    sha256: str,
    template_version: str | None = None,
) -> DocumentVersion:
    """Record a stored file as the next version of the agreement's document of `kind`
    ("agreement" for rendered PDFs, "signed_scan" for uploads)."""
    _require_change(actor, agreement)
    document = db.session.scalars(
        select(Document)
        .where(Document.agreement_id == agreement.id, Document.kind == kind, Document.deleted_at.is_(None))
        .order_by(Document.id)
        .limit(1)
    ).first()
    if document is None:
        title = (
            f"{agreement.number} 协议文本 Agreement"
            if kind == "agreement"
            else f"{agreement.number} 签署扫描件 Signed scan"
        )
        document = Document(
            company_id=agreement.company_id, agreement_id=agreement.id, kind=kind, title=title
        )
        db.session.add(document)
        db.session.flush()
    latest = db.session.scalar(
        select(DocumentVersion.version)
        .where(DocumentVersion.document_id == document.id)
        .order_by(DocumentVersion.version.desc())
        .limit(1)
    )
    version = DocumentVersion(
        document=document,
        version=(latest or 0) + 1,
        filename=filename[:255],
        stored_name=stored_name,
        content_type=content_type,
        size_bytes=size_bytes,
        sha256=sha256,
        uploaded_by_id=actor.id,
        uploaded_at=utcnow(),
    )
    db.session.add(version)
    if template_version is not None:
        agreement.template_version = template_version
    db.session.flush()
    return version


def load_for_change(agreement_id: int) -> Agreement | None:
    """The agreement with its company, office and terms, for an operation."""
    return db.session.scalar(
        select(Agreement)
        .where(Agreement.id == agreement_id)
        .options(joinedload(Agreement.company).joinedload(Company.office).joinedload(SalesOffice.branch))
    )
