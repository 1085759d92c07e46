"""Pipeline journey in a real browser: a manager starts an opportunity, moves it across the board
(with the card's own form, by drag and drop, and on its page) and wins it into a draft agreement."""

import re

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def card_in(page, stage: str, title: str):
    return page.locator(f"[data-testid=column-{stage}] .pipeline-card", has_text=title)


def test_manager_moves_an_opportunity_to_won(page, live_server):
    w = live_server.world
    base = live_server.url
    title = "京华能源年度差旅协议"
    sign_in(page, base, w.manager_a1.email)

    # Start the opportunity from the dossier of a company without an agreement.
    page.goto(f"{base}/companies/{w.company_a2.id}")
    with page.expect_navigation():
        page.get_by_test_id("new-opportunity").click()
    expect(page).to_have_url(f"{base}/pipeline/new?company_id={w.company_a2.id}")
    form = page.get_by_test_id("opportunity-form")
    form.locator("input[name=title]").fill(title)
    form.locator("select[name=kind]").select_option("new_account")
    form.locator("input[name=expected_revenue]").fill("880000")
    form.locator("input[name=close_date]").fill("2030-03-01")
    form.locator("textarea[name=next_step]").fill("约见差旅负责人")
    with page.expect_navigation():
        form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("opportunity-title")).to_have_text(title)
    expect(page.get_by_test_id("opportunity-probability")).to_have_text("10%")
    detail_url = page.url
    assert re.search(r"/pipeline/\d+$", detail_url)

    # On the board, the card's own form moves it (works without JavaScript).
    page.goto(f"{base}/pipeline/")
    card = card_in(page, "lead", title)
    expect(card).to_have_count(1)
    card.locator("select[name=stage]").select_option("qualified")
    with page.expect_navigation():
        card.locator("button[type=submit]").click()
    expect(card_in(page, "qualified", title)).to_have_count(1)
    expect(card_in(page, "lead", title)).to_have_count(0)

    # Drag and drop posts the same form.
    with page.expect_navigation():
        card_in(page, "qualified", title).drag_to(page.get_by_test_id("column-proposal"))
    expect(card_in(page, "proposal", title)).to_have_count(1)

    # On its page: negotiation, then won.
    page.goto(detail_url)
    stage_form = page.get_by_test_id("detail-stage-form")
    stage_form.locator("select[name=stage]").select_option("negotiation")
    with page.expect_navigation():
        stage_form.locator("button[type=submit]").click()
    expect(page.get_by_test_id("opportunity-probability")).to_have_text("75%")
    stage_form = page.get_by_test_id("detail-stage-form")
    stage_form.locator("select[name=stage]").select_option("won")
    with page.expect_navigation():
        stage_form.locator("button[type=submit]").click()
    expect(page.locator("[data-testid=opportunity-stage] .stage-won")).to_have_count(1)
    expect(page.get_by_test_id("opportunity-probability")).to_have_text("100%")
    expect(page.get_by_test_id("detail-stage-form")).to_have_count(0)
    history = page.get_by_test_id("stage-history").locator("li")
    expect(history).to_have_count(5)

    # The draft agreement is prefilled and links back.
    link = page.get_by_test_id("opportunity-agreement")
    number = link.inner_text()
    with page.expect_navigation():
        link.click()
    expect(page.get_by_test_id("agreement-number")).to_have_text(number)
    expect(page.get_by_test_id("agreement-terms")).to_contain_text("880,000")
    expect(page.get_by_test_id("agreement-opportunity")).to_contain_text(title)

    # The stage changes are on the company's timeline.
    page.goto(f"{base}/companies/{w.company_a2.id}/timeline?type=opportunity")
    expect(page.locator("#timeline .timeline-entry[data-kind=opportunity]")).to_have_count(5)
