"""A manager uploads a document on the dossier in a real browser and finds it listed, then
downloads it; a search from the navbar finds the company's contact."""

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import sign_in

pytestmark = pytest.mark.browser

PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"


def test_manager_uploads_a_document_and_sees_it_listed(page, live_server, page_log):
    w = live_server.world
    dossier = f"{live_server.url}/companies/{w.company_a.id}"
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(dossier)
    with page.expect_navigation():
        page.get_by_test_id("dossier-nav").locator("[data-tab=documents]").click()
    page.get_by_test_id("add-document").click()
    form = page.get_by_test_id("document-form")
    form.locator("select[name=kind]").select_option("minutes")
    form.locator("input[name=title]").fill("季度会谈纪要")
    form.locator("input[name=file]").set_input_files(
        {"name": "会谈纪要.pdf", "mimeType": "application/pdf", "buffer": PDF}
    )
    with page.expect_navigation():
        form.get_by_test_id("upload-document").click()
    expect(page).to_have_url(f"{dossier}/documents")
    row = page.locator("[data-testid=documents] tr", has_text="季度会谈纪要")
    expect(row).to_have_count(1)
    expect(row).to_contain_text("v1 · 会谈纪要.pdf")
    with page.expect_download() as info:
        row.get_by_role("link", name="v1 · 会谈纪要.pdf").click()
    download = info.value
    assert download.suggested_filename == "会谈纪要.pdf"
    assert open(download.path(), "rb").read() == PDF

    # A disguised file is refused with a message and nothing is listed.
    page.goto(f"{dossier}/documents/new")
    form = page.get_by_test_id("document-form")
    form.locator("input[name=file]").set_input_files(
        {"name": "setup.pdf", "mimeType": "application/pdf", "buffer": b"MZ\x90\x00" + b"\x00" * 64}
    )
    with page.expect_navigation():
        form.get_by_test_id("upload-document").click()
    expect(page.locator(".invalid-feedback")).to_be_visible()

    # The travel history page (no flights in this world) renders cleanly.
    page.goto(f"{dossier}/travel?date_from=2026-01-01&cabin=C")
    expect(page.get_by_test_id("travel-totals")).to_be_visible()
    expect(page.get_by_test_id("total-segments")).to_have_text("0")


def test_staff_search_from_the_navbar(page, live_server):
    w = live_server.world
    sign_in(page, live_server.url, w.manager_a1.email)
    page.goto(f"{live_server.url}/companies/{w.company_a2.id}")
    box = page.get_by_test_id("nav-search").locator("input[name=q]")
    box.fill(w.company_a.name_zh[2:4])
    with page.expect_navigation():
        box.press("Enter")
    expect(page.get_by_test_id("search-companies")).to_contain_text(w.company_a.name_zh)
