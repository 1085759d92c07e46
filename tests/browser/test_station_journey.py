"""A station's day in a real browser: the station user signs in and lands on the station page,
sees tomorrow's VIP service notice with the key travellers, downloads the PDF, marks a
service done, and is refused the rest of the portal. A screenshot goes to
PORTAL_SCREENSHOT_DIR (or a temporary folder)."""

import os
from datetime import datetime, timedelta
from pathlib import Path
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest
from playwright.sync_api import expect

from portal.db import utcnow
from portal.extensions import db
from tests import factories
from tests.browser.conftest import sign_in
from tests.stations.helpers import confirmed_on, station, station_user

pytestmark = pytest.mark.browser


@pytest.fixture(scope="module")
def notice(live_server):
    """PEK with a station user; tomorrow a VVIP of company A departs PEK with an escort and a
    lounge; today's run of the notice job has built and rendered the notice."""
    from portal.agreements.models import Agreement
    from portal.companies.models import Company
    from portal.stations import jobs as station_jobs
    from portal.stations import notices

    w = live_server.world
    tomorrow = datetime.now(ZoneInfo("Asia/Shanghai")).date() + timedelta(days=1)
    with live_server.app.test_request_context():
        session = db.session
        company = session.get(Company, w.company_a.id)
        company.tier = "gold"
        agreement = session.query(Agreement).filter_by(company_id=company.id).one()
        agreement.escort = True
        pek = station(session)
        user = station_user(session, pek, name="首都机场地服")
        vip = factories.traveller(
            session, company, name="周要客", vip_level="vvip", service_needs=["wheelchair"]
        )
        confirmed_on(session, agreement, vip, tomorrow, services=("escort", "lounge"))
        session.commit()
        today = tomorrow - timedelta(days=1)
        notices.build_notices(today, utcnow(), today_given=True)
        session.commit()
        station_jobs.mail_pending()
        values = SimpleNamespace(email=user.email, traveller=vip.name, day=tomorrow.isoformat())
        session.remove()
    return values


def test_station_user_reads_the_notice_and_marks_a_service_done(
    page, page_log, live_server, notice, tmp_path
):
    base = live_server.url
    sign_in(page, base, notice.email)
    assert page.url.rstrip("/").endswith("/stations")
    day = page.get_by_test_id(f"station-day-{notice.day}")
    expect(day.get_by_test_id("station-entry")).to_have_count(1)
    expect(day.get_by_test_id("station-entry")).to_contain_text(notice.traveller)
    expect(day.get_by_test_id("station-entry")).to_contain_text("导乘服务")
    expect(day.get_by_test_id("station-entry")).to_contain_text("轮椅")
    with page.expect_download() as download:
        day.get_by_test_id("notice-files").get_by_role("link").first.click()
    pdf = Path(download.value.path()).read_bytes()
    assert pdf.startswith(b"%PDF")
    expect(day.get_by_test_id("mark-done")).to_have_count(2)
    with page.expect_navigation():
        day.get_by_test_id("mark-done").first.click()
    expect(page.get_by_role("alert")).to_contain_text("已标记为完成")
    expect(page.get_by_test_id(f"station-day-{notice.day}").get_by_test_id("service-done")).to_have_count(1)
    folder = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path)
    folder.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(folder / "station.png"), full_page=True)
    # Nothing else of the portal: the main navigation offers only the station, others are 404.
    nav = page.locator("#main-nav .navbar-nav.me-auto .nav-link")
    expect(nav).to_have_count(1)
    page_log.expected_statuses.add(404)
    for url in ("/companies/", "/self/", "/admin/users"):
        assert page.goto(f"{base}{url}").status == 404
