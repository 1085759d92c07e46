"""The scoring arithmetic, property-based: monotonic, total order, tier shares, weights."""

import random
from dataclasses import replace
from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from portal.scoring.engine import (
    COMPONENTS,
    CompanyScore,
    Rules,
    activity_status,
    percentile_ranks,
    rank_scores,
    tier_cutoffs,
)

raw_company = st.builds(
    dict,
    revenue_fen=st.integers(0, 10**10),
    segments=st.integers(0, 5000),
    premium_share=st.floats(0, 1),
    growth=st.floats(-2, 2),
    recency_days=st.one_of(st.none(), st.integers(0, 800)),
    attainment=st.floats(0, 1.5),
)
companies = st.lists(raw_company, min_size=1, max_size=40)


def build(raw: list[dict]) -> list[CompanyScore]:
    return [CompanyScore(company_id=i + 1, **values) for i, values in enumerate(raw)]


def total_of(scores, company_id):
    return next(s.total for s in scores if s.company_id == company_id)


@settings(max_examples=150, deadline=None)
@given(companies, st.data())
def test_more_revenue_never_lowers_a_score(raw, data):
    i = data.draw(st.integers(0, len(raw) - 1))
    extra = data.draw(st.integers(1, 10**9))
    before = rank_scores(build(raw), Rules.defaults())
    raised = [dict(r) for r in raw]
    raised[i]["revenue_fen"] += extra
    after = rank_scores(build(raised), Rules.defaults())
    assert total_of(after, i + 1) >= total_of(before, i + 1)


@settings(max_examples=150, deadline=None)
@given(companies, st.data())
def test_more_segments_never_lower_a_score(raw, data):
    i = data.draw(st.integers(0, len(raw) - 1))
    raised = [dict(r) for r in raw]
    raised[i]["segments"] += data.draw(st.integers(1, 1000))
    before = rank_scores(build(raw), Rules.defaults())
    after = rank_scores(build(raised), Rules.defaults())
    assert total_of(after, i + 1) >= total_of(before, i + 1)


@settings(max_examples=100, deadline=None)
@given(companies, st.randoms(use_true_random=False))
def test_order_is_total_and_deterministic(raw, rnd):
    ranked = rank_scores(build(raw), Rules.defaults())
    assert [s.rank for s in ranked] == list(range(1, len(raw) + 1))
    keys = [(-s.total, -s.revenue_fen, s.company_id) for s in ranked]
    assert keys == sorted(keys)
    shuffled = build(raw)
    rnd.shuffle(shuffled)
    again = rank_scores(shuffled, Rules.defaults())
    assert [(s.company_id, s.total, s.rank, s.tier) for s in again] == [
        (s.company_id, s.total, s.rank, s.tier) for s in ranked
    ]


@settings(max_examples=100, deadline=None)
@given(
    st.integers(1, 3000),
    st.decimals(0, 40, places=2),
    st.decimals(0, 30, places=2),
    st.decimals(0, 30, places=2),
)
def test_tier_shares_are_respected(n, platinum, gold, silver):
    rules = Rules(
        weights=Rules.defaults().weights, share_platinum=platinum, share_gold=gold, share_silver=silver
    )
    p, g, s = tier_cutoffs(n, rules)
    assert p <= n * platinum / 100 < p + 1
    assert p + (g - p) <= n * (platinum + gold) / 100 < g + 1
    assert s <= n * (platinum + gold + silver) / 100 < s + 1
    assert 0 <= p <= g <= s <= n


def test_tier_counts_with_defaults():
    raw = [
        dict(revenue_fen=i * 1000, segments=i, premium_share=0.1, growth=0.0, recency_days=10, attainment=0.5)
        for i in range(1200)
    ]
    ranked = rank_scores(build(raw), Rules.defaults())
    counts = {
        tier: sum(1 for s in ranked if s.tier == tier) for tier in ("platinum", "gold", "silver", "standard")
    }
    assert counts == {"platinum": 60, "gold": 180, "silver": 360, "standard": 600}


@settings(max_examples=100, deadline=None)
@given(companies, st.sampled_from(COMPONENTS), st.data())
def test_a_zero_weight_removes_its_component(raw, component, data):
    weights = dict(Rules.defaults().weights)
    weights[component] = 0
    rules = replace(Rules.defaults(), weights=weights)
    field = {
        "revenue": "revenue_fen",
        "frequency": "segments",
        "recency": "recency_days",
        "premium": "premium_share",
    }.get(component, component)
    strategy = {
        "revenue_fen": st.integers(0, 10**10),
        "segments": st.integers(0, 5000),
        "premium_share": st.floats(0, 1),
        "growth": st.floats(-2, 2),
        "recency_days": st.one_of(st.none(), st.integers(0, 800)),
        "attainment": st.floats(0, 1.5),
    }[field]
    changed = [dict(r, **{field: data.draw(strategy)}) for r in raw]
    before = {s.company_id: s.total for s in rank_scores(build(raw), rules)}
    after = {s.company_id: s.total for s in rank_scores(build(changed), rules)}
    assert before == after


def test_all_weights_zero_is_refused():
    rules = replace(Rules.defaults(), weights=dict.fromkeys(COMPONENTS, 0))
    with pytest.raises(ValueError):
        rank_scores(
            build([dict(revenue_fen=1, segments=1, premium_share=0, growth=0, recency_days=1, attainment=0)]),
            rules,
        )


@pytest.mark.parametrize(
    "days, status",
    [
        (0, "active"),
        (89, "active"),
        (90, "active"),
        (91, "sleeping"),
        (364, "sleeping"),
        (365, "sleeping"),
        (366, "lost"),
        (None, "lost"),
    ],
)
def test_activity_status_boundaries(days, status):
    assert activity_status(days, Rules.defaults()) == status


def test_percentile_ranks_ties_extremes_and_single():
    assert percentile_ranks([]) == []
    assert percentile_ranks([5]) == [Decimal(100)]
    assert percentile_ranks([1, 2, 3]) == [Decimal("0.00"), Decimal("50.00"), Decimal("100.00")]
    assert percentile_ranks([7, 7, 9]) == [Decimal("0.00"), Decimal("0.00"), Decimal("100.00")]
    # Only the order counts: an outlier does not squash everyone else.
    assert percentile_ranks([1, 2, 10**12]) == percentile_ranks([1, 2, 3])


def test_points_add_up_to_the_total():
    raw = [
        dict(
            revenue_fen=random.Random(i).randint(0, 10**8),
            segments=i,
            premium_share=i / 50,
            growth=0.1,
            recency_days=i * 3,
            attainment=i / 40,
        )
        for i in range(50)
    ]
    rules = Rules.defaults()
    for s in rank_scores(build(raw), rules):
        assert abs(sum(s.points(rules).values()) - s.total) <= Decimal("0.05")
