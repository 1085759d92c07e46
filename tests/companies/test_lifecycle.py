"""A company's lifecycle without HTTP: the allowed moves, the reason on the timeline, closing
refused while an agreement is live, and a closed company out of rankings, revisits and call
lists but with its dossier."""

from datetime import date, datetime

import pytest
from sqlalchemy import select

from portal.companies import lifecycle, merge
from portal.companies.models import COMPANY_STATUSES, CompanyStatusChange
from portal.companies.timeline import timeline
from portal.errors import NotAllowed, ValidationFailed
from portal.reminders import operations as reminder_ops
from portal.reminders.models import Reminder
from portal.reminders.queries import call_list
from portal.scoring import queries as ranking
from tests import factories
from tests.scoring.scenes import snapshot

pytestmark = pytest.mark.usefixtures("ctx")

ALLOWED = {
    ("prospect", "active"),
    ("prospect", "closed"),
    ("active", "suspended"),
    ("active", "closed"),
    ("suspended", "active"),
    ("suspended", "closed"),
    ("closed", "prospect"),
}


@pytest.mark.parametrize("old", COMPANY_STATUSES)
@pytest.mark.parametrize("new", COMPANY_STATUSES)
def test_only_the_listed_moves_are_allowed(db_session, world, old, new):
    company = factories.company(db_session, world.office_a, world.manager_a1, status=old)
    if (old, new) in ALLOWED:
        change = lifecycle.change_status(world.manager_a1, company, new, "客户确认")
        assert company.status == new and (change.from_status, change.to_status) == (old, new)
    else:
        with pytest.raises(ValidationFailed) as e:
            lifecycle.change_status(world.manager_a1, company, new, "客户确认")
        assert "status" in e.value.reasons and company.status == old


def test_the_moves_are_defined_in_one_place():
    assert {(a, b) for a, bs in lifecycle.TRANSITIONS.items() for b in bs} == ALLOWED


def test_an_unknown_status_and_a_missing_reason_are_refused(db_session, world):
    company = world.company_a2
    with pytest.raises(ValidationFailed) as e:
        lifecycle.change_status(world.manager_a1, company, "bankrupt", "   ")
    assert set(e.value.reasons) == {"status", "reason"}
    with pytest.raises(ValidationFailed) as e:
        lifecycle.change_status(world.manager_a1, company, "suspended", "x" * 2001)
    assert "reason" in e.value.reasons
    assert company.status == "active"


def test_the_reason_lands_on_the_timeline(db_session, world):
    lifecycle.change_status(world.manager_a1, world.company_a2, "suspended", "拖欠结算款，暂停合作")
    page = timeline(world.company_a2.id, type="status")
    assert [(e.from_status, e.to_status, e.note, e.actor.id) for e in page.entries] == [
        ("active", "suspended", "拖欠结算款，暂停合作", world.manager_a1.id)
    ]
    assert any(e.source == "status" for e in timeline(world.company_a2.id).entries)


@pytest.mark.parametrize("who", ["manager_a2", "head_b", "management", "booker_a"])
def test_only_those_who_may_change_the_dossier_move_the_status(db_session, world, who):
    with pytest.raises(NotAllowed):
        lifecycle.change_status(getattr(world, who), world.company_a2, "suspended", "原因")


def test_closing_is_refused_while_agreements_are_live(db_session, world):
    pending = factories.agreement(db_session, world.company_a, status="pending_approval", number="AG-PEND-1")
    with pytest.raises(ValidationFailed) as e:
        lifecycle.change_status(world.manager_a1, world.company_a, "closed", "客户注销")
    message = e.value.reasons["status"][0]
    assert world.agreement_a.number in message and pending.number in message
    assert world.company_a.status == "active"
    world.agreement_a.status = "terminated"
    pending.status = "draft"
    db_session.flush()
    lifecycle.change_status(world.manager_a1, world.company_a, "closed", "客户注销")
    assert world.company_a.status == "closed"


def test_closing_cancels_pending_reminders(db_session, world):
    company = world.company_a2
    for kind, status in (("revisit", "open"), ("follow_up", "snoozed"), ("reactivation", "done")):
        db_session.add(
            Reminder(
                company_id=company.id,
                assignee_id=world.manager_a1.id,
                kind=kind,
                title="t",
                due_on=date(2026, 3, 1),
                status=status,
            )
        )
    db_session.flush()
    lifecycle.change_status(world.manager_a1, company, "closed", "客户注销")
    statuses = {
        r.kind: r.status
        for r in db_session.scalars(select(Reminder).where(Reminder.company_id == company.id))
    }
    assert statuses == {"revisit": "cancelled", "follow_up": "cancelled", "reactivation": "done"}


def test_a_closed_company_reopens_as_a_prospect_unless_it_was_merged(db_session, world):
    company = factories.company(db_session, world.office_a, world.manager_a1, status="closed")
    lifecycle.change_status(world.manager_a1, company, "prospect", "客户重新开业")
    assert company.status == "prospect"
    merge.merge_companies(world.company_a, world.company_a2)
    absorbed = db_session.get(type(company), world.company_a2.id)
    with pytest.raises(ValidationFailed):
        lifecycle.change_status(world.admin, absorbed, "prospect", "误操作")


def test_a_closed_company_leaves_the_rankings_and_keeps_its_dossier(db_session, world):
    day = date(2026, 6, 30)
    snapshot(db_session, world.company_a, day, 1, 90, tier="platinum")
    snapshot(db_session, world.company_a2, day, 2, 50, tier="gold")
    db_session.flush()
    filters = ranking.RankingFilters()

    def ranked():
        return [r.company.id for r in ranking.export_rows(world.admin, [day], filters)]

    assert ranked() == [world.company_a.id, world.company_a2.id]
    lifecycle.change_status(world.manager_a1, world.company_a2, "closed", "客户注销")
    assert ranked() == [world.company_a.id]
    assert ranking.portfolio(world.admin).companies == 1
    # The dossier keeps its history: the snapshot and the timeline are still there.
    assert any(e.source == "tier" for e in timeline(world.company_a2.id).entries)


def test_a_closed_company_gets_no_revisits_and_is_off_the_call_list(db_session, world):
    company = factories.company(
        db_session, world.office_a, world.manager_a1, tier="gold", created_at=datetime(2024, 1, 1)
    )
    assert company.id in {row.company_id for row in call_list(world.office_a.id, [], [])}
    lifecycle.change_status(world.manager_a1, company, "closed", "客户注销")
    reminder_ops.generate_revisits(date(2026, 6, 1))
    assert db_session.scalars(select(Reminder).where(Reminder.company_id == company.id)).all() == []
    assert company.id not in {row.company_id for row in call_list(world.office_a.id, [], [])}


def test_every_change_is_kept(db_session, world):
    lifecycle.change_status(world.head_a, world.company_a2, "suspended", "一")
    lifecycle.change_status(world.head_a, world.company_a2, "active", "二")
    rows = db_session.scalars(
        select(CompanyStatusChange)
        .where(CompanyStatusChange.company_id == world.company_a2.id)
        .order_by(CompanyStatusChange.id)
    ).all()
    assert [(r.to_status, r.reason) for r in rows] == [("suspended", "一"), ("active", "二")]
