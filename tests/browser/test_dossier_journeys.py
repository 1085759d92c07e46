"""Dossier journeys in a real browser: recording a visit and finding it on the timeline, the
tab bar, and adding a key traveller whose document number is masked and revealed."""

import os
import re
from pathlib import Path

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_manager_records_a_visit_and_sees_it_on_the_timeline(page, live_server):
    w = live_server.world
    dossier = f"{live_server.url}/companies/{w.company_a.id}"
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(dossier)
    expect(page.get_by_test_id("company-name")).to_have_text(w.company_a.name_zh)

    page.get_by_test_id("record-interaction").click()
    expect(page).to_have_url(f"{dossier}/interactions/new")
    form = page.get_by_test_id("interaction-form")
    # The time defaults to now; the manager enters when the visit happened (Beijing time).
    expect(form.locator("input[name=occurred_at]")).to_have_value(re.compile(r"^\d{4}-\d\d-\d\dT\d\d:\d\d$"))
    form.locator("select[name=kind]").select_option("visit")
    form.locator("input[name=occurred_at]").fill("2026-01-10T09:30")
    form.locator("textarea[name=summary]").fill("拜访差旅负责人，确认二季度京沪航线需求 <b>不是粗体</b>")
    form.locator("textarea[name=next_step]").fill("下周发送报价")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{dossier}/timeline")
    expect(page.locator("[data-testid=dossier-nav] [aria-current=page]")).to_have_attribute(
        "data-tab", "timeline"
    )
    entry = page.locator("#timeline .timeline-entry", has_text="拜访差旅负责人")
    expect(entry).to_have_count(1)
    expect(entry).to_contain_text("<b>不是粗体</b>")  # shown as text, not markup
    expect(entry).to_contain_text("下周发送报价")
    expect(entry.locator(".timeline-when")).to_contain_text("09:30")
    expect(entry).to_have_attribute("data-kind", "visit")

    # Filtering by type keeps the visit and drops the world's open complaint.
    page.locator("#timeline .timeline-filter a[data-type=visit]").click()
    expect(page.locator("#timeline .timeline-entry")).to_have_count(1)
    page.locator("#timeline .timeline-filter a[data-type=complaint]").click()
    expect(page.locator("#timeline .timeline-entry[data-kind=complaint]")).to_have_count(1)
    expect(page.locator("#timeline")).not_to_contain_text("拜访差旅负责人")


def test_tab_bar_opens_each_tab_and_fits_a_tablet(page, live_server, tmp_path):
    w = live_server.world
    dossier = f"{live_server.url}/companies/{w.company_a.id}"
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(dossier)
    nav = page.get_by_test_id("dossier-nav")
    expect(nav.locator("[aria-current=page]")).to_have_attribute("data-tab", "overview")
    with page.expect_navigation():
        nav.get_by_role("link", name=re.compile("Audit|审计")).click()
    expect(page).to_have_url(f"{dossier}/audit")
    expect(nav.locator("[aria-current=page]")).to_have_attribute("data-tab", "audit")
    expect(page.get_by_test_id("company-name")).to_have_text(w.company_a.name_zh)
    with page.expect_navigation():
        nav.locator("[data-tab=score]").click()
    expect(page).to_have_url(f"{dossier}/score")
    expect(page.get_by_test_id("score-section")).to_be_visible()
    # On a tablet the tabs wrap instead of pushing the page sideways.
    page.set_viewport_size({"width": 768, "height": 1024})
    page.goto(dossier)
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    last = nav.locator("[data-tab=audit]").bounding_box()
    assert last["x"] + last["width"] <= 768
    target = Path(os.environ.get("PORTAL_SCREENSHOT_DIR") or tmp_path) / "dossier.png"
    page.goto(f"{live_server.url}/companies/{w.company_a.id}")
    page.screenshot(path=str(target), full_page=True)
    assert target.stat().st_size > 10_000


def test_manager_adds_a_traveller_and_reveals_the_masked_number(page, live_server):
    w = live_server.world
    dossier = f"{live_server.url}/companies/{w.company_a.id}"
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(dossier)
    page.get_by_test_id("add-traveller").click()
    form = page.get_by_test_id("traveller-form")
    form.locator("input[name=name]").fill("周婷")
    form.locator("input[name=ff_number]").fill("CA555000111")
    form.locator("select[name=seat_preference]").select_option("aisle")
    form.locator("select[name=id_document_type]").select_option("passport")
    form.locator("input[name=id_document_number]").fill("EA1234567")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()

    expect(page).to_have_url(f"{dossier}#travellers")
    row = page.locator("[data-testid=travellers] tr", has_text="周婷")
    expect(row.get_by_test_id("masked")).to_have_text("EA*****67")
    expect(page.locator("body")).not_to_contain_text("EA1234567")

    with page.expect_navigation():
        row.get_by_test_id("reveal").click()
    expect(page.get_by_test_id("revealed-number")).to_have_text("EA1234567")
    assert "EA1234567" not in page.url
