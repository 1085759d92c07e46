"""Revisit rules on SQLite and PostgreSQL, with time travel: cadence, escalation after exactly 7
days, agreement expiry reminders at 90/60/30 days, reactivation, completing and snoozing."""

from datetime import date, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.companies.models import Interaction
from portal.errors import ValidationFailed
from portal.mail.models import OutboundEmail
from portal.notifications.models import Notification
from portal.reminders import operations as ops
from portal.reminders.models import Reminder
from tests import factories

pytestmark = pytest.mark.usefixtures("ctx")

T0 = date(2026, 3, 2)


def noon(day: date) -> datetime:
    """Noon UTC: 20:00 in Beijing, the same local date."""
    return datetime.combine(day, time(12, 0))


def reminders(db_session, company, kind=None):
    stmt = select(Reminder).where(Reminder.company_id == company.id).order_by(Reminder.due_on)
    if kind:
        stmt = stmt.where(Reminder.kind == kind)
    return db_session.scalars(stmt).all()


@pytest.fixture()
def gold(db_session, world):
    """A gold company of manager A1, created long ago, last visited on T0."""
    company = factories.company(
        db_session, world.office_a, world.manager_a1, tier="gold", created_at=datetime(2024, 1, 1)
    )
    factories.interaction(db_session, company, kind="visit", occurred_at=noon(T0))
    return company


@pytest.mark.parametrize(
    ("tier", "days"), [("platinum", 30), ("gold", 60), ("silver", 90), ("standard", 180)]
)
def test_cadence_by_tier(db_session, world, tier, days):
    company = factories.company(
        db_session, world.office_a, world.manager_a1, tier=tier, created_at=datetime(2024, 1, 1)
    )
    factories.interaction(db_session, company, kind="call", occurred_at=noon(T0))
    ops.generate_revisits(T0 + timedelta(days=days - 1))
    assert reminders(db_session, company) == []
    ops.generate_revisits(T0 + timedelta(days=days))
    [revisit] = reminders(db_session, company)
    assert (revisit.kind, revisit.due_on, revisit.assignee_id) == (
        "revisit",
        T0 + timedelta(days=days),
        world.manager_a1.id,
    )
    # Idempotent: later runs add nothing while it is pending.
    ops.generate_revisits(T0 + timedelta(days=days + 10))
    assert len(reminders(db_session, company)) == 1


def test_cadence_is_configurable(app, db_session, world, gold, monkeypatch):
    monkeypatch.setitem(app.config, "REVISIT_CADENCE_DAYS", {"gold": 14})
    ops.generate_revisits(T0 + timedelta(days=14))
    assert [r.due_on for r in reminders(db_session, gold)] == [T0 + timedelta(days=14)]


def test_no_history_counts_from_creation(db_session, world):
    company = factories.company(
        db_session, world.office_a, world.manager_a1, tier="platinum", created_at=noon(T0)
    )
    ops.generate_revisits(T0 + timedelta(days=29))
    assert reminders(db_session, company) == []
    ops.generate_revisits(T0 + timedelta(days=30))
    assert [r.due_on for r in reminders(db_session, company)] == [T0 + timedelta(days=30)]


def test_completed_revisit_restarts_the_cadence(db_session, world, gold):
    day = T0 + timedelta(days=60)
    ops.generate_revisits(day)
    [revisit] = reminders(db_session, gold)
    interaction = ops.complete_reminder(
        world.manager_a1,
        revisit,
        kind="meeting",
        occurred_at=noon(day + timedelta(days=3)),
        summary="Quarterly review",
        outcome="Renewal likely",
        now=noon(day + timedelta(days=3)),
    )
    assert revisit.status == "done" and revisit.interaction_id == interaction.id
    assert db_session.get(Interaction, interaction.id).kind == "meeting"
    ops.generate_revisits(day + timedelta(days=62))
    assert len(reminders(db_session, gold)) == 1
    ops.generate_revisits(day + timedelta(days=63))
    assert [r.due_on for r in reminders(db_session, gold)] == [day, day + timedelta(days=63)]


def test_escalation_after_exactly_seven_days(db_session, world, gold):
    due = T0 + timedelta(days=60)
    ops.generate_revisits(due)
    [revisit] = reminders(db_session, gold)
    assert ops.escalate_overdue(due + timedelta(days=6)) == {"escalated": 0, "escalation_mails": 0}
    assert revisit.escalated_at is None
    assert ops.escalate_overdue(due + timedelta(days=7)) == {"escalated": 1, "escalation_mails": 1}
    db_session.refresh(revisit)
    assert revisit.escalated_at is not None
    notes = db_session.scalars(select(Notification).where(Notification.kind == "revisit_escalated")).all()
    assert [n.user_id for n in notes] == [world.head_a.id]  # the branch head, not branch B's
    assert notes[0].emailed_at is not None  # mailed by the escalation mail, not twice
    mails = db_session.scalars(select(OutboundEmail).where(OutboundEmail.kind == "escalation")).all()
    assert [m.to_address for m in mails] == [world.head_a.email]
    # Once only.
    assert ops.escalate_overdue(due + timedelta(days=30))["escalated"] == 0


def test_snoozed_revisit_escalates_from_its_new_date(db_session, world, gold):
    due = T0 + timedelta(days=60)
    ops.generate_revisits(due)
    [revisit] = reminders(db_session, gold)
    ops.snooze_reminder(
        world.manager_a1, revisit, until=due + timedelta(days=10), reason="Client travelling", today=due
    )
    assert ops.escalate_overdue(due + timedelta(days=16))["escalated"] == 0
    assert ops.escalate_overdue(due + timedelta(days=17))["escalated"] == 1


@pytest.mark.parametrize(
    ("days_left", "threshold"),
    [(91, None), (90, 90), (61, 90), (60, 60), (31, 60), (30, 30), (0, 30), (-1, None)],
)
def test_expiry_threshold_boundaries(days_left, threshold):
    assert ops.expiry_threshold(days_left) == threshold


def test_agreement_expiry_reminders_at_90_60_30(db_session, world):
    end = date(2026, 12, 31)
    factories.agreement(db_session, world.company_a2, valid_from=date(2026, 1, 1), valid_to=end)
    created = {}
    day = end - timedelta(days=100)
    while day <= end:
        created[day] = ops.agreement_expiry_reminders(day)
        day += timedelta(days=1)
    fired = {(end - d).days for d, n in created.items() if n}
    assert fired == {90, 60, 30}
    rows = reminders(db_session, world.company_a2, "agreement_expiry")
    assert [r.due_on for r in rows] == [end - timedelta(days=d) for d in (90, 60, 30)]
    assert {r.assignee_id for r in rows} == {world.manager_a1.id}
    # A missed day is caught up, and running again changes nothing.
    assert ops.agreement_expiry_reminders(end - timedelta(days=20)) == 0


def test_reactivation_when_a_company_turns_sleeping(db_session, world, gold):
    gold.activity_status = "sleeping"
    db_session.flush()
    day = T0 + timedelta(days=5)
    assert ops.generate_revisits(day)["reactivations"] == 1
    [reactivation] = reminders(db_session, gold)
    assert (reactivation.kind, reactivation.due_on) == ("reactivation", day)
    assert ops.generate_revisits(day + timedelta(days=1)) == {"reactivations": 0, "revisits": 0}


def test_snooze_rules(db_session, world, gold):
    due = T0 + timedelta(days=60)
    ops.generate_revisits(due)
    [revisit] = reminders(db_session, gold)
    with pytest.raises(ValidationFailed) as e:
        ops.snooze_reminder(world.manager_a1, revisit, until=due, reason="x", today=due)
    assert "until" in e.value.reasons
    with pytest.raises(ValidationFailed) as e:
        ops.snooze_reminder(world.manager_a1, revisit, until=due + timedelta(days=61), reason="x", today=due)
    assert "until" in e.value.reasons
    with pytest.raises(ValidationFailed) as e:
        ops.snooze_reminder(world.manager_a1, revisit, until=due + timedelta(days=5), reason="  ", today=due)
    assert "reason" in e.value.reasons
    assert revisit.status == "open"


def test_handover_moves_open_reminders(db_session, world, gold):
    from portal.companies.operations import reassign_manager

    ops.generate_revisits(T0 + timedelta(days=60))
    reassign_manager(world.head_a, gold, world.manager_a2.id)
    assert {r.assignee_id for r in reminders(db_session, gold)} == {world.manager_a2.id}


def test_reactivation_does_not_wait_for_a_pending_revisit(db_session, world, gold):
    ops.generate_revisits(T0 + timedelta(days=60))
    gold.activity_status = "sleeping"
    db_session.flush()
    assert ops.generate_revisits(T0 + timedelta(days=61))["reactivations"] == 1
    assert [r.kind for r in reminders(db_session, gold)] == ["revisit", "reactivation"]
