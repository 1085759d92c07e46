"""Priority seats in a real browser: a booker requests a seat and sees it confirmed; a colleague
fills the quota and the next request is waitlisted; a cancellation promotes it, and its booker
is told. Screenshots of /self/ and of the request flow go to PORTAL_SCREENSHOT_DIR (or a
temporary folder)."""

import os
import re
from pathlib import Path
from types import SimpleNamespace

import pytest
from playwright.sync_api import expect

from portal.extensions import db
from portal.quotas.queries import month_text
from tests import factories
from tests.browser.conftest import sign_in
from tests.quotas.helpers import flight_day, month_after, quota

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def seats(live_server):
    """Two protected seats on PEK-SHA economy next month for company A (and one for company
    B on another route), a second booker of company A, and three travellers."""
    from portal.agreements.models import Agreement
    from portal.companies.models import Company

    w = live_server.world
    with live_server.app.app_context():
        session = db.session
        company_a = session.get(Company, w.company_a.id)
        company_b = session.get(Company, w.company_b.id)
        agreement_a = session.query(Agreement).filter_by(company_id=company_a.id).one()
        agreement_b = session.query(Agreement).filter_by(company_id=company_b.id).one()
        colleague = factories.user(session, "booker", company=company_a, name="王敏")
        travellers = [
            factories.traveller(session, company_a, name=n, ff_number=None)
            for n in ("李雷", "韩梅梅", "赵强")
        ]
        quota(session, agreement_a, seats=2)
        quota(session, agreement_b, origin="SHA", destination="CAN", seats=9)
        values = SimpleNamespace(
            colleague=colleague.email,
            travellers=[(t.id, t.name) for t in travellers],
            day=flight_day().isoformat(),
        )
        session.commit()
        session.remove()
    return values


def _shot(page, tmp_path, name: str) -> None:
    folder = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / f"{name}.png"), full_page=True)


def _request(page, base: str, traveller: str, day: str) -> None:
    """Fill the request form for CA1501 PEK-SHA economy and submit it."""
    page.goto(f"{base}/self/")
    page.locator(f"[data-testid='balance-PEK-SHA-Y-{month_text(month_after())}'] a").click()
    form = page.get_by_test_id("request-form")
    expect(form.locator("input[name=origin]")).to_have_value("PEK")
    expect(form.locator("input[name=destination]")).to_have_value("SHA")
    form.locator("select[name=traveller_id]").select_option(label=traveller)
    form.locator("input[name=flight_number]").fill("ca1501")
    form.locator("input[name=flight_date]").fill(day)
    form.locator("select[name=cabin]").select_option("Y")
    with page.expect_navigation():
        form.get_by_test_id("submit-request").click()


def _row(page, traveller: str):
    return page.get_by_test_id("my-requests").locator("tr", has_text=traveller)


def test_request_waitlist_and_promotion(page, live_server, seats, tmp_path):
    base, w = live_server.url, live_server.world
    (_, li), (_, han), (_, zhao) = seats.travellers
    sign_in(page, base, w.booker_a.email)
    page.goto(f"{base}/lang/en")
    page.goto(f"{base}/self/")
    row = page.locator(f"[data-testid='balance-PEK-SHA-Y-{month_text(month_after())}']")
    expect(row.get_by_test_id("seats-left")).to_have_text("2")
    expect(page.get_by_test_id("quota-balances")).not_to_contain_text("SHA–CAN")  # company B's
    _shot(page, tmp_path, "self-home")

    # 1. A seat is left: confirmed.
    _request(page, base, li, seats.day)
    expect(page).to_have_url(f"{base}/self/requests")
    expect(page.locator(".alert-success")).to_contain_text("Confirmed")
    expect(_row(page, li)).to_have_attribute("data-status", "confirmed")
    _shot(page, tmp_path, "self-request-confirmed")

    # 2. A colleague takes the last seat, then the next request is waitlisted.
    page.context.clear_cookies()
    sign_in(page, base, seats.colleague)
    page.goto(f"{base}/lang/en")
    _request(page, base, han, seats.day)
    expect(_row(page, han)).to_have_attribute("data-status", "confirmed")
    _request(page, base, zhao, seats.day)
    expect(page.locator(".alert-warning")).to_contain_text("waitlisted")
    waiting = _row(page, zhao)
    expect(waiting).to_have_attribute("data-status", "waitlisted")
    expect(waiting.get_by_test_id("waitlist-position")).to_have_text("place 1")
    page.goto(f"{base}/self/")
    expect(row.get_by_test_id("seats-left")).to_have_text("0")
    _shot(page, tmp_path, "self-request-waitlisted")

    # 3. The first booker cancels: the waitlisted request is confirmed at once.
    page.context.clear_cookies()
    sign_in(page, base, w.booker_a.email)
    page.goto(f"{base}/lang/en")
    page.goto(f"{base}/self/requests")
    with page.expect_navigation():
        _row(page, li).get_by_test_id("cancel-request").click()
    expect(page.locator(".alert-success")).to_contain_text("next request on the waitlist")
    expect(_row(page, li)).to_have_attribute("data-status", "cancelled")
    expect(_row(page, zhao)).to_have_attribute("data-status", "confirmed")

    # 4. The colleague who asked is told in the portal.
    page.context.clear_cookies()
    sign_in(page, base, seats.colleague)
    page.goto(f"{base}/lang/en")
    page.goto(f"{base}/self/")
    expect(page.get_by_test_id("unread-count")).to_have_text("3")  # confirmed, waitlisted, promoted
    page.goto(f"{base}/notifications/")
    expect(page.get_by_test_id("notifications")).to_contain_text("A seat freed up")
    expect(page.get_by_test_id("notifications")).to_contain_text(zhao)
    _shot(page, tmp_path, "self-notifications")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_the_form_explains_what_is_wrong(page, live_server, seats, tmp_path):
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.booker_a.email)
    page.goto(f"{base}/lang/en")
    page.goto(f"{base}/self/requests/new")
    form = page.get_by_test_id("request-form")
    form.locator("input[name=flight_number]").fill("CA1301")
    form.locator("input[name=flight_date]").fill(seats.day)
    form.locator("input[name=origin]").fill("PEK")
    form.locator("input[name=destination]").fill("SHA")
    with page.expect_navigation():
        form.get_by_test_id("submit-request").click()
    expect(page.get_by_test_id("request-form")).to_contain_text("CA1301 flies PEK–CAN.")
    _shot(page, tmp_path, "self-request-form-error")


def test_manager_finds_the_quotas_from_the_agreement(page, live_server, seats, tmp_path):
    base, w = live_server.url, live_server.world
    sign_in(page, base, w.manager_a1.email)
    page.goto(f"{base}/companies/{w.company_a.id}")
    with page.expect_navigation():
        page.get_by_test_id("dossier-nav").locator("[data-tab=agreements]").click()
    page.get_by_role("link", name=w.agreement_a_number).first.click()
    page.get_by_test_id("agreement-quotas").click()
    table = page.get_by_test_id("quota-table")
    expect(table).to_contain_text("PEK–SHA")
    expect(page.get_by_test_id("copy-month")).to_be_visible()
    _shot(page, tmp_path, "quotas-agreement")
    table.locator("a", has_text=re.compile("Requests|请求|申请")).first.click()
    # The quota's own page (its requests, if other journeys made some, are listed there).
    expect(page).to_have_url(re.compile(r"/quotas/\d+$"))
    expect(page.get_by_test_id("quota-figures")).to_be_visible()
    _shot(page, tmp_path, "quotas-detail")
