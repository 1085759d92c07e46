"""The engine on real rows, on SQLite and PostgreSQL: values, storage, idempotence, CLI."""

from datetime import date, timedelta
from decimal import Decimal

from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.companies.models import Company
from portal.scoring.engine import Rules, compute
from portal.scoring.models import ScoreSnapshot
from portal.scoring.operations import recompute
from tests import factories

AS_OF = date(2026, 6, 30)


def _scene(session):
    """Four companies with known travel: big, premium, sleeping, never flown (no agreement)."""
    w = factories.small_world(session)
    big, premium, sleeper = w.company_a, w.company_a2, w.company_b
    quiet = factories.company(session, w.office_a, w.manager_a1, name_zh="静默贸易有限公司")
    for agreement in (w.agreement_a, w.agreement_b):
        agreement.valid_from, agreement.valid_to = date(2026, 1, 1), date(2026, 12, 31)
    w.agreement_a.commitment_revenue_fen = 1_000_000_00  # 1 M CNY
    w.agreement_b.commitment_revenue_fen = 10_000_00
    for i in range(40):  # 40 × 20,000 CNY in the window, 10 × in the year before
        factories.segment(session, big, AS_OF - timedelta(days=5 + i * 7), 20_000_00)
    for i in range(10):
        factories.segment(session, big, AS_OF - timedelta(days=400 + i), 20_000_00)
    factories.segment(session, premium, AS_OF - timedelta(days=3), 30_000_00, cabin="C")
    factories.segment(session, premium, AS_OF - timedelta(days=30), 10_000_00, cabin="Y")
    factories.segment(session, sleeper, AS_OF - timedelta(days=200), 50_000_00)
    factories.segment(session, sleeper, AS_OF + timedelta(days=1), 99_000_00)  # after the score date
    session.flush()
    return w, big, premium, sleeper, quiet


def test_components_from_segments(db_session):
    w, big, premium, sleeper, quiet = _scene(db_session)
    scores = {s.company_id: s for s in compute(AS_OF, Rules.defaults())}
    b = scores[big.id]
    assert (b.revenue_fen, b.segments, b.recency_days) == (800_000_00, 40, 5)
    assert b.attainment == 0.8
    assert abs(b.growth - 1.386) < 0.01  # ln(800k / 200k)
    p = scores[premium.id]
    assert p.premium_share == 0.75 and p.recency_days == 3 and p.attainment == 0.0
    s = scores[sleeper.id]
    assert (s.revenue_fen, s.recency_days, s.activity_status) == (50_000_00, 200, "sleeping")
    assert s.attainment == 1.5  # capped
    q = scores[quiet.id]
    assert (q.revenue_fen, q.segments, q.recency_days, q.activity_status) == (0, 0, None, "lost")
    assert q.total == min(x.total for x in scores.values())
    assert b.rank == 1
    # Worked by hand: big = (100·30 + 100·20 + 0·15 + 33.33·10 + 66.67·10 + 66.67·15) / 100 = 70.00.
    # Identical on both databases: the same fixture gives the same totals.
    assert [str(scores[c.id].total) for c in (big, premium, sleeper, quiet)] == [
        "70.00",
        "55.00",
        "51.67",
        "0.00",
    ]


def test_recompute_stores_snapshots_and_is_idempotent(db_session):
    w, big, premium, sleeper, quiet = _scene(db_session)
    first = recompute(AS_OF, Rules.defaults())
    assert first["companies"] == 4 and first["inserted"] == 4 and first["companies_changed"] == 4
    snapshot = db_session.scalar(select(ScoreSnapshot).where(ScoreSnapshot.company_id == big.id))
    assert snapshot.rank == 1 and snapshot.tier in ("platinum", "gold", "silver", "standard")
    assert snapshot.pct_revenue == Decimal("100.00")
    db_session.refresh(big)
    assert big.score == snapshot.total and big.tier == snapshot.tier and big.activity_status == "active"
    audits = db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "company", AuditEvent.action == "update")
    )
    second = recompute(AS_OF, Rules.defaults())
    assert second == {"companies": 4, "inserted": 0, "updated": 0, "removed": 0, "companies_changed": 0}
    assert db_session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 4
    assert (
        db_session.scalar(
            select(func.count())
            .select_from(AuditEvent)
            .where(AuditEvent.entity == "company", AuditEvent.action == "update")
        )
        == audits
    )


def test_older_date_does_not_overwrite_current_tier(db_session):
    w, big, *_ = _scene(db_session)
    recompute(AS_OF, Rules.defaults())
    db_session.refresh(big)
    current = (big.tier, big.score)
    summary = recompute(AS_OF - timedelta(days=300), Rules.defaults())
    assert summary["companies_changed"] == 0
    db_session.refresh(big)
    assert (big.tier, big.score) == current


def test_closed_companies_are_not_scored(db_session):
    w, big, premium, sleeper, quiet = _scene(db_session)
    quiet.status = "closed"
    db_session.flush()
    assert quiet.id not in {s.company_id for s in compute(AS_OF, Rules.defaults())}


def test_no_companies_scores_nothing(db_session):
    assert compute(AS_OF, Rules.defaults()) == []
    assert recompute(AS_OF, Rules.defaults())["companies"] == 0


def test_cli_recompute(app, db_session):
    _scene(db_session)
    result = app.test_cli_runner().invoke(args=["scores", "recompute", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert "companies 4" in result.output
    again = app.test_cli_runner().invoke(args=["scores", "recompute", "--as-of", "2026-06-30"])
    assert "inserted 0, updated 0, removed 0, companies_changed 0" in again.output
    bad = app.test_cli_runner().invoke(args=["scores", "recompute", "--as-of", "30/06/2026"])
    assert bad.exit_code != 0 and "Invalid value" in bad.output
    assert db_session.scalar(select(func.count()).select_from(Company).where(Company.tier.is_not(None))) == 4
