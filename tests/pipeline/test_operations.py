"""Opportunity services: creation, stage moves and their history, won and lost, access."""

from datetime import date, datetime, timedelta

import pytest
from sqlalchemy import select

from portal.agreements.attainment import add_years
from portal.agreements.models import Agreement
from portal.errors import NotAllowed, ValidationFailed
from portal.pipeline import operations, queries
from portal.pipeline.models import OpportunityStageChange
from portal.pipeline.operations import Details
from tests import factories

TODAY = date(2026, 6, 15)


def details(owner, **kw) -> Details:
    values = dict(
        title="京沪航线协议",
        kind="new_account",
        expected_revenue_fen=800_000_00,
        close_date=TODAY + timedelta(days=30),
        owner_id=owner.id,
    )
    values.update(kw)
    return Details(**values)


@pytest.fixture()
def prospect(db_session, world):
    return factories.company(
        db_session, world.office_a, world.manager_a1, status="prospect", name_zh="潜在客户有限公司"
    )


def history(db_session, opportunity):
    return db_session.execute(
        select(
            OpportunityStageChange.from_stage,
            OpportunityStageChange.to_stage,
            OpportunityStageChange.actor_id,
        )
        .where(OpportunityStageChange.opportunity_id == opportunity.id)
        .order_by(OpportunityStageChange.id)
    ).all()


def test_create_starts_as_lead_with_default_probability_and_history(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    assert (o.stage, o.probability, o.owner_id) == ("lead", 10, world.manager_a1.id)
    assert history(db_session, o) == [(None, "lead", world.manager_a1.id)]


def test_create_keeps_an_entered_probability(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1, probability=30))
    assert o.probability == 30


@pytest.mark.parametrize(
    "stage, probability",
    [("qualified", 25), ("proposal", 50), ("negotiation", 75), ("lead", 10)],
)
def test_probability_defaults_by_stage(db_session, world, prospect, stage, probability):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1, probability=42))
    if stage == "lead":
        operations.move_stage(world.manager_a1, o, "qualified", today=TODAY)
    operations.move_stage(world.manager_a1, o, stage, today=TODAY)
    assert o.probability == probability


def test_moves_are_recorded_with_time_and_author(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    before = o.stage_changed_at
    operations.move_stage(world.manager_a1, o, "qualified", today=TODAY)
    operations.move_stage(world.head_a, o, "proposal", today=TODAY)
    operations.move_stage(world.manager_a1, o, "qualified", today=TODAY)  # moving back is allowed
    assert history(db_session, o) == [
        (None, "lead", world.manager_a1.id),
        ("lead", "qualified", world.manager_a1.id),
        ("qualified", "proposal", world.head_a.id),
        ("proposal", "qualified", world.manager_a1.id),
    ]
    assert o.stage_changed_at >= before
    assert all(c.at is not None for c in o.stage_changes)


def test_probability_stays_editable(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    operations.move_stage(world.manager_a1, o, "proposal", today=TODAY)
    operations.update_details(world.manager_a1, o, details(world.manager_a1, probability=65))
    assert (o.stage, o.probability) == ("proposal", 65)


def test_lost_needs_a_reason(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    with pytest.raises(ValidationFailed) as e:
        operations.move_stage(world.manager_a1, o, "lost", today=TODAY)
    assert "lost_reason" in e.value.reasons
    with pytest.raises(ValidationFailed):
        operations.mark_lost(world.manager_a1, o, "bored")
    assert o.stage == "lead"
    operations.move_stage(world.manager_a1, o, "lost", today=TODAY, lost_reason="competitor")
    assert (o.stage, o.lost_reason, o.probability) == ("lost", "competitor", 0)
    assert history(db_session, o)[-1][:2] == ("lead", "lost")


@pytest.mark.parametrize("closed", ["won", "lost"])
@pytest.mark.parametrize("target", ["lead", "qualified", "won", "lost"])
def test_closed_opportunities_do_not_move(db_session, world, prospect, closed, target):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    operations.move_stage(world.manager_a1, o, closed, today=TODAY, lost_reason="price")
    count = len(history(db_session, o))
    with pytest.raises(ValidationFailed) as e:
        operations.move_stage(world.manager_a1, o, target, today=TODAY, lost_reason="price")
    assert "closed opportunity" in str(e.value)
    assert o.stage == closed
    assert len(history(db_session, o)) == count
    with pytest.raises(ValidationFailed):
        operations.update_details(world.manager_a1, o, details(world.manager_a1))


def test_unknown_and_same_stage_are_refused(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    for bad in (None, "", "signed", "LEAD"):
        with pytest.raises(ValidationFailed):
            operations.move_stage(world.manager_a1, o, bad, today=TODAY)
    with pytest.raises(ValidationFailed):
        operations.move_stage(world.manager_a1, o, "lead", today=TODAY)
    assert len(history(db_session, o)) == 1


def test_won_prospect_becomes_active_with_a_prefilled_draft(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1))
    operations.move_stage(world.manager_a1, o, "negotiation", today=TODAY)
    agreement = operations.move_stage(world.manager_a1, o, "won", today=TODAY)
    assert prospect.status == "active"
    assert agreement.status == "draft"
    assert agreement.company_id == prospect.id
    assert agreement.commitment_revenue_fen == 800_000_00
    assert agreement.valid_from == TODAY + timedelta(days=30)
    assert agreement.valid_to == add_years(TODAY + timedelta(days=30), 1) - timedelta(days=1)
    assert agreement.author_id == world.manager_a1.id
    assert (o.stage, o.probability, o.agreement_id) == ("won", 100, agreement.id)
    assert [x.id for x in queries.for_agreement(agreement.id)] == [o.id]
    assert history(db_session, o)[-1][:2] == ("negotiation", "won")


def test_won_without_close_date_runs_a_year_from_today(db_session, world, prospect):
    o = operations.create(world.manager_a1, prospect, details(world.manager_a1, close_date=None))
    agreement = operations.mark_won(world.manager_a1, o, today=TODAY)
    assert (agreement.valid_from, agreement.valid_to) == (TODAY, date(2027, 6, 14))


def test_won_upsell_on_an_account_opens_a_renewal_draft(db_session, world):
    today = date.today()
    o = operations.create(world.manager_a1, world.company_a, details(world.manager_a1, kind="upsell"))
    renewal = operations.mark_won(world.manager_a1, o, today=today)
    assert renewal.status == "draft"
    assert renewal.renewed_from_id == world.agreement_a.id
    assert world.company_a.status == "active"
    # A second win on the same account links the renewal already drafted.
    again = operations.create(world.manager_a1, world.company_a, details(world.manager_a1, kind="renewal"))
    assert operations.mark_won(world.manager_a1, again, today=today).id == renewal.id
    drafts = db_session.scalars(
        select(Agreement).where(Agreement.renewed_from_id == world.agreement_a.id)
    ).all()
    assert len(drafts) == 1


def test_account_without_agreement_gets_a_new_draft(db_session, world):
    o = operations.create(world.manager_a1, world.company_a2, details(world.manager_a1, kind="upsell"))
    agreement = operations.mark_won(world.manager_a1, o, today=TODAY)
    assert agreement.renewed_from_id is None and agreement.company_id == world.company_a2.id


@pytest.mark.parametrize(
    "change, field",
    [
        ({"title": "  "}, "title"),
        ({"title": "x" * 201}, "title"),
        ({"kind": "merger"}, "kind"),
        ({"expected_revenue_fen": -1}, "expected_revenue"),
        ({"expected_revenue_fen": None}, "expected_revenue"),
        ({"probability": 101}, "probability"),
        ({"next_step_on": TODAY, "next_step": ""}, "next_step"),
    ],
)
def test_bad_details_are_refused(db_session, world, prospect, change, field):
    with pytest.raises(ValidationFailed) as e:
        operations.create(world.manager_a1, prospect, details(world.manager_a1, **change))
    assert field in e.value.reasons


def test_a_manager_cannot_make_someone_else_owner(db_session, world, prospect):
    with pytest.raises(ValidationFailed) as e:
        operations.create(world.manager_a1, prospect, details(world.manager_a2))
    assert "owner_id" in e.value.reasons
    # The branch head may give it to a manager of the branch, but not to one of another branch.
    o = operations.create(world.head_a, prospect, details(world.manager_a2))
    assert o.owner_id == world.manager_a2.id
    with pytest.raises(ValidationFailed):
        operations.create(world.head_a, prospect, details(world.manager_b1))


def test_who_may_see_and_change(db_session, world):
    o = world.opportunity_a  # company_a, owned by manager_a1
    assert operations.may_see(world.manager_a1, o) and operations.may_edit(world.manager_a1, o)
    assert operations.may_see(world.head_a, o) and operations.may_edit(world.head_a, o)
    assert operations.may_see(world.admin, o) and operations.may_edit(world.admin, o)
    assert operations.may_see(world.management, o) and not operations.may_edit(world.management, o)
    for outsider in (world.manager_a2, world.head_b, world.manager_b1, world.booker_a):
        assert not operations.may_see(outsider, o) and not operations.may_edit(outsider, o)
    with pytest.raises(NotAllowed):
        operations.move_stage(world.management, o, "qualified", today=TODAY)
    with pytest.raises(NotAllowed):
        operations.create(world.manager_a2, world.company_a, details(world.manager_a2))
    # An owner sees and changes the opportunity even on a company they do not manage.
    theirs = factories.opportunity(db_session, world.company_a, world.manager_a2)
    assert operations.may_see(world.manager_a2, theirs) and operations.may_edit(world.manager_a2, theirs)


# --- stale -----------------------------------------------------------------------------------------


NOW = datetime(2026, 6, 15, 4, 0)


def _aged(db_session, world, *, days: float, **kw):
    o = factories.opportunity(db_session, world.company_b, world.manager_b1, **kw)
    o.updated_at = NOW - timedelta(days=days)
    db_session.flush()
    return o


def test_stale_at_exactly_the_configured_days(db_session, world):
    thirty = _aged(db_session, world, days=30, title="thirty")
    twenty_nine = _aged(db_session, world, days=29, title="twenty-nine")
    almost = _aged(db_session, world, days=29.99, title="almost")
    old_but_won = _aged(db_session, world, days=90, title="won", stage="won")
    ids = {o.id for o in queries.stale_list(world.head_b, now=NOW, today=NOW.date(), stale_days=30)}
    assert thirty.id in ids
    assert twenty_nine.id not in ids and almost.id not in ids and old_but_won.id not in ids
    assert queries.is_stale(thirty, NOW, NOW.date(), 30)
    assert not queries.is_stale(twenty_nine, NOW, NOW.date(), 30)
    assert not queries.is_stale(old_but_won, NOW, NOW.date(), 30)


def test_stale_when_the_next_step_date_passed(db_session, world):
    overdue = _aged(db_session, world, days=1, next_step="回电", next_step_on=NOW.date() - timedelta(days=1))
    due_today = _aged(db_session, world, days=1, next_step="回电", next_step_on=NOW.date())
    ids = {o.id for o in queries.stale_list(world.head_b, now=NOW, today=NOW.date(), stale_days=30)}
    assert overdue.id in ids and due_today.id not in ids


def test_stale_list_is_the_owners_and_the_branch_heads(db_session, world):
    o = _aged(db_session, world, days=45)
    assert [x.id for x in queries.stale_list(world.manager_b1, now=NOW, today=NOW.date(), stale_days=30)] == [
        o.id
    ]
    assert o.id in {x.id for x in queries.stale_list(world.head_b, now=NOW, today=NOW.date(), stale_days=30)}
    assert queries.stale_list(world.head_a, now=NOW, today=NOW.date(), stale_days=30) == []
    assert queries.stale_list(world.manager_a1, now=NOW, today=NOW.date(), stale_days=30) == []
