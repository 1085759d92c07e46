"""Known ranking scenes for the ranking and portfolio tests: snapshots written directly, so every
rank, tier, status and revenue is chosen by hand."""

from datetime import date
from decimal import Decimal

from portal.scoring.models import ScoreSnapshot
from tests import factories

D1, D2, D3 = date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)
TWO = Decimal("0.01")
COMPONENT_NAMES = ("revenue", "frequency", "premium", "growth", "recency", "attainment")


def snapshot(session, company, score_date, rank, total, tier="standard", status="active", **kw):
    """One stored snapshot; percentiles default to the total."""
    pct = {f"pct_{name}": Decimal(kw.pop(name, total)).quantize(TWO) for name in COMPONENT_NAMES}
    obj = ScoreSnapshot(
        company_id=company.id,
        score_date=score_date,
        revenue_fen=kw.pop("revenue_fen", 0),
        segments=kw.pop("segments", 0),
        premium_share=Decimal("0"),
        growth=Decimal("0"),
        recency_days=kw.pop("recency_days", 10),
        attainment=Decimal("0"),
        total=Decimal(total).quantize(TWO),
        rank=rank,
        tier=tier,
        activity_status=status,
        **pct,
        **kw,
    )
    session.add(obj)
    return obj


def ranking_world(session):
    """The small world plus a3 (branch A, manager A2) and b2 (branch B, finance, new on D3).

    D3: a #1 platinum active 90, b #2 gold active 80, a2 #3 silver sleeping 60,
        a3 #4 standard lost 30, b2 #5 standard active 20 (not scored before).
    D2: b #1, a2 #2 (active), a #3, a3 #4 (sleeping).   D1: a #1, b #2, a2 #3, a3 #4.
    Premium percentiles on D3: a 10, b 90, a2 50, a3 70, b2 30.
    Revenue on D3 (fen): a 500k, b 300k, a2 150k, a3 0, b2 50k CNY.
    """
    w = factories.small_world(session)
    w.company_a3 = factories.company(
        session, w.office_a, w.manager_a2, name_zh="燕京物流有限公司", industry="logistics"
    )
    w.company_b2 = factories.company(
        session, w.office_b, w.manager_b1, name_zh="浦东证券有限公司", industry="finance", city="上海"
    )
    a, a2, b, a3, b2 = w.company_a, w.company_a2, w.company_b, w.company_a3, w.company_b2
    for company, rank, total in ((a, 1, 70), (b, 2, 65), (a2, 3, 50), (a3, 4, 20)):
        snapshot(session, company, D1, rank, total)
    for company, rank, total, status in (
        (b, 1, 85, "active"),
        (a2, 2, 70, "active"),
        (a, 3, 60, "active"),
        (a3, 4, 25, "sleeping"),
    ):
        snapshot(session, company, D2, rank, total, status=status)
    for company, rank, total, tier, status, premium, revenue in (
        (a, 1, 90, "platinum", "active", 10, 500_000_00),
        (b, 2, 80, "gold", "active", 90, 300_000_00),
        (a2, 3, 60, "silver", "sleeping", 50, 150_000_00),
        (a3, 4, 30, "standard", "lost", 70, 0),
        (b2, 5, 20, "standard", "active", 30, 50_000_00),
    ):
        snapshot(session, company, D3, rank, total, tier, status, premium=premium, revenue_fen=revenue)
    session.flush()
    return w
