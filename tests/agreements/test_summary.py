"""The agreement summaries the dossier's overview and the booker's home read as rows: which
agreement, its terms in order, and the same attainment as the ORM object gives."""

from datetime import timedelta
from decimal import Decimal

import pytest

from portal.agreements import attainment
from portal.agreements.queries import active_agreement, active_summary
from portal.companies import dossier
from portal.timeutil import local_today
from tests import factories
from tests.agreements.helpers import add_route_terms


@pytest.fixture()
def today(ctx):
    return local_today()


def test_a_summary_carries_the_agreements_columns_and_terms_in_order(ctx, db_session, world, today):
    agreement = world.agreement_a
    add_route_terms(agreement)
    factories.segment(db_session, world.company_a, today - timedelta(days=3), 90_000_00)
    db_session.flush()

    summary = dossier.current_agreement(world.company_a.id)

    for name in ("id", "number", "company_id", "status", "valid_from", "valid_to", "commitment_segments"):
        assert getattr(summary, name) == getattr(agreement, name)
    assert summary.commitment_revenue_fen == agreement.commitment_revenue_fen
    assert summary.entitlements == agreement.entitlements == ["priority_booking", "lounge"]
    assert [(d.scope, d.origin, d.destination, d.cabin, d.percent) for d in summary.discounts] == [
        (d.scope, d.origin, d.destination, d.cabin, d.percent) for d in agreement.discounts
    ]
    assert [t.threshold_percent for t in summary.incentive_tiers] == [Decimal(80), Decimal(120)]
    assert attainment.for_agreement(summary, today) == attainment.for_agreement(agreement, today)


def test_an_agreement_without_discounts_has_an_empty_list(ctx, db_session, world):
    bare = factories.agreement(db_session, world.company_a2)
    bare.discounts.clear()
    db_session.flush()
    summary = dossier.current_agreement(world.company_a2.id)
    assert summary.number == bare.number and summary.discounts == [] and summary.incentive_tiers == []


def test_the_dossier_shows_the_active_agreement_else_the_newest(ctx, db_session, world, today):
    company = world.company_a2
    assert dossier.current_agreement(company.id) is None
    old = factories.agreement(
        db_session,
        company,
        status="expired",
        valid_from=today - timedelta(days=800),
        valid_to=today - timedelta(days=435),
    )
    assert dossier.current_agreement(company.id).id == old.id
    draft = factories.agreement(
        db_session, company, status="draft", valid_from=today, valid_to=today + timedelta(days=365)
    )
    assert dossier.current_agreement(company.id).id == draft.id  # the newest when none is active
    active = factories.agreement(db_session, company)
    assert dossier.current_agreement(company.id).id == active.id


def test_the_bookers_summary_is_the_active_agreement_in_force_or_next(ctx, db_session, world, today):
    company = world.company_a2
    factories.agreement(db_session, company, status="draft")
    assert active_summary(company.id, today) is None
    factories.agreement(
        db_session, company, valid_from=today - timedelta(days=500), valid_to=today - timedelta(days=1)
    )  # active in status, but over
    assert active_summary(company.id, today) is None
    later = factories.agreement(
        db_session, company, valid_from=today + timedelta(days=30), valid_to=today + timedelta(days=395)
    )
    assert active_summary(company.id, today).id == later.id == active_agreement(company.id, today).id
    now = factories.agreement(db_session, company, valid_to=today + timedelta(days=29))
    assert active_summary(company.id, today).id == now.id == active_agreement(company.id, today).id
