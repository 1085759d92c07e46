"""Group customers without HTTP: the parent rules (no self, no circle, three levels at most),
the group's figures per member and in total with the combined attainment, and the account
review of a parent with its subsidiaries."""

from datetime import date
from decimal import Decimal

import pytest

from portal.agreements import attainment
from portal.companies import groups, profile
from portal.errors import ValidationFailed
from portal.reviews import generation
from portal.reviews.data import account_data
from portal.reviews.periods import parse
from tests import factories
from tests.companies.test_profile import fields
from tests.reviews.helpers import pdf_text

pytestmark = pytest.mark.usefixtures("ctx")

TODAY = date(2026, 10, 15)


def set_parent(actor, company, parent):
    """Save the company's profile unchanged but for its parent (an id, a code or blank)."""
    values = fields(
        name_zh=company.name_zh,
        name_en=company.name_en,
        credit_code=company.credit_code,
        industry=company.industry,
        headcount_band=company.headcount_band,
        city=company.city,
        address=company.address or "",
        parent_id=parent,
    )
    return profile.update_profile(actor, company, values)


@pytest.fixture()
def chain(db_session, world):
    """A → A2 → B: company A heads a group of three levels."""
    set_parent(world.admin, world.company_a2, str(world.company_a.id))
    set_parent(world.admin, world.company_b, str(world.company_a2.id))
    return world


def test_set_and_clear_a_parent_by_id_or_credit_code(db_session, world):
    set_parent(world.manager_a1, world.company_a2, world.company_b.credit_code)
    assert world.company_a2.parent_id == world.company_b.id
    set_parent(world.manager_a1, world.company_a2, str(world.company_a.id))
    assert world.company_a2.parent_id == world.company_a.id
    set_parent(world.manager_a1, world.company_a2, "")
    assert world.company_a2.parent_id is None


@pytest.mark.parametrize("parent", ["999999", "9" * 17, "9" * 30, "91110000000000000X", "abc"])
def test_an_unknown_parent_is_refused(db_session, world, parent):
    with pytest.raises(ValidationFailed) as e:
        set_parent(world.manager_a1, world.company_a2, parent)
    assert "parent_id" in e.value.reasons


def test_no_company_is_its_own_parent(db_session, world):
    with pytest.raises(ValidationFailed) as e:
        set_parent(world.manager_a1, world.company_a, str(world.company_a.id))
    assert "own parent" in e.value.reasons["parent_id"][0]


def test_no_circles(db_session, chain):
    w = chain
    for parent in (w.company_a2, w.company_b):
        with pytest.raises(ValidationFailed) as e:
            set_parent(w.admin, w.company_a, str(parent.id))
        assert "circle" in e.value.reasons["parent_id"][0]
    assert w.company_a.parent_id is None


def test_at_most_three_levels(db_session, chain):
    w = chain
    with pytest.raises(ValidationFailed) as e:  # a fourth level under B
        profile.create_company(w.admin, fields(w.office_a, parent_id=str(w.company_b.id)))
    assert "at most 3 levels" in e.value.reasons["parent_id"][0]
    # A company with a subsidiary of its own cannot go under A2 either (A → A2 → X → Y).
    x = factories.company(db_session, w.office_a, w.manager_a1)
    y = factories.company(db_session, w.office_a, w.manager_a1)
    set_parent(w.admin, y, str(x.id))
    with pytest.raises(ValidationFailed):
        set_parent(w.admin, x, str(w.company_a2.id))
    set_parent(w.admin, x, str(w.company_a.id))  # A → X → Y: three levels
    assert x.parent_id == w.company_a.id


def test_a_closed_company_heads_no_group(db_session, world):
    closed = factories.company(db_session, world.office_a, world.manager_a1, status="closed")
    with pytest.raises(ValidationFailed):
        set_parent(world.manager_a1, world.company_a2, str(closed.id))


def test_walks_up_and_down(db_session, chain):
    w = chain
    assert groups.ancestor_ids(w.company_b.id) == [w.company_a2.id, w.company_a.id]
    assert groups.descendant_levels(w.company_a.id) == {w.company_a2.id: 1, w.company_b.id: 2}
    assert groups.member_ids(w.company_a2.id) == [(w.company_a2.id, 0), (w.company_b.id, 1)]


@pytest.fixture()
def flown(db_session, chain):
    """Revenue inside and outside the trailing year, and agreements of the calendar year."""
    w = chain
    factories.segment(db_session, w.company_a, date(2026, 7, 10), 100000)
    factories.segment(db_session, w.company_a2, date(2025, 10, 20), 50000)  # inside: from 2025-10-16
    factories.segment(db_session, w.company_a2, date(2025, 10, 10), 999900)  # outside the year
    factories.segment(db_session, w.company_b, date(2026, 10, 1), 70000, cabin="C")
    for agreement in (w.agreement_a, w.agreement_b):
        agreement.valid_from, agreement.valid_to = date(2026, 1, 1), date(2026, 12, 31)
    db_session.flush()
    return w


def test_group_figures_for_those_who_see_everything(db_session, flown):
    w = flown
    g = groups.group(w.admin, w.company_a, TODAY)
    assert [(m.company.id, m.level) for m in g.members] == [
        (w.company_a.id, 0),
        (w.company_a2.id, 1),
        (w.company_b.id, 2),
    ]
    assert [(m.revenue_fen, m.segments) for m in g.members] == [(100000, 1), (50000, 1), (70000, 1)]
    assert (g.revenue_fen, g.segments, g.hidden) == (220000, 3, 0)
    each = [attainment.for_agreement(a, TODAY) for a in (w.agreement_a, w.agreement_b)]
    assert g.commitment_revenue_fen == sum(a.commitment_revenue_fen for a in each) == 100_000_000
    assert g.attained_revenue_fen == 170000
    assert g.revenue_percent == Decimal("0.17")
    assert g.forecast_revenue_fen == sum(a.forecast_revenue_fen for a in each)


def test_members_outside_the_scope_are_named_not_counted(db_session, flown):
    w = flown
    g = groups.group(w.manager_a1, w.company_a, TODAY)
    assert [m.in_full for m in g.members] == [True, True, False]
    assert (g.revenue_fen, g.segments, g.hidden) == (150000, 2, 1)
    assert g.commitment_revenue_fen == 50_000_000 and g.revenue_percent == Decimal("0.20")
    assert g.members[2].revenue_fen == 0 and g.members[2].attainment is None


def test_review_of_a_parent_with_its_subsidiaries(db_session, flown, tmp_path):
    w = flown
    period = parse("2026Q3")
    assert account_data(w.company_a.id, period, today=TODAY)["subsidiaries"] is None
    data = account_data(w.company_a.id, period, today=TODAY, include_subsidiaries=True)
    assert [(m["name_zh"], m["level"]) for m in data["subsidiaries"]["members"]] == [
        (w.company_a2.name_zh, 1),
        (w.company_b.name_zh, 2),
    ]
    # In 2026Q3 only A flew (2026-07-10); B flew in October.
    assert (data["subsidiaries"]["revenue_fen"], data["subsidiaries"]["segments"]) == (100000, 1)
    mine = account_data(
        w.company_a.id, period, today=TODAY, include_subsidiaries=True, author_id=w.manager_a1.id
    )
    assert [m["name_zh"] for m in mine["subsidiaries"]["members"]] == [w.company_a2.name_zh]
    result = generation.render_context(data, tmp_path / "group.pdf")
    text = pdf_text(result.path)
    assert "集团成员" in text and w.company_a2.name_zh in text and w.company_b.name_zh in text


def test_a_queued_review_keeps_the_option(db_session, world):
    review = generation.queue_review(
        "account", "2026Q3", company_id=world.company_a.id, include_subsidiaries=True
    )
    assert review.include_subsidiaries is True
    portfolio = generation.queue_review("portfolio", "2026Q3", include_subsidiaries=True)
    assert portfolio.include_subsidiaries is False


def test_cli_generates_a_review_with_subsidiaries(app, db_session, flown, tmp_path):
    w = flown
    runner = app.test_cli_runner()
    out = tmp_path / "group.pdf"
    args = ["reviews", "generate", "--company", str(w.company_a.id), "--period", "2026Q3", "--out", str(out)]
    result = runner.invoke(args=[*args, "--with-subsidiaries"])
    assert result.exit_code == 0, result.output
    assert "集团成员" in pdf_text(out) and w.company_b.name_zh in pdf_text(out)
    result = runner.invoke(args=["reviews", "generate", "--portfolio", "--with-subsidiaries", *args[4:]])
    assert result.exit_code == 2 and "--with-subsidiaries goes with --company" in result.output
