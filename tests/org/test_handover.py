"""Staff leaving: the leaver's portfolio listed, handed over in one change, the account disabled."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.companies.models import ManagerAssignment
from portal.errors import NotAllowed, ValidationFailed
from portal.notifications.models import Notification
from portal.org import handover
from tests import factories
from tests.org.conftest import reminder

pytestmark = pytest.mark.usefixtures("ctx")


@pytest.fixture()
def leaver(db_session, world):
    """Manager A1 holds companies A and A2, reminders on both (one done), the world's open
    opportunity, a won one, and a reminder and an opportunity on company B (manager B1's)."""
    h = type("Holdings", (), {})()
    h.open_a = reminder(db_session, world.company_a, world.manager_a1)
    h.snoozed_a2 = reminder(db_session, world.company_a2, world.manager_a1, status="snoozed", days=9)
    h.done_a = reminder(db_session, world.company_a, world.manager_a1, status="done", days=-9)
    h.stray_reminder = reminder(db_session, world.company_b, world.manager_a1, days=2)
    h.won = factories.opportunity(db_session, world.company_a, world.manager_a1, stage="won")
    h.stray_opportunity = factories.opportunity(db_session, world.company_b, world.manager_a1)
    return h


def test_the_portfolio_lists_companies_pending_reminders_and_open_opportunities(db_session, world, leaver):
    held = handover.portfolio(world.manager_a1)
    assert {c.id for c in held.companies} == {world.company_a.id, world.company_a2.id}
    assert {r.id for r in held.reminders} == {
        leaver.open_a.id,
        leaver.snoozed_a2.id,
        leaver.stray_reminder.id,
    }
    assert {o.id for o in held.opportunities} == {world.opportunity_a.id, leaver.stray_opportunity.id}
    assert handover.holdings(world.manager_a1) == (2, 3, 2)
    assert handover.portfolio(world.manager_a2).empty


def test_bulk_handover_moves_everything_and_disables_in_one_change(db_session, world, leaver):
    version = world.manager_a1.session_version
    handed = handover.hand_over_and_disable(
        world.admin,
        world.manager_a1,
        {world.company_a.id: world.manager_a2.id, world.company_a2.id: world.manager_b1.id},
        note="离职交接",
    )
    assert handed == {world.company_a.id: world.manager_a2.id, world.company_a2.id: world.manager_b1.id}
    assert world.company_a.manager_id == world.manager_a2.id
    assert world.company_a2.manager_id == world.manager_b1.id
    # the ordinary handover moved the companies' pending reminders; the done one stays
    assert leaver.open_a.assignee_id == world.manager_a2.id
    assert leaver.snoozed_a2.assignee_id == world.manager_b1.id
    assert leaver.done_a.assignee_id == world.manager_a1.id
    # what the leaver held on another manager's company goes to that manager
    assert leaver.stray_reminder.assignee_id == world.manager_b1.id
    assert leaver.stray_opportunity.owner_id == world.manager_b1.id
    # the open opportunity of company A goes to company A's new manager
    assert world.opportunity_a.owner_id == world.manager_a2.id
    assert leaver.won.owner_id == world.manager_a1.id
    assert not world.manager_a1.is_enabled and world.manager_a1.session_version == version + 1
    assignments = db_session.scalars(
        select(ManagerAssignment).where(
            ManagerAssignment.ended_at.is_(None), ManagerAssignment.note == "离职交接"
        )
    ).all()
    assert {(a.company_id, a.manager_id) for a in assignments} == set(handed.items())
    told = {(n.user_id, n.kind) for n in db_session.scalars(select(Notification))}
    assert {(world.manager_a2.id, "company_assigned"), (world.manager_b1.id, "company_assigned")} <= told
    summary = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "handover")).one()
    assert summary.entity == "user" and summary.entity_id == world.manager_a1.id and summary.batch
    assert summary.after["managers"] == {str(k): v for k, v in handed.items()}
    in_batch = db_session.scalars(select(AuditEvent).where(AuditEvent.batch == summary.batch)).all()
    changed = {(e.entity, e.entity_id) for e in in_batch}
    assert {
        ("user", world.manager_a1.id),
        ("company", world.company_a.id),
        ("company", world.company_a2.id),
    } <= changed
    assert ("reminder", leaver.stray_reminder.id) in changed
    assert ("opportunity", leaver.stray_opportunity.id) in changed


def test_every_company_needs_a_new_manager(db_session, world, leaver):
    with pytest.raises(ValidationFailed) as e:
        handover.hand_over_and_disable(
            world.admin, world.manager_a1, {world.company_a.id: world.manager_a2.id}
        )
    assert e.value.reasons["managers"] == [f"Choose a new manager for {world.company_a2.name_zh}."]
    assert world.manager_a1.is_enabled and world.company_a.manager_id == world.manager_a1.id


def test_the_new_manager_must_be_an_enabled_account_manager(db_session, world, leaver):
    gone = factories.user(db_session, "account_manager", world.office_a, is_enabled=False)
    for manager_id in (gone.id, world.head_a.id, world.manager_a1.id):
        # the route rolls back a refused handover; a savepoint does it here
        with pytest.raises(ValidationFailed) as e, db_session.begin_nested():
            handover.hand_over_and_disable(
                world.admin,
                world.manager_a1,
                {world.company_a2.id: world.manager_a2.id, world.company_a.id: manager_id},
            )
        assert any(world.company_a.name_zh in m for m in e.value.reasons["managers"])
    assert world.manager_a1.is_enabled
    assert world.company_a2.manager_id == world.manager_a1.id


def test_reminders_on_a_company_without_a_manager_stop_the_handover(db_session, world):
    orphan = factories.company(db_session, world.office_a, None, name_zh="无人负责有限公司")
    reminder(db_session, orphan, world.manager_a2)
    with pytest.raises(ValidationFailed) as e:
        handover.hand_over_and_disable(world.admin, world.manager_a2, {})
    assert "无人负责有限公司" in e.value.reasons["managers"][0]
    assert world.manager_a2.is_enabled


def test_only_admins_hand_over_and_never_themselves(db_session, world):
    for actor in (world.management, world.head_a, world.manager_a2):
        with pytest.raises(NotAllowed):
            handover.hand_over_and_disable(actor, world.manager_a1, {})
    with pytest.raises(ValidationFailed, match="your own account"):
        handover.hand_over_and_disable(world.admin, world.admin, {})


def test_disabling_a_manager_who_holds_a_portfolio_is_refused_with_counts(db_session, world, leaver):
    with pytest.raises(ValidationFailed) as e:
        handover.disable_account(world.admin, world.manager_a1)
    assert str(e.value) == (
        "Hand over 2 companies, 3 open reminders and 2 open opportunities before disabling this account."
    )
    assert world.manager_a1.is_enabled
    handover.disable_account(world.admin, world.manager_a2)
    assert not world.manager_a2.is_enabled


def test_a_leaver_who_holds_nothing_is_simply_disabled(db_session, world):
    assert handover.hand_over_and_disable(world.admin, world.manager_a2, {}) == {}
    assert not world.manager_a2.is_enabled
