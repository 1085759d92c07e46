"""Agreement services on SQLite and PostgreSQL: terms rules, lifecycle, renewal, expiry."""

from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.agreements import operations as ops
from portal.agreements.models import Agreement, AgreementEvent
from portal.agreements.operations import DiscountTerm, TierTerm
from portal.audit.models import AuditEvent
from portal.errors import NotAllowed, ValidationFailed
from tests import factories
from tests.agreements.helpers import TODAY, terms

pytestmark = pytest.mark.usefixtures("ctx")


def _messages(excinfo) -> str:
    return " ".join(m for ms in excinfo.value.reasons.values() for m in ms)


def _draft(world, actor=None, company=None, **kw) -> Agreement:
    return ops.create_draft(actor or world.manager_a1, company or world.company_a, terms(**kw), today=TODAY)


def _pending(world, **kw) -> Agreement:
    agreement = _draft(world, **kw)
    ops.submit(world.manager_a1, agreement, today=TODAY)
    return agreement


def _valid_between(db_session, company, first_day: int, last_day: int, **kw) -> Agreement:
    """An agreement of the company valid from TODAY + first_day to TODAY + last_day (days; in
    the past when negative)."""
    return factories.agreement(
        db_session,
        company,
        valid_from=TODAY + timedelta(days=first_day),
        valid_to=TODAY + timedelta(days=last_day),
        **kw,
    )


def _events(db_session, agreement):
    return db_session.scalars(
        select(AgreementEvent).where(AgreementEvent.agreement_id == agreement.id).order_by(AgreementEvent.id)
    ).all()


# --- drafts and terms --------------------------------------------------------------------


def test_create_draft_stores_terms_event_and_audit(db_session, world):
    agreement = _draft(world)
    assert agreement.status == "draft" and agreement.author_id == world.manager_a1.id
    assert agreement.number.startswith(f"AG{TODAY.year}-{world.company_a.id:05d}-")
    assert [(d.scope, d.origin, d.destination, d.cabin, d.percent) for d in agreement.discounts] == [
        ("domestic", None, None, "Y", Decimal("12.5")),
        ("city_pair", "PEK", "SHA", "C", Decimal("20")),
    ]
    assert [t.threshold_percent for t in agreement.incentive_tiers] == [80, 100, 120]
    assert agreement.priority_booking and agreement.lounge and not agreement.fast_track
    (event,) = _events(db_session, agreement)
    assert (event.from_status, event.to_status, event.actor_id) == (None, "draft", world.manager_a1.id)
    audited = {
        (a.entity, a.entity_id)
        for a in db_session.scalars(select(AuditEvent).where(AuditEvent.action == "create")).all()
    }
    assert ("agreement", agreement.id) in audited and ("agreement_event", event.id) in audited


def test_numbers_are_unique_per_company(db_session, world):
    first = _draft(world)
    second = _draft(world, valid_from=TODAY + timedelta(days=800))
    assert first.number != second.number


@pytest.mark.parametrize(
    ("changes", "field", "text"),
    [
        (
            dict(tiers=[TierTerm(Decimal(100), Decimal(2)), TierTerm(Decimal(80), Decimal(1))]),
            "incentive_tiers",
            "rise strictly",
        ),
        (
            dict(tiers=[TierTerm(Decimal(80), Decimal(1)), TierTerm(Decimal(80), Decimal(2))]),
            "incentive_tiers",
            "rise strictly",
        ),
        (
            dict(tiers=[TierTerm(Decimal(80), Decimal(3)), TierTerm(Decimal(100), Decimal(1))]),
            "incentive_tiers",
            "lower rebate",
        ),
        (dict(tiers=[TierTerm(Decimal(80), Decimal(101))]), "incentive_tiers", "between 0 and 100"),
        (
            dict(discounts=[DiscountTerm("domestic", "Y", Decimal("100.01"))]),
            "discounts",
            "between 0 and 100",
        ),
        (dict(discounts=[DiscountTerm("domestic", "Y", Decimal("-1"))]), "discounts", "between 0 and 100"),
        (dict(discounts=[DiscountTerm("domestic", "Z", Decimal("5"))]), "discounts", "choose a cabin"),
        (
            dict(discounts=[DiscountTerm("city_pair", "Y", Decimal("5"))]),
            "discounts",
            "origin and a destination",
        ),
        (
            dict(discounts=[DiscountTerm("city_pair", "Y", Decimal("5"), "PEK", "SHANGHAI")]),
            "discounts",
            "IATA",
        ),
        (
            dict(discounts=[DiscountTerm("domestic", "Y", Decimal("5"), "PEK", "SHA")]),
            "discounts",
            "only a city-pair",
        ),
        (
            dict(
                discounts=[
                    DiscountTerm("domestic", "Y", Decimal("5")),
                    DiscountTerm("domestic", "Y", Decimal("6")),
                ]
            ),
            "discounts",
            "repeats",
        ),
        (dict(valid_to=TODAY + timedelta(days=399)), "valid_to", "end after it starts"),
        (dict(valid_to=TODAY + timedelta(days=400)), "valid_to", "end after it starts"),
        (dict(commitment_revenue_fen=-1), "commitment_revenue", "zero or more"),
        (dict(commitment_revenue_fen=0), "incentive_tiers", "need a committed revenue"),
    ],
)
def test_bad_terms_are_refused(db_session, world, changes, field, text):
    with pytest.raises(ValidationFailed) as excinfo:
        _draft(world, **changes)
    assert field in excinfo.value.reasons
    assert text in " ".join(excinfo.value.reasons[field])
    assert db_session.scalar(select(Agreement).where(Agreement.status == "draft")) is None


def test_overlapping_validity_is_refused(db_session, world):
    # agreement_a is active from today - 100 days to today + 265 days.
    with pytest.raises(ValidationFailed) as excinfo:
        _draft(world, valid_from=TODAY + timedelta(days=200))
    assert world.agreement_a.number in _messages(excinfo)
    # Touching the last day overlaps too (both ends are days of validity) ...
    with pytest.raises(ValidationFailed):
        _draft(world, valid_from=world.agreement_a.valid_to)
    # ... the next day does not.
    assert _draft(world, valid_from=world.agreement_a.valid_to + timedelta(days=1)).status == "draft"


def test_pending_agreements_block_overlaps_too(db_session, world):
    _pending(world)
    with pytest.raises(ValidationFailed) as excinfo:
        _draft(world, valid_from=TODAY + timedelta(days=500))
    assert "Pending approval" in _messages(excinfo)


def test_drafts_do_not_block_each_other_until_submitted(db_session, world):
    first = _draft(world)
    second = _draft(world)  # same period: allowed as drafts
    ops.submit(world.manager_a1, first, today=TODAY)
    with pytest.raises(ValidationFailed) as excinfo:
        ops.submit(world.manager_a1, second, today=TODAY)
    assert first.number in str(excinfo.value)


def test_update_terms_replaces_rows(db_session, world):
    agreement = _draft(world)
    new = terms(
        discounts=[DiscountTerm("international", "F", Decimal("8"))],
        tiers=[TierTerm(Decimal(100), Decimal(2)), TierTerm(Decimal(120), Decimal(3))],
        entitlements={"fast_track"},
    )
    ops.update_terms(world.manager_a1, agreement, new)
    db_session.expire_all()
    assert [(d.scope, d.cabin) for d in agreement.discounts] == [("international", "F")]
    assert [t.threshold_percent for t in agreement.incentive_tiers] == [100, 120]
    assert agreement.entitlements == ["fast_track"]


def test_only_drafts_are_editable(db_session, world):
    with pytest.raises(ValidationFailed) as excinfo:
        ops.update_terms(world.manager_a1, world.agreement_a, terms())
    assert "Only drafts can be edited" in str(excinfo.value)


def test_only_those_who_may_change_the_company_create(db_session, world):
    for user in (world.manager_a2, world.management, world.head_b, world.booker_a):
        with pytest.raises(NotAllowed):
            _draft(world, actor=user)


# --- the lifecycle -----------------------------------------------------------------------


def test_submit_approve_writes_events_with_actor_time_note(db_session, world):
    agreement = _pending(world)
    ops.approve(world.head_a, agreement, today=TODAY, note="OK for 2027")
    assert agreement.status == "active"
    assert agreement.approved_by_id == world.head_a.id and agreement.approved_at is not None
    events = _events(db_session, agreement)
    assert [(e.from_status, e.to_status) for e in events] == [
        (None, "draft"),
        ("draft", "pending_approval"),
        ("pending_approval", "active"),
    ]
    assert [e.actor_id for e in events] == [world.manager_a1.id, world.manager_a1.id, world.head_a.id]
    assert events[-1].note == "OK for 2027" and all(e.at is not None for e in events)


def test_self_approval_is_refused(db_session, world):
    agreement = ops.create_draft(world.head_a, world.company_a, terms(), today=TODAY)
    ops.submit(world.head_a, agreement, today=TODAY)
    with pytest.raises(ValidationFailed) as excinfo:
        ops.approve(world.head_a, agreement, today=TODAY)
    assert "cannot approve it yourself" in str(excinfo.value)
    assert agreement.status == "pending_approval"
    ops.approve(world.admin, agreement, today=TODAY)  # someone else may
    assert agreement.status == "active"


def test_submitter_cannot_approve_either(db_session, world):
    agreement = _draft(world)  # written by the manager
    ops.submit(world.head_a, agreement, today=TODAY)  # submitted by the head
    with pytest.raises(ValidationFailed, match="yourself"):
        ops.approve(world.head_a, agreement, today=TODAY)


@pytest.mark.parametrize("approver", ["head_b", "manager_a1", "management"])
def test_only_the_branch_head_or_admin_approves(db_session, world, approver):
    agreement = _pending(world)
    with pytest.raises(NotAllowed, match="head of the company's branch"):
        ops.approve(getattr(world, approver), agreement, today=TODAY)
    assert agreement.status == "pending_approval"


ILLEGAL = [
    ("submit", "pending_approval", "Only a draft can be submitted"),
    ("submit", "active", "Only a draft can be submitted"),
    ("submit", "expired", "Only a draft can be submitted"),
    ("submit", "terminated", "Only a draft can be submitted"),
    ("approve", "draft", "Only an agreement pending approval can be approved"),
    ("approve", "active", "Only an agreement pending approval can be approved"),
    ("approve", "expired", "Only an agreement pending approval can be approved"),
    ("approve", "terminated", "Only an agreement pending approval can be approved"),
    ("reject", "draft", "Only an agreement pending approval can be rejected"),
    ("reject", "active", "Only an agreement pending approval can be rejected"),
    ("terminate", "draft", "Only an active agreement can be terminated"),
    ("terminate", "pending_approval", "Only an active agreement can be terminated"),
    ("terminate", "expired", "Only an active agreement can be terminated"),
    ("terminate", "terminated", "Only an active agreement can be terminated"),
    ("renew", "draft", "Only an active or expired agreement can be renewed"),
    ("renew", "pending_approval", "Only an active or expired agreement can be renewed"),
    ("renew", "terminated", "Only an active or expired agreement can be renewed"),
]


@pytest.mark.parametrize(("action", "status", "message"), ILLEGAL)
def test_illegal_transitions_are_refused_with_a_message(db_session, world, action, status, message):
    agreement = _valid_between(db_session, world.company_a2, 10, 300, status=status)
    calls = {
        "submit": lambda: ops.submit(world.admin, agreement, today=TODAY),
        "approve": lambda: ops.approve(world.admin, agreement, today=TODAY),
        "reject": lambda: ops.reject(world.admin, agreement, "no"),
        "terminate": lambda: ops.terminate(world.admin, agreement, "breach"),
        "renew": lambda: ops.renew(world.admin, agreement, today=TODAY),
    }
    with pytest.raises(ValidationFailed) as excinfo:
        calls[action]()
    assert message in str(excinfo.value)
    assert agreement.status == status
    assert _events(db_session, agreement) == []


def test_reject_needs_a_reason_and_returns_to_draft(db_session, world):
    agreement = _pending(world)
    with pytest.raises(ValidationFailed) as excinfo:
        ops.reject(world.head_a, agreement, "   ")
    assert "reason" in excinfo.value.reasons
    ops.reject(world.head_a, agreement, "Discount on PEK-SHA is too deep.")
    assert agreement.status == "draft"
    assert _events(db_session, agreement)[-1].note == "Discount on PEK-SHA is too deep."
    ops.update_terms(world.manager_a1, agreement, terms(internal_notes="fixed"))  # editable again


def test_terminate_active_with_reason(db_session, world):
    with pytest.raises(ValidationFailed):
        ops.terminate(world.head_a, world.agreement_a, "")
    ops.terminate(world.head_a, world.agreement_a, "Company closed its Beijing office.")
    assert world.agreement_a.status == "terminated"
    event = _events(db_session, world.agreement_a)[-1]
    assert (event.from_status, event.to_status, event.actor_id) == ("active", "terminated", world.head_a.id)


def test_submit_refuses_an_agreement_that_already_ended(db_session, world):
    agreement = _valid_between(db_session, world.company_a2, -400, -40, status="draft")
    with pytest.raises(ValidationFailed, match="validity ended"):
        ops.submit(world.manager_a1, agreement, today=TODAY)


def test_a_concurrent_change_is_refused(db_session, world):
    agreement = _pending(world)
    # Another request approved it meanwhile: the row no longer has the status we loaded.
    db_session.execute(
        Agreement.__table__.update().where(Agreement.__table__.c.id == agreement.id).values(status="active")
    )
    with pytest.raises(ValidationFailed, match="meanwhile"):
        ops.approve(world.head_a, agreement, today=TODAY)


# --- renewal and expiry ------------------------------------------------------------------


def test_renewal_copies_terms_into_a_linked_draft_a_year_later(db_session, world):
    old = world.agreement_a
    old.incentive_tiers.append(ops.IncentiveTier(threshold_percent=Decimal(90), rebate_percent=Decimal(2)))
    old.internal_notes = "internal"
    db_session.flush()
    renewal = ops.renew(world.manager_a1, old, today=TODAY)
    assert renewal.status == "draft" and renewal.renewed_from_id == old.id
    # The factory's agreement runs 366 days (both ends inclusive): the renewal starts the day
    # after it ends rather than overlap it by a day.
    assert renewal.valid_from == old.valid_to + timedelta(days=1)
    assert renewal.valid_to == ops.add_years(old.valid_to, 1)
    assert renewal.commitment_revenue_fen == old.commitment_revenue_fen
    assert [(d.scope, d.cabin, d.percent) for d in renewal.discounts] == [
        (d.scope, d.cabin, d.percent) for d in old.discounts
    ]
    assert [t.threshold_percent for t in renewal.incentive_tiers] == [90]
    assert renewal.entitlements == old.entitlements and renewal.internal_notes is None
    assert old.number in _events(db_session, renewal)[0].note
    with pytest.raises(ValidationFailed, match="already renewed"):
        ops.renew(world.manager_a1, old, today=TODAY)
    # The renewal goes through the same approval.
    ops.submit(world.manager_a1, renewal, today=TODAY)
    ops.approve(world.head_a, renewal, today=TODAY)
    assert renewal.status == "active"


def test_expire_due_is_by_date_and_idempotent(db_session, world):
    past = _valid_between(db_session, world.company_a2, -400, -1)
    last_day = _valid_between(db_session, world.company_b, -1200, -900)
    draft_past = _valid_between(db_session, world.company_b, -800, -500, status="draft")
    assert ops.expire_due(TODAY) == 2
    assert (past.status, last_day.status, draft_past.status) == ("expired", "expired", "draft")
    assert world.agreement_a.status == "active"  # still valid today
    event = _events(db_session, past)[-1]
    assert (event.from_status, event.to_status, event.actor_id) == ("active", "expired", None)
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "agreement", AuditEvent.entity_id == past.id)
    ).all()
    assert any(a.after == {"status": "expired"} for a in audited)
    assert ops.expire_due(TODAY) == 0  # idempotent
    assert len(_events(db_session, past)) == 1
    # The day after the last day of validity, agreement_a expires too.
    assert ops.expire_due(world.agreement_a.valid_to) == 0
    assert ops.expire_due(world.agreement_a.valid_to + timedelta(days=1)) == 2  # agreement_a and _b
    assert world.agreement_a.status == "expired"


def test_expired_agreement_renews_shifted_by_a_year(db_session, world):
    old = factories.agreement(
        db_session, world.company_a2, valid_from=date(2024, 3, 1), valid_to=date(2025, 2, 28)
    )
    ops.expire_due(TODAY)
    renewal = ops.renew(world.manager_a1, old, today=TODAY)
    assert (renewal.valid_from, renewal.valid_to) == (date(2025, 3, 1), date(2026, 2, 28))
