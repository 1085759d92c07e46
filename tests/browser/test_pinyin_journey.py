"""Journeys of a new account manager: the day's home after signing in, finding a company by its
pinyin initials (first in the portfolio, then among all companies), and a filter button that
keeps its label on one line."""

import pytest
from playwright.sync_api import expect

from portal.companies.models import Company
from portal.extensions import db
from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

FENGXING = "北京丰星科技有限公司"


def test_manager_finds_a_company_by_pinyin_initials(page, live_server):
    w = live_server.world
    base = live_server.url
    with live_server.app.app_context():
        other = db.session.get(Company, w.company_b.id)
        if db.session.query(Company).filter_by(name_zh=FENGXING).first() is None:
            factories.company(db.session, other.office, other.manager, name_zh=FENGXING)
        db.session.commit()
        db.session.remove()

    sign_in(page, base, w.manager_a1.email)
    expect(page).to_have_url(f"{base}/home")
    expect(page.get_by_test_id("home-revisits")).to_be_visible()
    with page.expect_navigation():
        page.locator("nav").get_by_role("link", name="企业", exact=True).click()

    # The list opens on the manager's own portfolio; 丰星 is another manager's company.
    page.fill("input[name=q]", "bjfx")
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    expect(page.get_by_test_id("company-table")).to_have_count(0)
    with page.expect_navigation():
        page.get_by_test_id("search-all").click()
    rows = page.locator("[data-testid=company-table] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(FENGXING)

    # Their own company by initials, straight from the portfolio.
    page.goto(f"{base}/companies/")
    page.fill("input[name=q]", "BJXH")
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(w.company_a.name_zh)

    # The search page finds it by initials too.
    page.goto(f"{base}/search/?q=bjfx")
    expect(page.locator("main")).to_contain_text(FENGXING)


def test_the_portfolio_filter_button_keeps_its_label_on_one_line(page, live_server):
    w = live_server.world
    sign_in(page, live_server.url, w.admin.email)
    page.goto(f"{live_server.url}/rankings/portfolio")
    button = page.get_by_test_id("portfolio-filter").get_by_role("button")
    expect(button).to_have_text("查看")
    box = button.bounding_box()
    line = page.evaluate(
        "b => parseFloat(getComputedStyle(b).lineHeight) || parseFloat(getComputedStyle(b).fontSize) * 1.5",
        button.element_handle(),
    )
    assert box["height"] < 2 * line, (box, line)
    assert box["width"] > box["height"]
