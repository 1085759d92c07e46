"""Dossier services on SQLite and PostgreSQL: contacts, travellers and their encrypted documents,
interactions and complaints, manager handover, and the timeline they make."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select, text

from portal.agreements.models import AgreementEvent
from portal.audit.models import AuditEvent
from portal.companies import operations as ops
from portal.companies import secrets
from portal.companies.models import Contact, Interaction, ManagerAssignment, Traveller
from portal.companies.timeline import parse_cursor, timeline
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.notifications.models import Notification
from tests import factories
from tests.dossier.conftest import id_card

pytestmark = pytest.mark.usefixtures("ctx")

CONTACT = dict(
    name="张总", title="行政总监", role="decision_maker", phone="+86 10 1234 5678", email=None, notes=None
)
TRAVELLER = dict(
    name="王芳",
    name_en="WANG/FANG",
    ff_number="CA123456789",
    member_tier="gold",
    seat_preference="aisle",
    meal_preference="vegetarian",
    notes="常飞京沪线",
)


def _refused(call, *args, **kw) -> dict:
    """The reasons `call(*args, **kw)` is refused for (it must be refused)."""
    with pytest.raises(ValidationFailed) as e:
        call(*args, **kw)
    return e.value.reasons


def _audit(db_session, entity, entity_id):
    return db_session.scalars(
        select(AuditEvent)
        .where(AuditEvent.entity == entity, AuditEvent.entity_id == entity_id)
        .order_by(AuditEvent.id)
    ).all()


# --- contacts -------------------------------------------------------------------------------


def test_contact_create_update_and_soft_delete(db_session, world):
    contact = ops.create_contact(
        world.manager_a1, world.company_a, **(CONTACT | {"email": " Zhang@Corp.CN "})
    )
    assert contact.email == "zhang@corp.cn" and contact.company_id == world.company_a.id
    ops.update_contact(world.manager_a1, contact, **(CONTACT | {"title": "副总裁"}))
    assert contact.title == "副总裁"
    ops.delete_contact(world.manager_a1, contact)

    assert db_session.get(Contact, contact.id).deleted_at is not None  # the row stays
    db_session.expire_all()
    assert contact.id not in [c.id for c in world.company_a.contacts]  # and is hidden
    actions = [e.action for e in _audit(db_session, "contact", contact.id)]
    assert actions == ["create", "update", "delete"]


def test_contact_rules(db_session, world):
    reasons = _refused(
        ops.create_contact, world.manager_a1, world.company_a, **(CONTACT | {"name": " ", "role": "ceo"})
    )
    assert set(reasons) == {"name", "role"}


@pytest.mark.parametrize("who", ["management", "manager_a2", "head_b", "manager_b1"])
def test_only_those_who_may_change_the_company_change_its_contacts(world, who):
    with pytest.raises(NotAllowed):
        ops.create_contact(getattr(world, who), world.company_a, **CONTACT)


@pytest.mark.parametrize("who", ["admin", "head_a", "manager_a1"])
def test_admin_branch_head_and_manager_change_contacts(world, who):
    assert ops.create_contact(getattr(world, who), world.company_a, **CONTACT).id


# --- travellers and identity documents --------------------------------------------------------


def test_document_number_is_encrypted_at_rest_and_masked(db_session, world):
    number = id_card()
    traveller = ops.create_traveller(
        world.manager_a1, world.company_a, id_document_type="id_card", id_document_number=number, **TRAVELLER
    )
    raw = db_session.execute(
        text("SELECT id_document_encrypted, id_document_masked FROM traveller WHERE id = :id"),
        {"id": traveller.id},
    ).one()
    assert number not in raw[0] and number[2:-2] not in raw[0]
    assert secrets.decrypt(raw[0]) == number
    assert raw[1] == "11" + "*" * 14 + "2X"
    # The audit trail holds neither the number nor its token.
    for event in _audit(db_session, "traveller", traveller.id):
        dumped = str(event.before) + str(event.after)
        assert number not in dumped and raw[0] not in dumped
        assert event.after["id_document_encrypted"] == "***"


@pytest.mark.parametrize(
    ("document_type", "number", "refused_field"),
    [
        ("id_card", "110105194912310021", "id_document_number"),  # not a valid identity card number
        (None, "E12345678", "id_document_type"),  # a number without its type
        ("visa", "E12345678", "id_document_type"),  # not an identity document type
    ],
)
def test_document_number_is_validated_by_type(world, document_type, number, refused_field):
    assert refused_field in _refused(
        ops.create_traveller,
        world.manager_a1,
        world.company_a,
        id_document_type=document_type,
        id_document_number=number,
        **TRAVELLER,
    )


def test_editing_keeps_replaces_or_removes_the_document(db_session, world):
    traveller = ops.create_traveller(
        world.manager_a1,
        world.company_a,
        id_document_type="passport",
        id_document_number="E12345678",
        **TRAVELLER,
    )
    token = traveller.id_document_encrypted
    ops.update_traveller(
        world.manager_a1, traveller, id_document_type="passport", **(TRAVELLER | {"notes": "x"})
    )
    assert traveller.id_document_encrypted == token  # a blank number keeps the stored one
    # The type cannot change without the number.
    assert "id_document_number" in _refused(
        ops.update_traveller, world.manager_a1, traveller, id_document_type="id_card", **TRAVELLER
    )
    assert traveller.id_document_type == "passport"
    ops.update_traveller(
        world.manager_a1, traveller, id_document_type="id_card", id_document_number=id_card(), **TRAVELLER
    )
    assert traveller.id_document_masked.startswith("11") and secrets.decrypt(traveller.id_document_encrypted)
    ops.update_traveller(world.manager_a1, traveller, clear_id_document=True, **TRAVELLER)
    assert traveller.id_document_encrypted is None and traveller.id_document_type is None


def test_frequent_flyer_number_is_unique_among_live_travellers(db_session, world):
    first = ops.create_traveller(world.manager_a1, world.company_a, **TRAVELLER)
    assert "ff_number" in _refused(
        ops.create_traveller, world.manager_a1, world.company_a, **(TRAVELLER | {"ff_number": "ca123456789"})
    )
    # Another company may have the same number; a removed traveller gives it up.
    ops.create_traveller(world.manager_b1, world.company_b, **TRAVELLER)
    ops.delete_traveller(world.manager_a1, first)
    again = ops.create_traveller(world.manager_a1, world.company_a, **TRAVELLER)
    assert again.ff_number == "CA123456789"
    assert db_session.get(Traveller, first.id).ff_number is None


def test_soft_deleting_a_traveller_keeps_the_row_and_erases_the_number(db_session, world):
    traveller = ops.create_traveller(
        world.manager_a1,
        world.company_a,
        id_document_type="passport",
        id_document_number="E12345678",
        **TRAVELLER,
    )
    ops.delete_traveller(world.manager_a1, traveller)
    row = db_session.get(Traveller, traveller.id)
    assert row.deleted_at is not None and row.name == "王芳"
    assert row.id_document_encrypted is None and row.id_document_masked is None
    assert _audit(db_session, "traveller", traveller.id)[-1].action == "delete"


def test_reveal_returns_the_number_and_audits_without_it(db_session, world):
    traveller = ops.create_traveller(
        world.manager_a1,
        world.company_a,
        id_document_type="passport",
        id_document_number="e1234 5678",
        **TRAVELLER,
    )
    assert ops.reveal_id_document(world.manager_a1, traveller) == "E12345678"
    assert ops.reveal_id_document(world.head_a, traveller) == "E12345678"
    assert ops.reveal_id_document(world.admin, traveller) == "E12345678"
    reveals = [e for e in _audit(db_session, "traveller", traveller.id) if e.action == "reveal"]
    assert len(reveals) == 3
    assert all(e.company_id == world.company_a.id and "E12345678" not in str(e.after) for e in reveals)


@pytest.mark.parametrize("who", ["management", "manager_a2", "head_b"])
def test_reveal_is_refused_to_those_who_do_not_need_it(db_session, world, who):
    traveller = ops.create_traveller(
        world.manager_a1,
        world.company_a,
        id_document_type="passport",
        id_document_number="E12345678",
        **TRAVELLER,
    )
    with pytest.raises(NotAllowed):
        ops.reveal_id_document(getattr(world, who), traveller)
    assert not [e for e in _audit(db_session, "traveller", traveller.id) if e.action == "reveal"]


# --- interactions and complaints ----------------------------------------------------------------


def test_record_a_visit(world):
    when = utcnow() - timedelta(days=1)
    visit = ops.record_interaction(
        world.manager_a1, world.company_a, kind="visit", occurred_at=when, summary=" 拜访 ", next_step="报价"
    )
    assert (visit.kind, visit.summary, visit.outcome, visit.next_step) == ("visit", "拜访", None, "报价")
    assert visit.author_id == world.manager_a1.id
    assert visit.complaint_status is None and visit.due_at is None


def test_a_complaint_is_due_72_hours_after_it_was_recorded(app, world):
    now = datetime(2026, 3, 6, 9, 0)  # a Friday: calendar hours, the weekend counts
    complaint = ops.record_interaction(
        world.manager_a1,
        world.company_a,
        kind="complaint",
        occurred_at=now - timedelta(days=2),
        summary="行李延误",
        now=now,
    )
    assert complaint.complaint_status == "open"
    assert (
        complaint.due_at
        == now + timedelta(hours=app.config["COMPLAINT_SLA_HOURS"])
        == datetime(2026, 3, 9, 9)
    )


@pytest.mark.parametrize(
    "kind, occurred, field",
    [
        ("visit", timedelta(days=1), "occurred_at"),  # in the future
        ("visit", None, "occurred_at"),
        ("dinner", timedelta(days=-1), "kind"),
    ],
)
def test_interaction_rules(world, kind, occurred, field):
    assert field in _refused(
        ops.record_interaction,
        world.manager_a1,
        world.company_a,
        kind=kind,
        occurred_at=None if occurred is None else utcnow() + occurred,
        summary="x",
    )
    with pytest.raises(ValidationFailed):
        ops.record_interaction(
            world.manager_a1, world.company_a, kind="visit", occurred_at=datetime(1999, 12, 31), summary="x"
        )


def test_complaint_status_moves_and_reopening_gives_a_new_due_date(app, db_session, world):
    complaint = world.complaint_a
    now = utcnow()
    ops.set_complaint_status(world.manager_a1, complaint, "in_progress", now=now)
    assert complaint.complaint_status == "in_progress" and complaint.resolved_at is None
    ops.set_complaint_status(world.manager_a1, complaint, "resolved", "已道歉并补偿里程", now=now)
    assert complaint.resolved_at == now and complaint.outcome == "已道歉并补偿里程"
    with pytest.raises(ValidationFailed):
        ops.set_complaint_status(world.manager_a1, complaint, "resolved", now=now)
    later = now + timedelta(days=10)
    ops.set_complaint_status(world.manager_a1, complaint, "open", now=later)
    assert complaint.resolved_at is None
    assert complaint.due_at == later + timedelta(hours=app.config["COMPLAINT_SLA_HOURS"])
    actions = [e.action for e in _audit(db_session, "interaction", complaint.id)]
    assert actions.count("update") == 3


def test_status_only_for_complaints_and_known_statuses(db_session, world):
    visit = factories.interaction(db_session, world.company_a)
    with pytest.raises(ValidationFailed):
        ops.set_complaint_status(world.manager_a1, visit, "resolved")
    assert "status" in _refused(ops.set_complaint_status, world.manager_a1, world.complaint_a, "closed")
    with pytest.raises(NotAllowed):
        ops.set_complaint_status(world.management, world.complaint_a, "resolved")


# --- manager handover ---------------------------------------------------------------------------


def test_handover_closes_opens_notifies_and_moves_reminders(db_session, world):
    first = ManagerAssignment(
        company_id=world.company_a.id,
        manager_id=world.manager_a1.id,
        started_at=utcnow() - timedelta(days=300),
    )
    db_session.add(first)
    today = date.today()
    pending = factories.reminder(db_session, world.company_a, world.manager_a1, today + timedelta(days=5))
    snoozed = factories.reminder(
        db_session, world.company_a, world.manager_a1, today + timedelta(days=9), status="snoozed"
    )
    done = factories.reminder(
        db_session, world.company_a, world.manager_a1, today - timedelta(days=30), status="done"
    )

    assignment = ops.reassign_manager(
        world.head_a, world.company_a, world.manager_a2.id, note="客户<b>重要</b>"
    )

    assert world.company_a.manager_id == world.manager_a2.id
    assert first.ended_at is not None and assignment.ended_at is None
    assert (assignment.manager_id, assignment.assigned_by_id) == (world.manager_a2.id, world.head_a.id)
    assert (pending.assignee_id, snoozed.assignee_id, done.assignee_id) == (
        world.manager_a2.id,
        world.manager_a2.id,
        world.manager_a1.id,
    )
    notes = db_session.scalars(select(Notification).order_by(Notification.id)).all()
    told = {(n.user_id, n.kind) for n in notes}
    assert (world.manager_a2.id, "company_assigned") in told
    assert (world.manager_a1.id, "company_handed_over") in told
    new = next(n for n in notes if n.kind == "company_assigned")
    assert new.link == f"/companies/{world.company_a.id}" and world.company_a.name_zh in new.message
    audited = {(e.entity, e.action) for e in db_session.scalars(select(AuditEvent)).all()}
    assert {("company", "update"), ("manager_assignment", "create"), ("reminder", "update")} <= audited
    # The new manager now changes the company; the old one no longer does.
    assert ops.may_reveal(world.manager_a2, world.company_a)
    assert not ops.may_reveal(world.manager_a1, world.company_a)


def test_handover_moves_the_open_opportunities_to_the_new_manager(db_session, world):
    from portal.pipeline import operations as pipeline

    lead = world.opportunity_a  # the outgoing manager's lead
    by_head = factories.opportunity(db_session, world.company_a, world.head_a, stage="negotiation")
    won = factories.opportunity(db_session, world.company_a, world.manager_a1, stage="won")
    lost = factories.opportunity(db_session, world.company_a, world.manager_a1, stage="lost")
    elsewhere = factories.opportunity(db_session, world.company_a2, world.manager_a1)

    ops.reassign_manager(world.head_a, world.company_a, world.manager_a2.id)

    assert (lead.owner_id, by_head.owner_id) == (world.manager_a2.id, world.manager_a2.id)
    # Closed ones stay the record of who won or lost them; other companies are not touched.
    assert (won.owner_id, lost.owner_id, elsewhere.owner_id) == (world.manager_a1.id,) * 3
    # The outgoing manager no longer sees or changes the company's pipeline; the new one does.
    assert not pipeline.may_see(world.manager_a1, lead) and not pipeline.may_edit(world.manager_a1, lead)
    assert pipeline.may_edit(world.manager_a2, lead) and pipeline.may_edit(world.manager_a2, by_head)
    audited = {
        (e.entity_id, e.before["owner_id"], e.after["owner_id"], e.company_id)
        for e in db_session.scalars(
            select(AuditEvent).where(AuditEvent.entity == "opportunity", AuditEvent.action == "update")
        )
    }
    assert audited == {
        (lead.id, world.manager_a1.id, world.manager_a2.id, world.company_a.id),
        (by_head.id, world.head_a.id, world.manager_a2.id, world.company_a.id),
    }
    told = db_session.scalars(
        select(Notification).where(
            Notification.user_id == world.manager_a2.id, Notification.kind == "company_assigned"
        )
    ).one()
    assert "2 open opportunities come with it" in told.message


def test_handover_without_open_opportunities_says_nothing_of_them(db_session, world):
    world.opportunity_a.stage, world.opportunity_a.lost_reason = "lost", "price"
    db_session.flush()
    ops.reassign_manager(world.head_a, world.company_a, world.manager_a2.id)
    assert world.opportunity_a.owner_id == world.manager_a1.id
    told = db_session.scalars(select(Notification).where(Notification.kind == "company_assigned")).one()
    assert "opportunit" not in told.message


def test_handover_rules(db_session, world):
    with pytest.raises(NotAllowed):
        ops.reassign_manager(world.manager_a1, world.company_a, world.manager_a2.id)
    with pytest.raises(NotAllowed):
        ops.reassign_manager(world.management, world.company_a, world.manager_a2.id)
    with pytest.raises(NotAllowed):
        ops.reassign_manager(world.head_b, world.company_a, world.manager_b1.id)
    for bad in (world.manager_b1.id, world.head_a.id, world.manager_a1.id, 999_999):
        assert "manager_id" in _refused(ops.reassign_manager, world.head_a, world.company_a, bad)
    world.manager_a2.is_enabled = False
    db_session.flush()
    with pytest.raises(ValidationFailed):
        ops.reassign_manager(world.head_a, world.company_a, world.manager_a2.id)
    # An admin may hand over across branches.
    ops.reassign_manager(world.admin, world.company_a, world.manager_b1.id)
    assert world.company_a.manager_id == world.manager_b1.id


# --- timeline -----------------------------------------------------------------------------------


def _snapshot(db_session, company, day: date, tier: str, rank: int = 1):
    factories.snapshot(db_session, company, day, rank, tier)


def test_timeline_merges_every_source_newest_first(db_session, world):
    now = utcnow()
    visit = ops.record_interaction(
        world.manager_a1, world.company_a, kind="visit", occurred_at=now - timedelta(days=1), summary="拜访"
    )
    db_session.add(
        AgreementEvent(
            agreement_id=world.agreement_a.id,
            from_status="pending_approval",
            to_status="active",
            actor_id=world.head_a.id,
            at=now - timedelta(days=3),
        )
    )
    for months_ago, tier in ((5, "silver"), (4, "silver"), (3, "gold"), (2, "gold")):
        _snapshot(db_session, world.company_a, date.today() - timedelta(days=30 * months_ago), tier)
    db_session.flush()
    ops.reassign_manager(world.head_a, world.company_a, world.manager_a2.id, now=now - timedelta(hours=1))

    page = timeline(world.company_a.id)
    kinds = [e.kind for e in page.entries]
    assert kinds == ["manager", "complaint", "visit", "agreement", "tier", "tier"]
    assert page.entries[2].interaction.id == visit.id
    agreement = page.entries[3]
    assert (agreement.agreement_number, agreement.from_status, agreement.to_status) == (
        world.agreement_a.number,
        "pending_approval",
        "active",
    )
    newer_tier, first_tier = page.entries[4], page.entries[5]
    assert (newer_tier.from_tier, newer_tier.to_tier) == ("silver", "gold")
    assert (first_tier.from_tier, first_tier.to_tier) == (None, "silver")
    assert page.entries[0].manager.id == world.manager_a2.id and page.entries[0].actor.id == world.head_a.id
    assert page.older is None

    assert [e.kind for e in timeline(world.company_a.id, type="tier").entries] == ["tier", "tier"]
    assert [e.kind for e in timeline(world.company_a.id, type="visit").entries] == ["visit"]
    assert len(timeline(world.company_a.id, type="bogus").entries) == 6  # unknown types show all


def test_timeline_pages_with_a_cursor_without_gaps_or_repeats(db_session, world):
    now = utcnow()
    same_time = now - timedelta(days=2)
    for i in range(25):
        # Ten share one timestamp, to test ties at the page boundary.
        when = same_time if i < 10 else now - timedelta(days=3, hours=i)
        db_session.add(
            Interaction(company_id=world.company_a.id, kind="call", occurred_at=when, summary=f"电话{i}")
        )
    db_session.flush()
    seen, cursor = [], None
    while True:
        page = timeline(world.company_a.id, type="call", before=cursor, limit=7)
        seen += [e.id for e in page.entries]
        if not page.older:
            break
        cursor = page.older
    assert len(seen) == len(set(seen)) == 25
    keys = [(e.at, e.id) for e in timeline(world.company_a.id, type="call", limit=50).entries]
    assert keys == sorted(keys, reverse=True)


@pytest.mark.parametrize(
    "cursor",
    ["", "garbage", "2026-01-01T00:00:00~nope~1", "2026-13-01T00:00:00~interaction~1", "x~interaction~a"],
)
def test_malformed_cursors_start_from_the_top(world, cursor):
    assert parse_cursor(cursor) is None
    assert timeline(world.company_a.id, before=cursor).entries
