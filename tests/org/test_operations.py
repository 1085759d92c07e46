"""Branches and offices opened, renamed and closed; companies moved between offices (services)."""

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth import operations as accounts
from portal.companies.models import ManagerAssignment
from portal.db import utcnow
from portal.errors import NotAllowed, ValidationFailed
from portal.notifications.models import Notification
from portal.org import operations as org
from tests import factories
from tests.org.conftest import reminder

pytestmark = pytest.mark.usefixtures("ctx")


def _reasons(e) -> dict:
    return e.value.reasons


def _names(**kw) -> dict:
    return dict(name_zh=kw.get("name_zh", "西北分公司"), name_en=kw.get("name_en", "Northwest"), city="西安")


# --- branches and offices -----------------------------------------------------------------


def test_admin_opens_a_branch_and_an_office_in_it(db_session, world):
    branch = org.create_branch(world.admin, code=" xa-1 ", **_names())
    office = org.create_office(world.admin, branch_id=branch.id, code="XA-Y1", **_names(name_zh="雁塔营业部"))
    assert (branch.code, branch.name_zh, branch.closed_at) == ("XA-1", "西北分公司", None)
    assert office.branch_id == branch.id and office.name_zh == "雁塔营业部"
    created = db_session.scalars(
        select(AuditEvent.entity).where(
            AuditEvent.action == "create", AuditEvent.entity_id.in_([branch.id, office.id])
        )
    ).all()
    assert {"branch", "sales_office"} <= set(created)


@pytest.mark.parametrize(
    "code, names, field",
    [
        ("", {}, "code"),
        ("bad code!", {}, "code"),
        ("X" * 17, {}, "code"),
        ("OK1", {"name_zh": "  "}, "name_zh"),
        ("OK2", {"name_en": ""}, "name_en"),
        ("OK3", {"name_zh": "长" * 101}, "name_zh"),
    ],
)
def test_a_branch_with_bad_fields_is_refused(db_session, world, code, names, field):
    with pytest.raises(ValidationFailed) as e:
        org.create_branch(world.admin, code=code, **_names(**names))
    assert field in _reasons(e)


def test_codes_are_unique(db_session, world):
    with pytest.raises(ValidationFailed) as e:
        org.create_branch(world.admin, code=world.branch_a.code, **_names())
    assert _reasons(e)["code"] == ["This code is taken."]
    with pytest.raises(ValidationFailed) as e:
        org.create_office(world.admin, branch_id=world.branch_a.id, code=world.office_b.code, **_names())
    assert "code" in _reasons(e)


def test_an_office_needs_an_open_branch(db_session, world):
    empty = factories.branch(db_session)
    org.close_branch(world.admin, empty)
    for branch_id in (empty.id, 999_999, None):
        with pytest.raises(ValidationFailed) as e:
            org.create_office(world.admin, branch_id=branch_id, code="NEW1", **_names())
        assert _reasons(e)["branch_id"] == ["Choose an open branch."]


def test_only_admins_change_the_organisation(db_session, world):
    for actor in (world.management, world.head_a, world.manager_a1):
        with pytest.raises(NotAllowed):
            org.create_branch(actor, code="NOPE", **_names())
        with pytest.raises(NotAllowed):
            org.rename(actor, world.office_a, **_names())
        with pytest.raises(NotAllowed):
            org.close_office(actor, world.office_a)
        with pytest.raises(NotAllowed):
            org.move_companies(actor, [world.company_a.id], world.office_b.id, world.manager_b1.id)


def test_rename_changes_names_not_the_code_and_is_audited(db_session, world):
    code = world.office_a.code
    org.rename(world.admin, world.office_a, name_zh="朝阳第一营业部", name_en="Chaoyang One", city="北京")
    assert (world.office_a.name_zh, world.office_a.code) == ("朝阳第一营业部", code)
    event = db_session.scalars(
        select(AuditEvent).where(AuditEvent.entity == "sales_office", AuditEvent.action == "update")
    ).one()
    assert event.after["name_zh"] == "朝阳第一营业部" and event.before["name_zh"] == "朝阳营业部"
    with pytest.raises(ValidationFailed):
        org.rename(world.admin, world.office_a, name_zh="", name_en="x", city="北京")


def test_closing_an_office_with_staff_or_companies_is_refused_with_counts(db_session, world):
    with pytest.raises(ValidationFailed) as e:
        org.close_office(world.admin, world.office_b)
    # office B: its branch head and one manager, one company
    assert str(e.value) == (
        "浦东营业部 cannot close: 2 members of staff and 1 company remain. Move them to another office first."
    )
    assert world.office_b.closed_at is None


def test_an_empty_office_closes_disabled_staff_and_closed_companies_do_not_hold_it(db_session, world):
    office = factories.office(db_session, world.branch_a)
    gone = factories.user(db_session, "account_manager", office, is_enabled=False)
    factories.company(db_session, office, status="closed")
    org.close_office(world.admin, office)
    assert office.closed_at is not None and gone.office_id == office.id
    with pytest.raises(ValidationFailed, match="closed already"):
        org.close_office(world.admin, office)


def test_closing_a_branch_counts_all_its_offices_and_closes_them_in_one_change(db_session, world):
    with pytest.raises(ValidationFailed) as e:
        org.close_branch(world.admin, world.branch_a)
    # branch A: admin, management, head, two managers; two companies
    assert "5 members of staff and 2 companies remain" in str(e.value)
    branch = factories.branch(db_session)
    first, second = factories.office(db_session, branch), factories.office(db_session, branch)
    org.close_branch(world.admin, branch)
    assert branch.closed_at and first.closed_at and second.closed_at
    batches = db_session.scalars(
        select(AuditEvent.batch).where(
            AuditEvent.action == "update", AuditEvent.entity.in_(["branch", "sales_office"])
        )
    ).all()
    assert len(batches) == 3 and len(set(batches)) == 1 and batches[0]


def test_a_closed_office_cannot_be_chosen_for_staff(db_session, world):
    office = factories.office(db_session, world.branch_a)
    org.close_office(world.admin, office)
    assert office.id not in {o.id for o in db_session.scalars(org.open_offices_query())}
    with pytest.raises(ValidationFailed) as e:
        accounts.create_user(
            world.admin,
            email="new@test.example",
            name="新同事",
            role="account_manager",
            password="Harbour-lantern-2026!",
            office_id=office.id,
        )
    assert _reasons(e)["office_id"] == ["Choose an open sales office."]
    with pytest.raises(ValidationFailed):
        accounts.update_user(
            world.admin,
            world.manager_a2,
            name="x",
            role="account_manager",
            office_id=office.id,
            company_id=None,
            phone=None,
            title=None,
        )
    assert world.manager_a2.office_id == world.office_a.id


def test_staff_of_a_closed_office_can_still_be_edited_in_place(db_session, world):
    office = factories.office(db_session, world.branch_a)
    user = factories.user(db_session, "account_manager", office)
    accounts.set_enabled(world.admin, user, False)
    org.close_office(world.admin, office)
    accounts.update_user(
        world.admin,
        user,
        name="改名",
        role="account_manager",
        office_id=office.id,
        company_id=None,
        phone=None,
        title=None,
    )
    assert user.name == "改名"


def test_an_office_of_a_closed_branch_is_not_open(db_session, world):
    """Even should an office have stayed open in a closed branch (rows from before closing
    closed the offices too), it cannot be chosen."""
    branch = factories.branch(db_session)
    office = factories.office(db_session, branch)
    branch.closed_at = utcnow()
    db_session.flush()
    reasons: dict = {}
    org.check_open_office(world.office_a.id, reasons)
    assert reasons == {}
    org.check_open_office(office.id, reasons)
    assert reasons["office_id"] == ["Choose an open sales office."]
    with pytest.raises(ValidationFailed):
        org.move_companies(world.admin, [world.company_a.id], office.id)


# --- moving companies -----------------------------------------------------------------------


def test_move_with_a_new_manager_hands_over_through_the_ordinary_handover(db_session, world):
    pending = reminder(db_session, world.company_a, world.manager_a1)
    done = reminder(db_session, world.company_a, world.manager_a1, status="done", days=-3)
    moved = org.move_companies(
        world.admin,
        [world.company_a.id, world.company_a2.id],
        world.office_b.id,
        world.manager_b1.id,
        note="区域调整",
    )
    for company in (world.company_a, world.company_a2):
        assert (company.office_id, company.manager_id) == (world.office_b.id, world.manager_b1.id)
    assert (pending.assignee_id, done.assignee_id) == (world.manager_b1.id, world.manager_a1.id)
    db_session.refresh(world.opportunity_a)
    assert world.opportunity_a.owner_id == world.manager_b1.id  # the open opportunity moves too
    assignments = db_session.scalars(
        select(ManagerAssignment).where(
            ManagerAssignment.ended_at.is_(None), ManagerAssignment.manager_id == world.manager_b1.id
        )
    ).all()
    assert {a.company_id for a in assignments} == {world.company_a.id, world.company_a2.id}
    assert all(a.note == "区域调整" and a.assigned_by_id == world.admin.id for a in assignments)
    told = db_session.scalars(
        select(Notification.kind).where(Notification.user_id == world.manager_b1.id)
    ).all()
    assert told.count("company_assigned") == 2
    assert moved.office.id == world.office_b.id and len(moved.companies) == 2


def test_a_move_is_one_audited_change_carrying_the_list(db_session, world):
    moved = org.move_companies(
        world.admin, [world.company_a.id, world.company_a2.id], world.office_b.id, world.manager_b1.id
    )
    events = db_session.scalars(select(AuditEvent).where(AuditEvent.batch == moved.batch)).all()
    entities = [e.entity for e in events]
    assert entities.count("company") >= 2 and entities.count("manager_assignment") >= 2
    summary = [e for e in events if e.action == "move"]
    assert len(summary) == 1
    after = summary[0].after
    assert [c["id"] for c in after["companies"]] == [world.company_a.id, world.company_a2.id]
    assert {c["from_office_id"] for c in after["companies"]} == {world.office_a.id}
    assert after["manager_id"] == world.manager_b1.id and summary[0].entity_id == world.office_b.id
    unbatched = db_session.scalars(
        select(AuditEvent).where(
            AuditEvent.entity == "company", AuditEvent.batch.is_(None), AuditEvent.action == "update"
        )
    ).all()
    assert unbatched == []


def test_move_keeps_a_manager_who_works_in_the_target_office(db_session, world):
    other = factories.office(db_session, world.branch_a)
    company = factories.company(db_session, other, world.manager_a1)  # served from office A
    pending = reminder(db_session, company, world.manager_a1)
    moved = org.move_companies(world.admin, [company.id], world.office_a.id)
    assert (company.office_id, company.manager_id) == (world.office_a.id, world.manager_a1.id)
    assert pending.assignee_id == world.manager_a1.id and moved.manager is None
    assert (
        db_session.scalars(select(ManagerAssignment).where(ManagerAssignment.company_id == company.id)).all()
        == []
    )


def test_a_new_manager_is_required_when_the_current_one_is_not_in_the_target_office(db_session, world):
    with pytest.raises(ValidationFailed) as e:
        org.move_companies(world.admin, [world.company_a.id, world.company_a2.id], world.office_b.id)
    message = _reasons(e)["manager_id"][0]
    assert world.company_a.name_zh in message and world.company_a2.name_zh in message
    assert world.company_a.office_id == world.office_a.id


def test_manager_a1_is_in_office_a_but_the_new_manager_must_be_of_the_target_office(db_session, world):
    with pytest.raises(ValidationFailed) as e:
        org.move_companies(world.admin, [world.company_a.id], world.office_b.id, world.manager_a2.id)
    assert _reasons(e)["manager_id"] == ["Choose an enabled account manager of the target office."]
    disabled = factories.user(db_session, "account_manager", world.office_b, is_enabled=False)
    for manager_id in (disabled.id, world.head_b.id, 999_999):
        with pytest.raises(ValidationFailed) as e:
            org.move_companies(world.admin, [world.company_a.id], world.office_b.id, manager_id)
        assert "manager_id" in _reasons(e)
    assert (world.company_a.office_id, world.company_a.manager_id) == (world.office_a.id, world.manager_a1.id)


@pytest.mark.parametrize(
    "ids, office, field",
    [
        ([], "b", "company_ids"),
        ([999_999], "b", "company_ids"),
        (["a"], None, "office_id"),
        (["a"], 999_999, "office_id"),
        (["a"], "a", "company_ids"),
    ],
)
def test_bad_moves_are_refused_and_nothing_is_written(db_session, world, ids, office, field):
    company_ids = [world.company_a.id if i == "a" else i for i in ids]
    office_id = {"a": world.office_a.id, "b": world.office_b.id}.get(office, office)
    before = db_session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1))
    with pytest.raises(ValidationFailed) as e:
        org.move_companies(world.admin, company_ids, office_id, world.manager_b1.id)
    assert field in _reasons(e)
    assert db_session.scalar(select(AuditEvent.id).order_by(AuditEvent.id.desc()).limit(1)) == before
    assert world.company_a.office_id == world.office_a.id


def test_no_move_into_a_closed_office(db_session, world):
    office = factories.office(db_session, world.branch_b)
    org.close_office(world.admin, office)
    with pytest.raises(ValidationFailed) as e:
        org.move_companies(world.admin, [world.company_a.id], office.id)
    assert _reasons(e)["office_id"] == ["Choose an open sales office."]


def test_too_many_companies_at_once_are_refused(db_session, world, monkeypatch):
    monkeypatch.setattr(org, "MOVE_LIMIT", 1)
    with pytest.raises(ValidationFailed) as e:
        org.move_companies(
            world.admin, [world.company_a.id, world.company_a2.id], world.office_b.id, world.manager_b1.id
        )
    assert "At most 1 companies" in _reasons(e)["company_ids"][0]
