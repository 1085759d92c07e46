"""The portal as the system of record, in a real browser (issue 19): an administrator creates a
company past the similar-name warning, finds it by its pinyin initials, sets its parent, moves
it to another office with a new manager, and reads that change in the audit viewer."""

import re

import pytest
from playwright.sync_api import expect

from tests import factories
from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

NAME = "京华能源（集团）股份有限公司"  # "京华能源集团有限公司" is in the portal already


def test_create_find_group_move_and_audit_a_company(page, live_server):
    w = live_server.world
    base = live_server.url
    sign_in(page, base, w.admin.email)

    # Create: the similar name is shown, then confirmed and saved.
    page.goto(f"{base}/companies/new")
    form = page.get_by_test_id("profile-form")
    form.locator("input[name=name_zh]").fill(NAME)
    form.locator("input[name=credit_code]").fill(factories.make_credit_code(881_234))
    form.locator("select[name=industry]").select_option("energy")
    form.locator("select[name=headcount_band]").select_option("2000-9999")
    form.locator("input[name=city]").fill("北京")
    form.locator("select[name=office_id]").select_option(str(w.office_a.id))
    form.locator("select[name=manager_id]").select_option(str(w.manager_a1.id))
    with page.expect_navigation():
        page.get_by_test_id("save-company").click()
    expect(page.get_by_test_id("similar-names")).to_contain_text(w.company_a2.name_zh)
    page.get_by_test_id("confirm").check()
    with page.expect_navigation():
        page.get_by_test_id("save-company").click()
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/companies/\d+$"))
    dossier = page.url
    company_id = int(dossier.rsplit("/", 1)[1])

    # Find it by the initials of 京华能源集团股份有限公司.
    page.goto(f"{base}/companies/")
    page.fill("input[name=q]", "jhny")
    with page.expect_navigation():
        page.press("input[name=q]", "Enter")
    expect(page.get_by_test_id("company-table")).to_contain_text(NAME)

    # Set its parent.
    page.goto(f"{dossier}/edit")
    page.get_by_test_id("profile-form").locator("input[name=parent_id]").fill(str(w.company_a.id))
    with page.expect_navigation():
        page.get_by_test_id("save-company").click()
    expect(page.get_by_test_id("overview")).to_contain_text(w.company_a.name_zh)

    # Move it to the Shanghai office with a manager there.
    page.goto(f"{base}/org/move?from={w.office_a.id}")
    move = page.get_by_test_id("move-form")
    move.locator(f"input[name=company_ids][value='{company_id}']").check()
    move.locator("select[name=office_id]").select_option(str(w.office_b.id))
    move.locator("select[name=manager_id]").select_option(str(w.manager_b1.id))
    with page.expect_navigation():
        move.locator("button[type=submit]").click()

    # The move lands on the audit viewer, showing that change.
    expect(page).to_have_url(re.compile(rf"^{re.escape(base)}/audit/\?batch="))
    trail = page.get_by_test_id("audit")
    expect(trail).to_contain_text(NAME)
    expect(trail).to_contain_text(w.office_b.name_zh)
