"""Creating a company in a real browser: the similar-name warning, confirming and landing on
the new dossier, then setting its parent on the profile and opening the group page."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser


def test_manager_creates_a_company_confirms_the_similar_name_and_sets_its_parent(page, live_server):
    w = live_server.world
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(f"{live_server.url}/companies/")
    with page.expect_navigation():
        page.get_by_test_id("new-company").click()
    expect(page).to_have_url(f"{live_server.url}/companies/new")

    form = page.get_by_test_id("profile-form")
    # The manager's own office and the manager themself are the only choices.
    expect(form.locator("select[name=office_id] option")).to_have_count(1)
    expect(form.locator("select[name=manager_id]")).to_have_value(str(w.manager_a1.id))
    # "京华能源集团有限公司" is in the portal: the same name once normalised.
    form.locator("input[name=name_zh]").fill("京华能源（集团）股份有限公司")
    form.locator("input[name=name_en]").fill("Jinghua Energy Group")
    form.locator("input[name=credit_code]").fill(factories.make_credit_code(880_001))
    form.locator("select[name=industry]").select_option("energy")
    form.locator("select[name=headcount_band]").select_option("2000-9999")
    form.locator("input[name=city]").fill("北京")
    with page.expect_navigation():
        page.get_by_test_id("save-company").click()

    warning = page.get_by_test_id("similar-names")
    expect(warning).to_be_visible()
    expect(warning).to_contain_text(w.company_a2.name_zh)
    expect(page).to_have_url(f"{live_server.url}/companies/new")
    expect(form.locator("input[name=name_zh]")).to_have_value("京华能源（集团）股份有限公司")  # kept
    page.get_by_test_id("confirm").check()
    with page.expect_navigation():
        page.get_by_test_id("save-company").click()

    expect(page).to_have_url(re.compile(rf"^{re.escape(live_server.url)}/companies/\d+$"))
    expect(page.get_by_test_id("company-name")).to_have_text("京华能源（集团）股份有限公司")
    dossier = page.url

    # Set its parent on the profile: company A heads the group.
    with page.expect_navigation():
        page.get_by_test_id("edit-profile").click()
    expect(page).to_have_url(f"{dossier}/edit")
    page.get_by_test_id("profile-form").locator("input[name=parent_id]").fill(str(w.company_a.id))
    with page.expect_navigation():
        page.get_by_test_id("save-company").click()
    expect(page).to_have_url(dossier)
    expect(page.get_by_test_id("overview")).to_contain_text(w.company_a.name_zh)

    with page.expect_navigation():
        page.get_by_test_id("group-link").click()
    expect(page).to_have_url(f"{dossier}/group")
    with page.expect_navigation():
        page.get_by_test_id("top-group").click()
    members = page.get_by_test_id("group-members")
    expect(members.locator("tbody tr")).to_have_count(2)
    expect(members).to_contain_text(w.company_a.name_zh)
    expect(members).to_contain_text("京华能源（集团）股份有限公司")

    # The new company is found by search and the company list at once.
    page.goto(f"{live_server.url}/companies/?q=股份")
    expect(page.get_by_test_id("company-table")).to_contain_text("京华能源（集团）股份有限公司")
