"""The satisfaction survey on a phone: a contact opens the mailed link (no sign-in), switches to
English, answers with taps, and the link then says it was used."""

import re

import pytest
from playwright.sync_api import expect
from sqlalchemy import select

from portal.companies.models import Company
from portal.extensions import db
from portal.mail.models import OutboundEmail
from portal.reminders.models import Reminder
from portal.surveys.operations import send_quarterly
from portal.timeutil import local_today
from tests import factories
from tests.browser.conftest import logged_page

pytestmark = pytest.mark.browser

PHONE = {"width": 390, "height": 844}


@pytest.fixture()
def phone(browser, live_server, page_log):
    """A phone-sized touch page, checked like the desktop `page` when the test ends."""
    with logged_page(
        browser, page_log, viewport=PHONE, device_scale_factor=3, is_mobile=True, has_touch=True
    ) as page:
        yield page


def _survey_link(live_server) -> str:
    """Mail this quarter's survey to a new contact of company_a; the link's path."""
    app = live_server.app
    with app.test_request_context():
        company = db.session.get(Company, live_server.world.company_a.id)
        contact = factories.contact(db.session, company, name="周女士", email="zhou@example.com")
        send_quarterly(local_today())
        body = db.session.scalars(
            select(OutboundEmail.body_text).where(OutboundEmail.to_address == contact.email)
        ).one()
        db.session.commit()
        db.session.remove()
    return re.search(r"https?://[^/\s]+(/survey/\S+)", body).group(1)


def test_a_contact_answers_the_survey_on_a_phone_once(phone, live_server, page_log):
    path = _survey_link(live_server)
    url = live_server.url + path
    phone.goto(url)
    expect(phone.get_by_role("heading", level=1)).to_contain_text(live_server.world.company_a.name_zh)
    # Nothing is wider than the phone, and the scale's buttons are finger-sized.
    assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    box = phone.locator("label[for=nps-0]").bounding_box()
    assert box["width"] >= 40 and box["height"] >= 40

    with phone.expect_navigation():
        phone.get_by_role("link", name="English").click()
    expect(phone.get_by_role("heading", level=1)).to_contain_text("How did we serve")
    assert phone.url == url

    # Sending without a score keeps the answers and says what is missing.
    phone.locator("label[for=rating_booking-4]").tap()
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_test_id("nps")).to_contain_text("Choose a number from 0 to 10.")
    expect(phone.locator("#rating_booking-4")).to_be_checked()

    phone.locator("label[for=nps-6]").tap()
    phone.locator("label[for=rating_service-3]").tap()
    phone.locator("label[for=rating_manager-4]").tap()
    phone.fill("textarea[name=comment]", "改签太麻烦")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Send my answers").tap()
    expect(phone.get_by_test_id("survey-thanks")).to_be_visible()

    # The link works once: opened again it says so (410), in the chosen language.
    page_log.expected_statuses.add(410)
    response = phone.goto(url)
    assert response.status == 410
    expect(phone.get_by_test_id("survey-unavailable")).to_contain_text("answered already")

    # A detractor (6): the manager has a follow-up.
    with live_server.app.app_context():
        reminder = db.session.scalars(
            select(Reminder).where(
                Reminder.kind == "follow_up", Reminder.company_id == live_server.world.company_a.id
            )
        ).one()
        assert reminder.assignee_id == live_server.world.manager_a1.id
        db.session.remove()
