"""The foundation's journeys in a real browser: search and dossier, the booker's home and its
limits, the language switch, sign-out, and pages that load only our own assets under the CSP."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def path_of(url: str) -> str:
    """The path and query of a URL on the live server."""
    return re.sub(r"^https?://[^/]+", "", url)


def test_manager_searches_in_chinese_and_opens_the_dossier(page, live_server):
    w = live_server.world
    sign_in(page, live_server.url, w.manager_a1.email)
    expect(page).to_have_url(f"{live_server.url}/home")
    with page.expect_navigation():
        page.locator("nav").get_by_role("link", name="企业", exact=True).click()
    expect(page).to_have_url(f"{live_server.url}/companies/")

    page.fill("input[name=q]", "星河")
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    assert "q=%E6%98%9F%E6%B2%B3" in page.url
    rows = page.locator("[data-testid=company-table] tbody tr")
    expect(rows).to_have_count(1)
    expect(rows.first).to_contain_text(w.company_a.name_zh)
    expect(rows.first).to_contain_text(w.company_a.credit_code)

    rows.first.get_by_role("link", name=w.company_a.name_zh).click()
    expect(page).to_have_url(f"{live_server.url}/companies/{w.company_a.id}")
    expect(page.get_by_test_id("company-name")).to_have_text(w.company_a.name_zh)
    expect(page.locator("#profile")).to_contain_text(w.company_a.credit_code)
    expect(page.get_by_test_id("agreement-summary")).to_contain_text(w.agreement_a_number)


def test_company_list_layout(page, live_server, tmp_path):
    """The whole list as a manager sees it; the screenshot goes to PORTAL_SCREENSHOT_DIR if set."""
    w = live_server.world
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(f"{live_server.url}/companies/")
    table = page.get_by_test_id("company-table")
    expect(table.locator("tbody tr")).to_have_count(2)  # the list opens on the manager's portfolio
    with page.expect_navigation():
        page.get_by_test_id("portfolio-switch").get_by_role("link", name="全部企业").click()
    expect(table.locator("tbody tr")).to_have_count(3)
    # Another manager's company shows by name and owner only: no credit code.
    other = table.locator("tbody tr", has_text=w.company_b.name_zh)
    expect(other).not_to_contain_text(w.company_b.credit_code)
    # The table fits the viewport: no horizontal scrolling at 1280 px.
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    target = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path) / "companies.png"
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_booker_sees_own_company_and_nothing_else(page, page_log, live_server):
    w = live_server.world
    sign_in(page, live_server.url, w.booker_a.email)
    expect(page).to_have_url(f"{live_server.url}/self/")
    expect(page.get_by_test_id("self-company")).to_have_text(w.company_a.name_zh)
    expect(page.get_by_test_id("agreement-summary")).to_contain_text(w.agreement_a_number)
    expect(page.get_by_test_id("manager-card")).to_contain_text(w.manager_a1.name)
    expect(page.get_by_test_id("manager-card")).to_contain_text(w.manager_a1.email)
    # No link into the staff areas.
    expect(page.locator("nav a[href='/companies/']")).to_have_count(0)

    page_log.expected_statuses.add(404)
    for path in ("/companies/", f"/companies/{w.company_b.id}", f"/companies/{w.company_a.id}"):
        response = page.goto(live_server.url + path)
        assert response.status == 404, path
        expect(page.locator("main .display-4")).to_have_text("404")
        expect(page.get_by_text(w.company_b.name_zh)).to_have_count(0)


def test_language_switch_flips_between_english_and_chinese(page, live_server):
    page.goto(f"{live_server.url}/login")
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    english = page.get_by_role("link", name="English", exact=True)
    expect(english).to_be_visible()

    english.click()
    expect(page).to_have_url(re.compile(r"/login\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in")
    expect(page.get_by_role("link", name="English", exact=True)).to_have_count(0)
    chinese = page.get_by_role("link", name="中文", exact=True)
    expect(chinese).to_be_visible()

    chinese.click()
    expect(page).to_have_url(re.compile(r"/login\??$"))
    expect(page.locator("html")).to_have_attribute("lang", "zh-CN")
    expect(page.get_by_role("link", name="English", exact=True)).to_be_visible()
    expect(page.get_by_role("link", name="中文", exact=True)).to_have_count(0)


def test_sign_out_from_the_navbar_ends_the_session(page, live_server):
    w = live_server.world
    sign_in(page, live_server.url, w.head_a.email)
    expect(page).to_have_url(f"{live_server.url}/home")
    sign_out = page.get_by_test_id("sign-out")
    expect(sign_out).to_be_hidden()
    page.locator("nav .dropdown-toggle").click()  # Bootstrap's JS opens the menu
    expect(sign_out).to_be_visible()
    with page.expect_navigation():
        sign_out.click()
    assert path_of(page.url) == "/login"
    expect(page.locator(".alert")).to_be_visible()

    page.goto(f"{live_server.url}/companies/")
    assert path_of(page.url).startswith("/login?next=")
    expect(page.locator("input[name=password]")).to_be_visible()


def test_pages_load_only_our_assets_without_console_errors(page, page_log, live_server):
    w = live_server.world
    page.goto(f"{live_server.url}/login")
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(f"{live_server.url}/companies/{w.company_a.id}")
    page.goto(f"{live_server.url}/companies/?q=%E4%BA%AC")

    # The vendored Bootstrap and our stylesheet are fetched and applied.
    paths = {path_of(u) for u in page_log.requests}
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.min.css" in paths
    assert "/static/css/portal.css" in paths
    assert "/static/vendor/bootstrap-5.3.9/bootstrap.bundle.min.js" in paths
    assert page.evaluate("getComputedStyle(document.querySelector('nav.navbar')).display") == "flex"
    assert page.evaluate("typeof window.bootstrap") == "object"
    page_log.assert_clean()
