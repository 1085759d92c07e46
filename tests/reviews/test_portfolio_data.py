"""Portfolio review figures (no PDF): tiers, top accounts, movers, sleeping, expiring agreements,
manager activity, for everything and for one branch."""

from datetime import date, datetime

from portal.reviews.data import portfolio_data
from portal.reviews.periods import parse
from tests import factories
from tests.reviews.helpers import TODAY
from tests.scoring.scenes import snapshot


def test_portfolio_figures(world, db_session):
    snapshot(db_session, world.company_a, date(2026, 6, 30), 1, 90, tier="platinum")
    snapshot(db_session, world.company_b, date(2026, 6, 30), 2, 80, tier="gold")
    snapshot(db_session, world.company_a2, date(2026, 6, 30), 3, 60, tier="silver")
    snapshot(db_session, world.company_a, date(2026, 9, 30), 2, 85, tier="gold", revenue_fen=300000)
    snapshot(db_session, world.company_b, date(2026, 9, 30), 1, 91, tier="platinum", revenue_fen=500000)
    snapshot(db_session, world.company_a2, date(2026, 9, 30), 3, 40, tier="silver", status="sleeping")
    world.agreement_a.valid_to = date(2026, 12, 1)  # 47 days after TODAY: expiring
    world.agreement_b.valid_to = date(2027, 6, 1)
    factories.interaction(
        db_session, world.company_a, author_id=world.manager_a1.id, occurred_at=datetime(2026, 8, 1, 3, 0)
    )
    db_session.flush()

    everything = portfolio_data(parse("2026Q3"), branch_id=None, today=TODAY)
    assert everything["companies"] == 3 and everything["revenue_fen"] == 800000
    assert {t["tier"]: t["companies"] for t in everything["tiers"]} == {
        "白金": 1,
        "金": 1,
        "银": 1,
        "普通": 0,
    }
    assert [r["name_zh"] for r in everything["top"]] == [
        world.company_b.name_zh,
        world.company_a.name_zh,
        world.company_a2.name_zh,
    ]
    assert [(m["name_zh"], m["movement"]) for m in everything["movers_up"]] == [(world.company_b.name_zh, 1)]
    assert [(m["name_zh"], m["movement"]) for m in everything["movers_down"]] == [
        (world.company_a.name_zh, -1)
    ]
    assert [s["name_zh"] for s in everything["sleeping"]] == [world.company_a2.name_zh]
    assert [e["number"] for e in everything["expiring"]] == [world.agreement_a.number]
    assert {"name": "李经理", "interactions": 1, "revisits": 0} in everything["managers"]

    branch_b = portfolio_data(parse("2026Q3"), branch_id=world.branch_b.id, today=TODAY)
    assert branch_b["branch"] == "上海分公司" and branch_b["companies"] == 1
    assert branch_b["expiring"] == [] and branch_b["managers"] == []
