"""The portfolio overview and the backfill command, on SQLite and PostgreSQL: figures of a
known scene worked by hand, newly sleeping accounts, access per role, backfill idempotence."""

import re
from datetime import date, timedelta
from decimal import Decimal

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.scoring import queries
from portal.scoring.models import ScoreSnapshot
from portal.scoring.operations import backfill, backfill_dates
from tests import factories
from tests.conftest import sign_in
from tests.scoring.scenes import D2, D3, ranking_world, snapshot


@pytest.fixture()
def scene(db_session):
    return ranking_world(db_session)


def _ids(rows) -> list[int]:
    return [r.company.id for r in rows]


# --- figures ------------------------------------------------------------------------------


def test_figures_for_the_whole_portfolio(db_session, scene):
    w = scene
    p = queries.portfolio(w.admin)
    assert (p.score_date, p.previous_date) == (D3, D2)
    assert p.companies == 5
    assert p.tiers == {"platinum": 1, "gold": 1, "silver": 1, "standard": 2}
    # Revenue on D3: a 500k + b 300k + b2 50k active, a2 150k sleeping, a3 nothing and lost.
    assert p.revenue_fen == 1_000_000_00
    figures = {s.status: (s.companies, s.revenue_fen, s.revenue_share) for s in p.statuses}
    assert figures == {
        "active": (3, 850_000_00, Decimal("85.0")),
        "sleeping": (1, 150_000_00, Decimal("15.0")),
        "lost": (1, 0, Decimal("0.0")),
    }
    assert _ids(p.top) == [c.id for c in (w.company_a, w.company_b, w.company_a2, w.company_a3, w.company_b2)]
    assert [r.movement for r in p.top] == [2, -1, -1, 0, None] and p.top[-1].is_new
    # a: 3rd -> 1st. b: 1st -> 2nd and a2: 2nd -> 3rd both lose one place (b ranks higher now).
    assert [(m.company.id, m.movement) for m in p.movers_up] == [(w.company_a.id, 2)]
    assert [(m.company.id, m.movement) for m in p.movers_down] == [
        (w.company_b.id, -1),
        (w.company_a2.id, -1),
    ]
    # a2 was active on D2 and sleeps on D3; a3 went from sleeping to lost, which is not "newly sleeping".
    assert [m.company.id for m in p.newly_sleeping] == [w.company_a2.id]


def test_figures_for_a_branch_head(db_session, scene):
    w = scene
    p = queries.portfolio(w.head_a)
    assert p.companies == 3
    assert p.tiers == {"platinum": 1, "gold": 0, "silver": 1, "standard": 1}
    assert p.revenue_fen == 650_000_00
    shares = {s.status: s.revenue_share for s in p.statuses}
    assert shares == {"active": Decimal("76.9"), "sleeping": Decimal("23.1"), "lost": Decimal("0.0")}
    assert _ids(p.top) == [w.company_a.id, w.company_a2.id, w.company_a3.id]
    assert [m.company.id for m in p.movers_down] == [w.company_a2.id]


def test_branch_filter_and_top_ten(db_session, scene):
    w = scene
    p = queries.portfolio(w.admin, branch=w.branch_b.id)
    assert p.companies == 2 and _ids(p.top) == [w.company_b.id, w.company_b2.id]
    assert p.newly_sleeping == [] and p.movers_up == []
    for i in range(12):  # twelve more companies ranked after the five
        company = factories.company(db_session, w.office_b, w.manager_b1)
        snapshot(db_session, company, D3, 6 + i, 10)
    db_session.flush()
    top = queries.portfolio(w.admin).top
    assert len(top) == 10 and [r.snapshot.rank for r in top] == list(range(1, 11))


def test_no_previous_date_means_no_movement(db_session):
    w = factories.small_world(db_session)
    snapshot(db_session, w.company_a, D3, 1, 50, revenue_fen=100)
    db_session.flush()
    p = queries.portfolio(w.admin)
    assert p.previous_date is None and p.movers_up == p.movers_down == p.newly_sleeping == []
    assert p.companies == 1 and p.statuses[0].revenue_share == Decimal("100.0")


def test_no_scores(db_session, world):
    p = queries.portfolio(world.admin)
    assert p.score_date is None and p.companies == 0


# --- the page -----------------------------------------------------------------------------


def test_page_shows_charts_and_lists(client, login, scene):
    login(scene.management)
    response = client.get("/rankings/portfolio")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert html.count('src="data:image/svg+xml;base64,') == 2
    assert "style=" not in html
    newly = html.split('data-testid="newly-sleeping"')[1].split("</table>")[0]
    assert re.findall(r'data-company-id="(\d+)"', newly) == [str(scene.company_a2.id)]
    up = html.split('data-testid="movers-up"')[1].split("</table>")[0]
    assert re.findall(r'data-company-id="(\d+)"', up) == [str(scene.company_a.id)]
    assert "85,000,000" not in html  # money is shown in yuan, not fen
    assert "850,000" in html and "85.0 %" in html


def test_branch_head_page_shows_only_the_branch(client, login, scene):
    login(scene.head_b)
    html = client.get("/rankings/portfolio").get_data(as_text=True)
    ids = set(re.findall(r'data-company-id="(\d+)"', html))
    assert ids == {str(scene.company_b.id), str(scene.company_b2.id)}
    assert 'data-testid="portfolio-filter"' not in html
    # A smuggled branch argument changes nothing for a branch head.
    other = client.get(f"/rankings/portfolio?branch={scene.branch_a.id}").get_data(as_text=True)
    assert set(re.findall(r'data-company-id="(\d+)"', other)) == ids


def test_admin_branch_filter_and_bad_arguments(client, login, scene):
    login(scene.admin)
    html = client.get(f"/rankings/portfolio?branch={scene.branch_b.id}").get_data(as_text=True)
    assert set(re.findall(r'data-company-id="(\d+)"', html)) == {
        str(scene.company_b.id),
        str(scene.company_b2.id),
    }
    for args in ("branch=abc", "branch=-1", "branch=999999"):
        assert client.get(f"/rankings/portfolio?{args}").status_code == 200


def test_access(client, scene):
    assert client.get("/rankings/portfolio").status_code == 302
    sign_in(client, scene.manager_a1.email)
    assert client.get("/rankings/portfolio").status_code == 403
    html = client.get("/rankings/").get_data(as_text=True)
    assert "/rankings/portfolio" not in html  # not in the manager's navigation


def test_booker_gets_404(client, scene):
    sign_in(client, scene.booker_a.email)
    assert client.get("/rankings/portfolio").status_code == 404


def test_navigation_links_portfolio_for_management(client, login, scene):
    login(scene.management)
    html = client.get("/rankings/").get_data(as_text=True)
    assert 'href="/rankings/portfolio"' in html


def test_empty_page(client, login, world):
    login(world.management)
    html = client.get("/rankings/portfolio").get_data(as_text=True)
    assert "scores recompute" in html and "data:image/svg" not in html


# --- backfill -----------------------------------------------------------------------------


def test_backfill_dates():
    assert backfill_dates(date(2026, 6, 30), 3) == [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
    assert backfill_dates(date(2024, 3, 15), 4) == [
        date(2023, 12, 31),
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 15),
    ]
    assert backfill_dates(date(2026, 1, 1), 1) == [date(2026, 1, 1)]
    assert len(backfill_dates(date(2026, 6, 30), 24)) == 24


def _travel(session):
    """The small world with a year of flights: a weekly, a2 until March, b once in May."""
    w = factories.small_world(session)
    end = date(2026, 6, 30)
    for i in range(52):
        factories.segment(session, w.company_a, end - timedelta(days=7 * i), 5_000_00)
    for i in range(20):
        factories.segment(
            session, w.company_a2, date(2026, 3, 1) - timedelta(days=10 * i), 8_000_00, cabin="C"
        )
    factories.segment(session, w.company_b, date(2026, 5, 10), 3_000_00)
    session.flush()
    return w


def _dates(session) -> list[date]:
    return list(
        session.scalars(select(ScoreSnapshot.score_date).distinct().order_by(ScoreSnapshot.score_date))
    )


def test_backfill_cli_creates_the_dates_and_is_idempotent(app, db_session):
    w = _travel(db_session)
    runner = app.test_cli_runner()
    result = runner.invoke(args=["scores", "backfill", "--months", "4", "--as-of", "2026-06-30"])
    assert result.exit_code == 0, result.output
    assert _dates(db_session) == [date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]
    assert db_session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 4 * 3
    assert (
        result.output.count("Scores for ") == 4
        and "Scores for 2026-03-31: companies 3, inserted 3" in result.output
    )
    audits = db_session.scalar(
        select(func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.entity == "company", AuditEvent.action == "update")
    )
    assert audits == 3  # the companies' current tier is set once, from the last date

    again = runner.invoke(args=["scores", "backfill", "--months", "4", "--as-of", "2026-06-30"])
    assert again.exit_code == 0, again.output
    assert again.output.count("inserted 0, updated 0, removed 0, companies_changed 0") == 4
    assert db_session.scalar(select(func.count()).select_from(ScoreSnapshot)) == 12
    db_session.refresh(w.company_a)
    latest = db_session.scalar(
        select(ScoreSnapshot).where(
            ScoreSnapshot.company_id == w.company_a.id, ScoreSnapshot.score_date == date(2026, 6, 30)
        )
    )
    assert (w.company_a.tier, w.company_a.score) == (latest.tier, latest.total)


def test_backfill_gives_movement_and_newly_sleeping(db_session):
    w = _travel(db_session)
    backfill(date(2026, 6, 30), 4)
    p = queries.portfolio(w.admin)
    assert (p.score_date, p.previous_date) == (date(2026, 6, 30), date(2026, 5, 31))
    # a2 last flew on 1 March: 60 days before 30 April (active), 91 before 31 May (sleeping).
    statuses = dict(
        db_session.execute(
            select(ScoreSnapshot.score_date, ScoreSnapshot.activity_status).where(
                ScoreSnapshot.company_id == w.company_a2.id
            )
        ).all()
    )
    assert statuses[date(2026, 4, 30)] == "active" and statuses[date(2026, 5, 31)] == "sleeping"
    assert p.newly_sleeping == []  # asleep since May: not new on the June date
    row = queries.decorate([w.company_a], queries.score_dates())[0]
    assert len(row.history) == 4 and row.sparkline


def test_backfill_cli_refuses_bad_months(app, db_session):
    runner = app.test_cli_runner()
    for months in ("0", "abc", "-3"):
        result = runner.invoke(args=["scores", "backfill", "--months", months])
        assert result.exit_code != 0
    assert runner.invoke(args=["scores", "backfill"]).exit_code != 0  # --months is required


def test_newly_sleeping_list_is_capped_by_rank(db_session, scene, monkeypatch):
    current_b = db_session.scalar(
        select(ScoreSnapshot).where(
            ScoreSnapshot.company_id == scene.company_b.id, ScoreSnapshot.score_date == D3
        )
    )
    current_b.activity_status = "sleeping"  # active on D2 too
    db_session.flush()
    monkeypatch.setattr(queries, "NEWLY_SLEEPING_SHOWN", 1)
    p = queries.portfolio(scene.admin)
    assert p.newly_sleeping_total == 2
    assert [m.company.id for m in p.newly_sleeping] == [scene.company_b.id]
