"""Where early warnings and survey results show: the manager's home, the dossier, the portfolio
page and the account review's data."""

from datetime import date, datetime, timedelta

from portal.alerts.models import Alert
from portal.db import utcnow
from portal.reviews.data import account_data
from portal.reviews.periods import parse
from tests import factories
from tests.alerts.test_rules import snapshot

CHURN = {"rules": ["revenue_drop"], "recent_fen": 40_000_00, "year_before_fen": 100_000_00}
ROSTER = {"rules": ["roster_share"], "month": "2026-11", "off": 7, "total": 10}


def answered(session, company, contact, nps: int, *, days_ago: int = 10, at: datetime | None = None):
    at = at or utcnow() - timedelta(days=days_ago)
    factories.survey_answer(session, company, contact, nps, at, comment=f"意见{nps}")


def warnings(session, world):
    session.add(
        Alert(
            company_id=world.company_a.id,
            kind="churn",
            episode="2026-12-01",
            reason=CHURN,
            revenue_at_stake_fen=123_456_00,
            opened_on=date(2026, 12, 1),
        )
    )
    session.add(
        Alert(
            company_id=world.company_a.id,
            kind="roster",
            episode="2026-11",
            level="flagged",
            reason=ROSTER,
            opened_on=date(2026, 12, 1),
        )
    )
    session.flush()


def test_the_home_and_the_dossier_show_the_warnings_and_the_survey_results(client, db_session, world, login):
    warnings(db_session, world)
    answered(db_session, world.company_a, world.contact_a, 10)
    answered(db_session, world.company_a, world.contact_a, 3, days_ago=20)
    login(world.manager_a1)
    client.get("/lang/en")
    home = client.get("/home").get_data(as_text=True)
    assert 'data-testid="home-alerts"' in home
    assert "Revenue of the last three months is 40 % of the same months a year before" in home
    dossier = client.get(f"/companies/{world.company_a.id}").get_data(as_text=True)
    assert 'data-testid="alert-churn"' in dossier and 'data-testid="alert-roster"' in dossier
    assert "70 % of the segments in 2026-11 (7 of 10)" in dossier
    assert "Flagged to the branch head" in dossier
    assert 'data-testid="survey-results"' in dossier
    assert '<div class="fs-4 fw-semibold" data-testid="nps">0</div>' in dossier  # 1 promoter, 1 detractor


def test_a_company_without_warnings_or_answers_shows_no_panel(client, db_session, world, login):
    login(world.manager_a1)
    dossier = client.get(f"/companies/{world.company_a.id}").get_data(as_text=True)
    assert 'data-testid="signals"' not in dossier
    assert 'data-testid="home-alerts"' not in client.get("/home").get_data(as_text=True)


def test_another_managers_home_does_not_show_the_warning(client, db_session, world, login):
    warnings(db_session, world)
    login(world.manager_b1)
    assert 'data-testid="home-alerts"' not in client.get("/home").get_data(as_text=True)


def test_the_portfolio_lists_accounts_at_risk_and_nps_by_branch_and_tier(client, db_session, world, login):
    warnings(db_session, world)
    for rank, company in enumerate((world.company_a, world.company_a2, world.company_b), start=1):
        snapshot(db_session, company, date(2026, 12, 1), rank)
    world.company_a.tier = "gold"
    world.company_b.tier = "platinum"
    contact_b = factories.contact(db_session, world.company_b)
    answered(db_session, world.company_a, world.contact_a, 9)
    answered(db_session, world.company_b, contact_b, 5)
    login(world.management)
    client.get("/lang/en")
    page = client.get("/rankings/portfolio").get_data(as_text=True)
    assert 'data-testid="at-risk"' in page
    assert f'data-company-id="{world.company_a.id}"' in page.split('data-testid="at-risk"')[1]
    assert "123,456" in page
    nps = page.split('data-testid="nps-by-branch"')[1].split("</table>")[0]
    row_a = nps.split(f'data-branch-id="{world.branch_a.id}"')[1].split("</tr>")[0]
    row_b = nps.split(f'data-branch-id="{world.branch_b.id}"')[1].split("</tr>")[0]
    assert '<td class="text-end fw-semibold">100</td>' in row_a
    assert '<td class="text-end fw-semibold">-100</td>' in row_b
    # A branch head sees only the branch's accounts at risk.
    client.post("/logout", data={"csrf_token": factories.csrf_from(client.get("/logout"))})
    login(world.head_b)
    other = client.get("/rankings/portfolio").get_data(as_text=True)
    assert 'data-testid="at-risk"' not in other


def test_the_account_review_prints_the_satisfaction_and_the_warnings(app, db_session, world):
    warnings(db_session, world)
    answered(db_session, world.company_a, world.contact_a, 4, at=datetime(2026, 11, 20, 2, 0))
    answered(db_session, world.company_a, world.contact_a, 10, at=datetime(2026, 9, 20, 2, 0))  # Q3
    with app.test_request_context():
        period = parse("2026Q4")
        data = account_data(world.company_a.id, period, today=date(2026, 12, 7))
    assert data["satisfaction"]["answers"] == 1 and data["satisfaction"]["nps"] == -100
    assert data["satisfaction"]["comments"][0]["comment"] == "意见4"
    assert "40%" in data["warnings"]["churn"]["reasons"][0]
    [roster] = data["warnings"]["roster"]
    assert (roster["month"], roster["flagged"], roster["off"], roster["total"]) == ("2026-11", True, 7, 10)
