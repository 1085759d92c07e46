"""The /agreements/ pages on SQLite and PostgreSQL: access per role, forms and bad input,
the lifecycle through HTTP, signed scans, downloads, and the booker's view on /self/."""

import io
import re
from datetime import timedelta
from decimal import Decimal
from pathlib import Path

import pytest
from sqlalchemy import func, select

from portal.agreements import documents
from portal.agreements.models import Agreement
from portal.companies.models import Document, DocumentVersion
from tests import factories
from tests.agreements.helpers import TODAY, add_route_terms, form_data

SMALL_PDF = b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n%%EOF\n"
SMALL_PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 64


def _html(response) -> str:
    return response.get_data(as_text=True)


def _csrf(client) -> str:
    return factories.csrf_from(client.get("/account/password"))


def _post(client, url, data=None, **kw):
    payload = {"csrf_token": _csrf(client)}
    payload.update(data or {})
    return client.post(url, data=payload, **kw)


@pytest.fixture()
def switch(client, login):
    """Sign out whoever is signed in, then sign in as `user`."""

    def _switch(user):
        if client.get("/account/password").status_code == 200:
            _post(client, "/logout")
        login(user)

    return _switch


def _count(db_session, *where) -> int:
    return db_session.scalar(select(func.count()).select_from(Agreement).where(*where))


def _draft(db_session, world, **kw) -> Agreement:
    kw.setdefault("valid_from", TODAY + timedelta(days=400))
    kw.setdefault("valid_to", TODAY + timedelta(days=764))
    return factories.agreement(db_session, world.company_a, status=kw.pop("status", "draft"), **kw)


# --- the list and access -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("who", "sees_a", "sees_b"),
    [("admin", True, True), ("management", True, True), ("head_a", True, False), ("head_b", False, True)]
    + [("manager_a1", True, False), ("manager_a2", False, False), ("manager_b1", False, True)],
)
def test_list_shows_agreements_of_companies_seen_in_full(client, world, login, who, sees_a, sees_b):
    login(getattr(world, who))
    html = _html(client.get("/agreements/"))
    assert (world.agreement_a.number in html) is sees_a
    assert (world.agreement_b.number in html) is sees_b


@pytest.mark.parametrize(
    ("who", "status"),
    [("admin", 200), ("management", 200), ("head_a", 200), ("manager_a1", 200)]
    + [("head_b", 403), ("manager_a2", 403), ("manager_b1", 403)],
)
def test_detail_access(client, world, login, who, status):
    login(getattr(world, who))
    assert client.get(f"/agreements/{world.agreement_a.id}").status_code == status


def test_booker_gets_404_everywhere_under_agreements(client, world, login):
    login(world.booker_a)
    a = world.agreement_a.id
    for url in (
        "/agreements/",
        f"/agreements/{a}",
        f"/agreements/{a}/terms",
        f"/agreements/new?company_id={world.company_a.id}",
        f"/agreements/{a}/files/1",
    ):
        assert client.get(url).status_code == 404, url
    for action in ("submit", "approve", "reject", "terminate", "renew", "document", "scans"):
        assert _post(client, f"/agreements/{a}/{action}").status_code == 404, action


def test_management_reads_but_changes_nothing(client, world, login, db_session):
    login(world.management)
    a = world.agreement_a.id
    assert client.get(f"/agreements/{a}").status_code == 200
    assert client.get(f"/agreements/new?company_id={world.company_a.id}").status_code == 403
    assert client.get(f"/agreements/{a}/terms").status_code == 403
    for action in ("submit", "approve", "reject", "terminate", "renew", "document", "scans"):
        assert _post(client, f"/agreements/{a}/{action}").status_code == 403, action
    assert "Produce the agreement PDF" not in _html(client.get(f"/agreements/{a}"))


def test_managers_change_their_own_companies_only(client, world, switch):
    switch(world.manager_a1)
    assert client.get(f"/agreements/new?company_id={world.company_a.id}").status_code == 200
    assert client.get(f"/agreements/new?company_id={world.company_b.id}").status_code == 403
    assert client.get("/agreements/new?company_id=999999").status_code == 404
    assert client.get("/agreements/new").status_code == 302  # choose a company first
    switch(world.manager_a2)
    assert client.get(f"/agreements/new?company_id={world.company_a.id}").status_code == 403
    assert _post(client, f"/agreements/{world.agreement_a.id}/renew").status_code == 403


def test_filters(client, world, login, db_session):
    soon = factories.agreement(
        db_session,
        world.company_a2,
        valid_from=TODAY - timedelta(days=300),
        valid_to=TODAY + timedelta(days=20),
    )
    draft = _draft(db_session, world)
    login(world.admin)
    html = _html(client.get("/agreements/?expiring=30"))
    assert soon.number in html and world.agreement_a.number not in html and draft.number not in html
    html = _html(client.get("/agreements/?status=draft"))
    assert draft.number in html and soon.number not in html
    html = _html(client.get(f"/agreements/?branch={world.branch_b.id}"))
    assert world.agreement_b.number in html and world.agreement_a.number not in html
    html = _html(client.get(f"/agreements/?manager={world.manager_a1.id}"))
    assert world.agreement_a.number in html and world.agreement_b.number not in html
    for query in ("status=bogus", "branch=x", "manager=-3", "expiring=-1", "expiring=99999999", "page=abc"):
        assert client.get("/agreements/?" + query).status_code == 200, query


def test_list_is_paginated(client, world, login, db_session):
    for i in range(30):
        factories.agreement(
            db_session,
            world.company_a2,
            status="expired",
            valid_from=TODAY - timedelta(days=800 + i * 10),
            valid_to=TODAY - timedelta(days=700 + i * 10),
        )
    login(world.manager_a1)
    first = _html(client.get("/agreements/"))
    assert len(re.findall(r'href="/agreements/\d+"', first)) == 25
    assert "page=2" in first
    assert client.get("/agreements/?page=2").status_code == 200


# --- the terms editor --------------------------------------------------------------------


def test_new_draft_through_the_form(client, world, login, db_session):
    login(world.manager_a1)
    page = client.get(f"/agreements/new?company_id={world.company_a.id}")
    assert page.status_code == 200 and 'name="discounts-2-percent"' in _html(page)
    response = client.post(f"/agreements/new?company_id={world.company_a.id}", data=form_data(page))
    assert response.status_code == 302, _html(response)[:2000]
    agreement = db_session.scalars(select(Agreement).where(Agreement.status == "draft")).one()
    assert agreement.author_id == world.manager_a1.id
    assert agreement.commitment_revenue_fen == 1_000_000_00
    assert [(d.scope, d.origin, d.destination, d.cabin, d.percent) for d in agreement.discounts] == [
        ("domestic", None, None, "Y", Decimal("12.5")),
        ("city_pair", "PEK", "CAN", "C", Decimal("20")),
    ]
    assert [(t.threshold_percent, t.rebate_percent) for t in agreement.incentive_tiers] == [(80, 1), (100, 2)]
    assert agreement.entitlements == ["priority_booking", "lounge"]
    assert response.headers["Location"].endswith(f"/agreements/{agreement.id}")


BAD_INPUT = [
    ({"discounts-0-percent": "abc"}, "Not a valid decimal value"),
    ({"discounts-0-percent": "NaN"}, "Enter a number"),
    ({"discounts-0-percent": "-Infinity"}, "Enter a number"),
    ({"discounts-0-percent": "150"}, "Between 0 and 100"),
    ({"discounts-0-percent": "12.555"}, "at most two decimals"),
    ({"discounts-0-cabin": "Z"}, "Not a valid choice"),
    ({"discounts-0-scope": "<b>x</b>"}, "Not a valid choice"),
    ({"discounts-1-origin": "PEKING"}, "IATA"),
    ({"discounts-1-destination": ""}, "origin and a destination"),
    ({"discounts-0-cabin": ""}, "choose a cabin"),
    ({"incentive_tiers-0-threshold": "120", "incentive_tiers-1-threshold": "100"}, "rise strictly"),
    ({"incentive_tiers-1-rebate": "101"}, "Between 0 and 100"),
    ({"incentive_tiers-1-rebate": ""}, "enter both"),
    ({"valid_to": (TODAY + timedelta(days=300)).isoformat()}, "end after it starts"),
    ({"valid_from": "2026-13-45"}, "Not a valid date value"),
    ({"valid_from": (TODAY + timedelta(days=30)).isoformat()}, "overlaps agreement"),
    ({"commitment_revenue": "1,000,000"}, "Not a valid decimal value"),
    ({"commitment_revenue": "-5"}, "Number must be between 0"),
    ({"commitment_segments": "many"}, "Not a valid integer value"),
    ({"commitment_segments": "9" * 5000}, "Not a valid integer value"),
    ({"discounts-²-percent": "5", "discounts-99999999999-cabin": "Y"}, None),
    ({"internal_notes": "x" * 5000}, "longer than 4000"),
]


@pytest.mark.parametrize(("changes", "message"), BAD_INPUT)
def test_bad_input_is_answered_with_errors_not_500(client, world, login, db_session, changes, message):
    login(world.manager_a1)
    url = f"/agreements/new?company_id={world.company_a.id}"
    page = client.get(url)
    response = client.post(url, data=form_data(page, **changes))
    if message is None:  # odd row numbers are ignored; the rest of the form is valid
        assert response.status_code == 302
        return
    assert response.status_code == 200
    html = _html(response)
    assert message in html.replace("&#39;", "'"), html[html.find("invalid-feedback") - 200 :][:1500]
    assert _count(db_session, Agreement.status == "draft") == 0


def test_html_in_notes_and_reasons_is_escaped(client, world, login, db_session):
    login(world.manager_a1)
    url = f"/agreements/new?company_id={world.company_a.id}"
    page = client.get(url)
    evil = '<script>alert("x")</script><img src=x onerror=alert(1)>'
    response = client.post(url, data=form_data(page, internal_notes=evil))
    assert response.status_code == 302
    html = _html(client.get(response.headers["Location"]))
    assert "<script>alert" not in html and "<img src=x" not in html
    assert "&lt;script&gt;alert" in html


def test_edit_terms_of_a_draft_only(client, world, login, db_session):
    draft = _draft(db_session, world)
    login(world.manager_a1)
    page = client.get(f"/agreements/{draft.id}/terms")
    html = _html(page)
    assert page.status_code == 200
    assert 'value="12.50"' in html or 'value="12.5"' in html  # the existing row
    assert 'name="discounts-3-scope"' in html  # plus blank rows
    response = client.post(
        f"/agreements/{draft.id}/terms",
        data=form_data(page, **{"discounts-0-percent": "15", "fast_track": "y"}),
    )
    assert response.status_code == 302
    db_session.expire_all()
    assert draft.discounts[0].percent == Decimal("15") and draft.fast_track
    # An active agreement is not editable.
    response = client.get(f"/agreements/{world.agreement_a.id}/terms")
    assert response.status_code == 302
    assert "Only drafts can be edited" in _html(client.get(response.headers["Location"]))


# --- the lifecycle through HTTP --------------------------------------------------------------


def _flash_after(client, response) -> str:
    assert response.status_code == 302
    return _html(client.get(response.headers["Location"]))


def test_submit_and_approve(client, world, switch, db_session):
    draft = _draft(db_session, world, author_id=world.manager_a1.id)
    switch(world.manager_a1)
    html = _flash_after(client, _post(client, f"/agreements/{draft.id}/submit"))
    assert "submitted for approval" in html
    assert _post(client, f"/agreements/{draft.id}/approve").status_code == 403  # managers do not approve
    switch(world.head_b)
    assert _post(client, f"/agreements/{draft.id}/approve").status_code == 403  # another branch
    switch(world.head_a)
    html = _flash_after(client, _post(client, f"/agreements/{draft.id}/approve"))
    assert "approved and active" in html
    db_session.refresh(draft)
    assert draft.status == "active" and draft.approved_by_id == world.head_a.id
    history = html[html.find('data-testid="history"') :]
    assert world.head_a.name in history and world.manager_a1.name in history


def test_self_approval_is_refused_with_a_message(client, world, login, db_session):
    draft = _draft(db_session, world, author_id=world.head_a.id)
    login(world.head_a)
    _post(client, f"/agreements/{draft.id}/submit")
    page = _html(client.get(f"/agreements/{draft.id}"))
    assert "another branch head or an administrator must approve it" in page
    html = _flash_after(client, _post(client, f"/agreements/{draft.id}/approve"))
    assert "cannot approve it yourself" in html
    db_session.refresh(draft)
    assert draft.status == "pending_approval"


def _approve_button(html: str) -> bool:
    return 'data-testid="approve"' in html


def test_approve_button_shows_only_to_one_who_had_no_hand_in_the_terms(client, world, switch, db_session):
    author, editor = (factories.user(db_session, "branch_head", world.office_a) for _ in range(2))
    draft = _draft(db_session, world, author_id=author.id)
    url = f"/agreements/{draft.id}"
    switch(editor)
    page = client.get(f"{url}/terms")
    assert (
        client.post(f"{url}/terms", data=form_data(page, **{"discounts-0-percent": "15"})).status_code == 302
    )
    switch(world.admin)
    assert "submitted for approval" in _flash_after(client, _post(client, f"{url}/submit"))

    # The author, the terms editor and the submitter may decide on the company's agreements,
    # but not on this one: no button, a word on why; the manager only waits.
    for user in (author, editor, world.admin):
        switch(user)
        html = _html(client.get(url))
        assert not _approve_button(html), user.email
        assert 'data-testid="approval-by-another"' in html, user.email
        assert "cannot approve it yourself" in _flash_after(client, _post(client, f"{url}/approve"))
    switch(world.manager_a1)
    html = _html(client.get(url))
    assert not _approve_button(html) and "Waiting for approval" in html
    # The history says who changed which term, from what to what.
    history = html[html.find('data-testid="history"') :]
    assert "Terms changed" in history and editor.name in history
    changes = history[history.find('data-testid="terms-changes"') :]
    assert "Domestic routes Y 12.5% → Domestic routes Y 15%" in " ".join(changes.split())
    timeline = _html(client.get(f"/companies/{world.company_a.id}/timeline?type=agreement"))
    assert "Terms changed" in timeline

    switch(world.head_a)  # had no hand in it
    html = _html(client.get(url))
    assert _approve_button(html) and 'data-testid="approval-by-another"' not in html
    assert "approved and active" in _flash_after(client, _post(client, f"{url}/approve"))
    db_session.refresh(draft)
    assert draft.status == "active" and draft.approved_by_id == world.head_a.id


@pytest.mark.parametrize(
    ("action", "message"),
    [
        ("submit", "Only a draft can be submitted"),
        ("approve", "Only an agreement pending approval can be approved"),
    ],
)
def test_illegal_transitions_flash_a_message(client, world, login, db_session, action, message):
    login(world.admin)
    html = _flash_after(client, _post(client, f"/agreements/{world.agreement_a.id}/{action}"))
    assert message in html
    db_session.refresh(world.agreement_a)
    assert world.agreement_a.status == "active"


def test_reject_needs_a_reason(client, world, login, db_session):
    pending = _draft(db_session, world, status="pending_approval", author_id=world.manager_a1.id)
    login(world.head_a)
    response = _post(client, f"/agreements/{pending.id}/reject", {"reason": "  "})
    assert response.status_code == 200 and "This field is required" in _html(response)
    response = _post(client, f"/agreements/{pending.id}/reject", {"reason": "x" * 3000})
    assert response.status_code == 200 and "longer than 2000" in _html(response)
    response = _post(client, f"/agreements/{pending.id}/reject", {"reason": "<b>Too deep</b> on PEK-SHA"})
    html = _flash_after(client, response)
    assert "&lt;b&gt;Too deep&lt;/b&gt;" in html
    db_session.refresh(pending)
    assert pending.status == "draft"
    # Rejecting a draft again is an illegal transition: a message, not a 500.
    response = _post(client, f"/agreements/{pending.id}/reject", {"reason": "again"})
    assert "Only an agreement pending approval can be rejected" in _flash_after(client, response)


def test_terminate_and_renew(client, world, login, db_session):
    login(world.head_a)
    response = _post(client, f"/agreements/{world.agreement_a.id}/renew")
    renewal = db_session.scalars(
        select(Agreement).where(Agreement.renewed_from_id == world.agreement_a.id)
    ).one()
    assert response.headers["Location"].endswith(f"/agreements/{renewal.id}")
    assert "already renewed" in _flash_after(
        client, _post(client, f"/agreements/{world.agreement_a.id}/renew")
    )
    response = _post(client, f"/agreements/{world.agreement_a.id}/terminate", {"reason": "Office closed"})
    assert "is terminated" in _flash_after(client, response)
    db_session.refresh(world.agreement_a)
    assert world.agreement_a.status == "terminated"


# --- signed scans and downloads --------------------------------------------------------------


def _upload(client, agreement_id, content: bytes, name: str):
    return _post(
        client,
        f"/agreements/{agreement_id}/scans",
        {"file": (io.BytesIO(content), name)},
        content_type="multipart/form-data",
    )


def _stored_files(app) -> set[str]:
    folder = Path(app.config["PORTAL_DATA_DIR"]) / "documents"
    return {p.name for p in folder.iterdir()} if folder.exists() else set()


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"MZ\x90\x00\x03\x00\x00\x00\x04\x00\x00\x00\xff\xff" + b"\x00" * 200, "signed.pdf"),
        (b"\x7fELF\x02\x01\x01" + b"\x00" * 200, "scan.png"),
        (b"<html><script>alert(1)</script></html>", "scan.jpg"),
        (b"", "empty.pdf"),
    ],
)
def test_disguised_files_are_refused(app, client, world, login, db_session, content, name):
    before = _stored_files(app)
    login(world.manager_a1)
    response = _upload(client, world.agreement_a.id, content, name)
    assert response.status_code == 200
    assert "its content was checked" in _html(response) or "This field is required" in _html(response)
    assert db_session.scalar(select(func.count()).select_from(DocumentVersion)) == 0
    assert _stored_files(app) == before


def test_oversized_scan_is_refused(app, client, world, login, db_session, monkeypatch):
    monkeypatch.setattr(documents, "SCAN_MAX_BYTES", 1000)
    before = _stored_files(app)
    login(world.manager_a1)
    response = _upload(client, world.agreement_a.id, SMALL_PDF + b"0" * 2000, "big.pdf")
    assert response.status_code == 200 and "larger than" in _html(response)
    assert _stored_files(app) == before


def test_signed_scans_are_versioned_and_downloaded_as_attachments(client, world, switch, db_session):
    switch(world.manager_a1)
    assert _upload(client, world.agreement_a.id, SMALL_PDF, "../../etc/签署版.pdf").status_code == 302
    assert _upload(client, world.agreement_a.id, SMALL_PNG, "page2.png").status_code == 302
    versions = db_session.scalars(
        select(DocumentVersion)
        .join(Document)
        .where(Document.kind == "signed_scan")
        .order_by(DocumentVersion.id)
    ).all()
    assert [(v.version, v.content_type, v.filename) for v in versions] == [
        (1, "application/pdf", "签署版.pdf"),
        (2, "image/png", "page2.png"),
    ]
    response = client.get(f"/agreements/{world.agreement_a.id}/files/{versions[1].id}")
    assert response.status_code == 200
    assert response.headers["Content-Type"] == "image/png"
    assert response.headers["Content-Disposition"] == (
        f"attachment; filename={world.agreement_a.number}-signed-v2.png"
    )
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.data == SMALL_PNG
    # Access to the file follows access to the agreement.
    url = f"/agreements/{world.agreement_a.id}/files/{versions[0].id}"
    for who, status in (("management", 200), ("head_a", 200), ("manager_a2", 403), ("head_b", 403)):
        switch(getattr(world, who))
        assert client.get(url).status_code == status, who
    switch(world.booker_a)
    assert client.get(url).status_code == 404
    # A version id under another agreement's URL is not found.
    switch(world.admin)
    assert client.get(f"/agreements/{world.agreement_b.id}/files/{versions[0].id}").status_code == 404


def test_scan_form_without_a_file(client, world, login):
    login(world.manager_a1)
    response = _post(client, f"/agreements/{world.agreement_a.id}/scans")
    assert response.status_code == 200 and "This field is required" in _html(response)


# --- attainment on the pages and the booker's view ------------------------------------------


def test_dossier_and_agreement_page_show_attainment(client, world, login, db_session):
    factories.segment(db_session, world.company_a, TODAY - timedelta(days=5), 100_000_00)
    db_session.flush()
    login(world.manager_a1)
    for url in (f"/companies/{world.company_a.id}", f"/agreements/{world.agreement_a.id}"):
        html = _html(client.get(url))
        assert 'data-testid="attainment"' in html, url
        assert "<progress" in html and 'max="100"' in html
        assert "100,000" in html  # revenue to date, of a 500,000 commitment
        assert "style=" not in html[html.find('data-testid="attainment"') :][:3000]


def test_booker_sees_terms_in_plain_words_without_internal_notes(client, world, login, db_session):
    agreement = world.agreement_a
    agreement.internal_notes = "Secret margin note"
    agreement.waitlist_priority = True
    factories.segment(db_session, world.company_a, TODAY - timedelta(days=3), 50_000_00)
    draft = _draft(db_session, world, internal_notes="Draft note")
    db_session.flush()
    login(world.booker_a)
    html = _html(client.get("/self/"))
    assert agreement.number in html
    assert "12.5%" in html and "Domestic routes" in html
    assert "Each agreement year your company flies with us for at least ¥500,000" in html
    assert "Waitlist priority: when a flight is full" in html
    assert "Priority booking: seats are protected" in html
    assert 'data-testid="attainment"' in html and "<progress" in html
    assert "Secret margin note" not in html and "Draft note" not in html
    assert draft.number not in html
    assert world.manager_a1.email in html


def test_booker_without_active_agreement(client, world, login, db_session):
    world.agreement_a.status = "terminated"
    db_session.flush()
    login(world.booker_a)
    html = _html(client.get("/self/"))
    assert "no agreement in force" in html and world.agreement_a.number not in html


def test_booker_sees_each_term_of_the_agreement_or_that_it_has_none(client, world, login, db_session):
    """The booker's home reads the agreement as rows: a route discount and the incentive tiers
    in threshold order when there are some, the empty wording when there are none."""
    agreement = world.agreement_a
    add_route_terms(agreement)
    db_session.flush()
    login(world.booker_a)
    html = _html(client.get("/self/"))
    discounts = re.search(r'data-testid="self-discounts">(.*?)</table>', html, re.S).group(1)
    assert "12.5%" in discounts and "8%" in discounts and "PEK" in discounts and "CTU" in discounts
    assert html.index("Reach 80% of the commitment") < html.index("Reach 120% of the commitment")

    agreement.discounts.clear()
    agreement.incentive_tiers.clear()
    for name in ("priority_booking", "lounge"):
        setattr(agreement, name, False)
    db_session.flush()
    html = _html(client.get("/self/"))
    assert agreement.number in html and "This agreement has no fare discounts." in html
    assert 'data-testid="self-discounts"' not in html and "Reach " not in html
    assert 'data-testid="self-entitlements"' not in html


# --- a fixed number of queries, however many rows ---------------------------------------------


def _statements(app, client, url: str) -> int:
    """SELECTs one GET runs with nothing loaded in the session beforehand (as under gunicorn)."""
    from sqlalchemy import event

    from portal.extensions import db

    counted = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith(("SELECT", "WITH")):
            counted.append(statement)

    with app.app_context():
        db.session.commit()
        db.session.expunge_all()
        event.listen(db.engine, "before_cursor_execute", count)
        try:
            assert client.get(url).status_code == 200
        finally:
            event.remove(db.engine, "before_cursor_execute", count)
    return len(counted)


def test_list_and_detail_query_counts_do_not_grow(app, client, world, switch, db_session):
    from types import SimpleNamespace

    from portal.org.models import Branch

    admin, manager = SimpleNamespace(email=world.admin.email), SimpleNamespace(email=world.manager_a1.email)
    agreement_id, branch_id = world.agreement_a.id, world.branch_b.id
    switch(admin)
    small = [
        _statements(app, client, "/agreements/"),
        _statements(app, client, f"/agreements/{agreement_id}"),
    ]
    branch = db_session.get(Branch, branch_id)
    agreement = db_session.get(Agreement, agreement_id)
    for i in range(12):
        office = factories.office(db_session, branch)
        company = factories.company(db_session, office, factories.user(db_session, "account_manager", office))
        factories.agreement(db_session, company)
        agreement.discounts.append(
            factories.AgreementDiscount(
                scope="city_pair", origin="PEK", destination=f"X{i:02d}", cabin="Y", percent=i
            )
        )
        factories.segment(db_session, company, TODAY, 1000)
    db_session.flush()
    large = [
        _statements(app, client, "/agreements/"),
        _statements(app, client, f"/agreements/{agreement_id}"),
    ]
    assert small == large
    switch(manager)  # a manager's list: no filter choices, the same statements however many rows
    assert _statements(app, client, "/agreements/") <= small[0]
