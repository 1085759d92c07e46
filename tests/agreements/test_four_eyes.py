"""Four eyes over an agreement's terms, on SQLite and PostgreSQL, without HTTP: every change of
terms is an event on the agreement's history, and nobody who wrote, submitted or changed the
terms approves them; the predicates of portal.agreements.access and the services agree."""

from datetime import timedelta
from decimal import Decimal

import pytest
from sqlalchemy import select

from portal.agreements import access
from portal.agreements import operations as ops
from portal.agreements.models import AgreementEvent
from portal.agreements.operations import DiscountTerm
from portal.audit.models import AuditEvent
from portal.errors import NotAllowed, ValidationFailed
from tests import factories
from tests.agreements.helpers import TODAY, terms

pytestmark = pytest.mark.usefixtures("ctx")


def _terms_events(db_session, agreement) -> list[AgreementEvent]:
    return db_session.scalars(
        select(AgreementEvent)
        .where(AgreementEvent.agreement_id == agreement.id, AgreementEvent.kind == "terms")
        .order_by(AgreementEvent.id)
    ).all()


@pytest.fixture()
def heads(db_session, world):
    """Two more heads of branch A, so that each hand in an agreement can be a head's."""
    return [factories.user(db_session, "branch_head", world.office_a) for _ in range(2)]


def _raised(percent: str, origin: str, destination: str, entitlements: list[str]):
    """The helper's terms with a larger commitment, the domestic discount at `percent`, and
    fast track added (written in the given ways)."""
    return terms(
        commitment_revenue_fen=1_200_000_00,
        discounts=[
            DiscountTerm("domestic", "Y", Decimal(percent)),
            DiscountTerm("city_pair", "C", Decimal("20"), origin, destination),
        ],
        entitlements=set(entitlements),
    )


def test_a_change_of_terms_is_an_event_saying_who_when_and_what(db_session, world):
    agreement = ops.create_draft(world.manager_a1, world.company_a, terms(), today=TODAY)
    ops.update_terms(
        world.head_a, agreement, _raised("15", "pek", "sha", ["priority_booking", "lounge", "fast_track"])
    )

    (event,) = _terms_events(db_session, agreement)
    assert (event.actor_id, event.from_status, event.to_status) == (world.head_a.id, "draft", "draft")
    assert event.at is not None
    assert event.changes == {
        "commitment_revenue_fen": {"before": 1_000_000_00, "after": 1_200_000_00},
        "discounts": {
            "before": [
                {"scope": "domestic", "origin": None, "destination": None, "cabin": "Y", "percent": "12.5"},
                {"scope": "city_pair", "origin": "PEK", "destination": "SHA", "cabin": "C", "percent": "20"},
            ],
            "after": [
                {"scope": "domestic", "origin": None, "destination": None, "cabin": "Y", "percent": "15"},
                {"scope": "city_pair", "origin": "PEK", "destination": "SHA", "cabin": "C", "percent": "20"},
            ],
        },
        "entitlements": {
            "before": ["priority_booking", "lounge"],
            "after": ["priority_booking", "lounge", "fast_track"],
        },
    }
    # The history line is audited like every row; the author stays the author.
    audited = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "agreement_event", AuditEvent.entity_id == event.id)
    ).one()
    assert audited.after["kind"] == "terms" and audited.after["actor_id"] == world.head_a.id
    assert agreement.author_id == world.manager_a1.id
    # Saving the same terms again (written differently) changes nothing and records nothing.
    ops.update_terms(
        world.manager_a1,
        agreement,
        _raised("15.00", "PEK", "SHA", ["fast_track", "lounge", "priority_booking"]),
    )
    assert len(_terms_events(db_session, agreement)) == 1
    assert access.hands_on(agreement) == {world.manager_a1.id, world.head_a.id}


def test_whoever_changed_the_terms_cannot_approve_them(db_session, world):
    agreement = ops.create_draft(world.manager_a1, world.company_a, terms(), today=TODAY)
    ops.update_terms(world.head_a, agreement, terms(commitment_segments=800))
    ops.submit(world.manager_a1, agreement, today=TODAY)
    assert not access.may_approve(world.head_a, agreement)
    with pytest.raises(ValidationFailed, match="changed the terms of this agreement, so you cannot approve"):
        ops.approve(world.head_a, agreement, today=TODAY)
    assert agreement.status == "pending_approval"
    assert access.may_approve(world.admin, agreement)
    ops.approve(world.admin, agreement, today=TODAY)
    assert agreement.status == "active" and agreement.approved_by_id == world.admin.id


def test_a_rejection_does_not_wipe_the_hands_that_changed_the_terms(db_session, world):
    agreement = ops.create_draft(world.manager_a1, world.company_a, terms(), today=TODAY)
    ops.update_terms(world.head_a, agreement, terms(commitment_segments=800))
    ops.submit(world.manager_a1, agreement, today=TODAY)
    ops.reject(world.admin, agreement, "Segments too optimistic.")
    ops.update_terms(world.manager_a1, agreement, terms(commitment_segments=700))
    ops.submit(world.manager_a1, agreement, today=TODAY)
    # The head's change was before the rejection: the draft was not fresh after it.
    with pytest.raises(ValidationFailed, match="cannot approve it yourself"):
        ops.approve(world.head_a, agreement, today=TODAY)
    # Whoever submitted an earlier round had a hand in it too.
    assert access.hands_on(agreement) == {world.manager_a1.id, world.head_a.id}


def test_an_earlier_submitter_cannot_approve_a_later_round(db_session, world, heads):
    agreement = ops.create_draft(world.manager_a1, world.company_a, terms(), today=TODAY)
    ops.submit(heads[0], agreement, today=TODAY)
    ops.reject(world.admin, agreement, "Fix the tiers.")
    ops.submit(world.manager_a1, agreement, today=TODAY)
    with pytest.raises(ValidationFailed, match="yourself"):
        ops.approve(heads[0], agreement, today=TODAY)
    ops.approve(world.head_a, agreement, today=TODAY)


def test_a_renewal_is_a_fresh_draft(db_session, world):
    """Who changed the old agreement's terms may approve its renewal, written by someone else."""
    old = ops.create_draft(world.manager_a1, world.company_a, terms(), today=TODAY)
    ops.update_terms(world.head_a, old, terms(commitment_segments=800))
    ops.submit(world.manager_a1, old, today=TODAY)
    ops.approve(world.admin, old, today=TODAY)
    renewal = ops.renew(world.manager_a1, old, today=TODAY)
    ops.submit(world.manager_a1, renewal, today=TODAY)
    assert access.hands_on(renewal) == {world.manager_a1.id}
    ops.approve(world.head_a, renewal, today=TODAY)
    assert renewal.status == "active"


def _allowed(db_session, operation, *args, **kwargs) -> bool:
    """Whether the service lets the operation through; what it changed is rolled back."""
    savepoint = db_session.begin_nested()
    try:
        operation(*args, **kwargs)
    except (NotAllowed, ValidationFailed):
        return False
    finally:
        savepoint.rollback()
    return True


def test_the_predicates_and_the_services_agree(db_session, world, heads):
    author, editor = heads
    agreement = ops.create_draft(author, world.company_a, terms(), today=TODAY)
    ops.update_terms(editor, agreement, terms(commitment_segments=800))
    ops.submit(world.manager_a1, agreement, today=TODAY)
    people = [
        world.admin,
        world.management,
        world.head_a,
        world.head_b,
        world.manager_a1,
        world.manager_a2,
        world.manager_b1,
        author,
        editor,
    ]
    approvers = set()
    for user in people:
        predicate = access.may_approve(user, agreement)
        assert predicate == _allowed(db_session, ops.approve, user, agreement, today=TODAY), user.email
        if predicate:
            approvers.add(user.id)
        assert access.may_reject(user, agreement) == _allowed(
            db_session, ops.reject, user, agreement, "No."
        ), user.email
    # The submitter (manager), the author and the terms editor (heads) are out: head A and the admin remain.
    assert approvers == {world.admin.id, world.head_a.id}

    active = world.agreement_a
    renewed = factories.agreement(
        db_session,
        world.company_a2,
        valid_from=TODAY - timedelta(days=100),
        valid_to=TODAY + timedelta(days=100),
    )
    factories.agreement(
        db_session,
        world.company_a2,
        status="draft",
        renewed_from_id=renewed.id,
        valid_from=TODAY + timedelta(days=101),
        valid_to=TODAY + timedelta(days=400),
    )
    for user in people:
        for target in (active, renewed, agreement):
            assert access.may_renew(user, target) == _allowed(
                db_session, ops.renew, user, target, today=TODAY
            ), (user.email, target.number)
            assert access.may_terminate(user, target) == _allowed(
                db_session, ops.terminate, user, target, "Closed."
            ), (user.email, target.number)
    assert not any(access.may_renew(user, renewed) for user in people)  # renewed already
    assert {u.id for u in people if access.may_renew(u, active)} == {
        world.admin.id,
        world.head_a.id,
        world.manager_a1.id,
        author.id,
        editor.id,
    }
