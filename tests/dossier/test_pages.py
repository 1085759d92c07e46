"""The dossier's pages through HTTP on SQLite and PostgreSQL: tabs and empty states, the
forms with good and bad input, escaping, access (403 for staff, 404 for bookers), soft delete,
revealing a document number after a fresh sign-in, handover and notifications."""

import re
import time
from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from sqlalchemy import select

from portal.audit.models import AuditEvent
from portal.auth.models import LoginAttempt
from portal.companies import secrets
from portal.companies.models import Contact, Interaction, ManagerAssignment, Traveller
from portal.db import utcnow
from portal.notifications.models import Notification
from portal.quotas.models import PriorityRequest, Quota
from portal.reminders.models import Reminder
from portal.reviews.models import Review
from portal.timeutil import local_today
from tests import factories
from tests.dossier.conftest import id_card

SCRIPT = '<script>alert("x")</script>'


def html(response) -> str:
    return response.get_data(as_text=True)


def token(client, url: str = "/account/password") -> str:
    return factories.csrf_from(client.get(url))


def post(client, url: str, data: dict | None = None, form_url: str | None = None):
    """POST with a CSRF token taken from `form_url` (or the password page)."""
    return client.post(
        url, data={"csrf_token": token(client, form_url or "/account/password"), **(data or {})}
    )


def with_document(db_session, company, number="E12345678", kind="passport") -> Traveller:
    traveller = factories.traveller(db_session, company)
    traveller.id_document_type = kind
    with_app_key(traveller, number)
    db_session.flush()
    return traveller


def section(page: str, section_id: str) -> str:
    """The dossier section `<section ... id="section_id">` of a page, whole."""
    return re.search(rf'<section[^>]* id="{section_id}">(.*?)</section>', page, re.S).group(1)


def with_app_key(traveller, number):
    traveller.id_document_encrypted = secrets.encrypt(number)
    traveller.id_document_masked = secrets.mask(number)


def switch(client, login, user):
    """Sign out, then in as `user`."""
    post(client, "/logout")
    login(user)


@pytest.fixture()
def today(app):
    """Today in the portal's zone."""
    with app.app_context():
        return local_today()


@pytest.fixture()
def doc_traveller(app, db_session, world):
    with app.app_context():
        return with_document(db_session, world.company_a)


# --- the dossier's tabs ----------------------------------------------------------------------

TAB_IDS = [
    "overview",
    "travellers",
    "score",
    "timeline",
    "documents",
    "agreements",
    "quotas",
    "travel",
    "reviews",
    "audit",
]


def tab_url(company, tab: str) -> str:
    return f"/companies/{company.id}" + ("" if tab == "overview" else f"/{tab}")


def test_every_tab_has_its_page_with_the_tab_bar(client, world, login):
    login(world.manager_a1)
    for tab in TAB_IDS:
        response = client.get(tab_url(world.company_a, tab))
        assert response.status_code == 200, tab
        page = html(response)
        nav = re.search(r'data-testid="dossier-nav">(.*?)</nav>', page, re.S).group(1)
        assert re.findall(r'data-tab="(\w+)"', nav) == TAB_IDS
        links = dict(re.findall(r'data-tab="(\w+)"\s+href="([^"]+)"', nav))
        assert links == {t: tab_url(world.company_a, t) for t in TAB_IDS}
        # The open tab is marked, for the eye and for screen readers; only it.
        assert re.findall(r'data-tab="(\w+)"\s+href="[^"]+" aria-current="page"', nav) == [tab]
        assert 'data-testid="company-name"' in page and world.company_a.name_zh in page


def test_tabs_of_an_unknown_company_are_404(client, world, login):
    login(world.manager_a1)
    for tab in TAB_IDS:
        assert client.get(tab_url(SimpleNamespace(id=987654), tab)).status_code == 404, tab


def test_the_overview_shows_the_first_key_travellers_and_links_to_all(client, db_session, world, login):
    from portal.companies.dossier import OVERVIEW_TRAVELLERS

    for i in range(OVERVIEW_TRAVELLERS + 5):
        factories.traveller(db_session, world.company_a2, name=f"旅客{i:02d}")
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a2.id}"))
    rows = re.findall(r'data-testid="traveller-\d+"', page)
    assert len(rows) == OVERVIEW_TRAVELLERS
    assert "旅客00" in page and f"旅客{OVERVIEW_TRAVELLERS:02d}" not in page  # by name
    assert f'href="/companies/{world.company_a2.id}/travellers" data-testid="all-travellers"' in page
    everyone = html(client.get(f"/companies/{world.company_a2.id}/travellers"))
    assert len(re.findall(r'data-testid="traveller-\d+"', everyone)) == OVERVIEW_TRAVELLERS + 5
    assert 'data-testid="all-travellers"' not in everyone
    # A company with few travellers has no "all" link on its overview.
    assert 'data-testid="all-travellers"' not in html(client.get(f"/companies/{world.company_a.id}"))


def test_the_overview_lists_only_the_companys_live_people(client, db_session, world, login, doc_traveller):
    """The overview reads contacts and travellers as plain rows: still only this company's,
    never deleted ones, the masked number shown and the encrypted one never in the page."""
    gone = factories.traveller(db_session, world.company_a, name="已删旅客")
    gone.deleted_at = utcnow()
    factories.traveller(db_session, world.company_b, name="别家旅客")
    factories.contact(db_session, world.company_b, name="别家联系人")
    removed = factories.contact(db_session, world.company_a, name="已删联系人")
    removed.deleted_at = utcnow()
    db_session.flush()
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}"))
    travellers, contacts = section(page, "travellers"), section(page, "contacts")
    assert doc_traveller.name in travellers and "E1*****78" in travellers
    assert "已删旅客" not in travellers and "别家旅客" not in travellers
    assert doc_traveller.id_document_encrypted not in page and "E12345678" not in page
    assert world.contact_a.name in contacts
    assert "已删联系人" not in contacts and "别家联系人" not in contacts


def test_the_next_revisit_names_its_assignee(client, db_session, world, login, today):
    db_session.add(
        Reminder(
            company_id=world.company_a.id,
            assignee_id=world.manager_a1.id,
            kind="revisit",
            title="季度回访",
            due_on=today + timedelta(days=5),
        )
    )
    db_session.add(
        Reminder(
            company_id=world.company_a2.id, kind="revisit", title="无人回访", due_on=today + timedelta(days=5)
        )
    )
    db_session.flush()
    login(world.manager_a1)
    card = re.compile(r'data-testid="next-revisit">(.*?)</div>\s*</div>', re.S)
    assigned = card.search(html(client.get(f"/companies/{world.company_a.id}"))).group(1)
    assert "季度回访" in assigned and "Assigned to 李经理" in assigned
    unassigned = card.search(html(client.get(f"/companies/{world.company_a2.id}"))).group(1)
    assert "无人回访" in unassigned and "Assigned to" not in unassigned


def test_the_next_revisit_is_the_earliest_open_one_of_the_company(client, db_session, world, login, today):
    """Reminders done, snoozed or cancelled, and other companies' reminders, never show as the
    next revisit, however early they are due."""
    for status, company, days in (
        ("done", world.company_a, 1),
        ("snoozed", world.company_a, 2),
        ("cancelled", world.company_a, 3),
        ("open", world.company_b, 4),
        ("open", world.company_a, 8),
        ("open", world.company_a, 12),
    ):
        db_session.add(
            Reminder(
                company_id=company.id,
                kind="revisit",
                title=f"{status}-{days}",
                status=status,
                due_on=today + timedelta(days=days),
            )
        )
    db_session.flush()
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}"))
    revisit = re.search(r'data-testid="next-revisit">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert "open-8" in revisit and "Assigned to" not in revisit
    for hidden in ("done-1", "snoozed-2", "cancelled-3", "open-4", "open-12"):
        assert hidden not in revisit


def test_the_agreement_summary_shows_its_terms_or_none(client, db_session, world, login, today):
    """Discounts and incentive tiers load beside the agreement (two statements): shown when the
    agreement has them, absent when it has none."""
    from decimal import Decimal

    from portal.agreements.models import AgreementDiscount, IncentiveTier

    world.agreement_a.discounts.append(
        AgreementDiscount(
            scope="city_pair", origin="PEK", destination="SHA", cabin="C", percent=Decimal("12.25")
        )
    )
    world.agreement_a.incentive_tiers.append(
        IncentiveTier(threshold_percent=Decimal(1), rebate_percent=Decimal(2))
    )
    factories.segment(db_session, world.company_a, today - timedelta(days=10), 50_000_00)  # past 1%
    bare = factories.agreement(db_session, world.company_a2)
    bare.discounts.clear()
    db_session.flush()
    login(world.manager_a1)
    summary = re.compile(r'data-testid="agreement-summary">(.*?)<div class="card-footer', re.S)
    full = summary.search(html(client.get(f"/companies/{world.company_a.id}"))).group(1)
    assert "PEK–SHA" in full and "12.25%" in full and "12.5%" in full
    rebate = re.search(r'data-testid="rebate">(.*?)</dd>', full, re.S).group(1)
    assert "¥" in rebate and "2% for reaching 1%" in rebate  # the tier is loaded and reached
    plain = summary.search(html(client.get(f"/companies/{world.company_a2.id}"))).group(1)
    assert bare.number in plain and "<table" not in plain


def test_the_travellers_tab_is_paginated(app, client, db_session, world, login):
    size = app.config["PAGE_SIZE"]
    for i in range(size + 3):
        factories.traveller(db_session, world.company_a2, name=f"旅客{i:03d}")
    login(world.manager_a1)
    first = html(client.get(f"/companies/{world.company_a2.id}/travellers"))
    assert len(re.findall(r'data-testid="traveller-\d+"', first)) == size and "page=2" in first
    second = html(client.get(f"/companies/{world.company_a2.id}/travellers?page=2"))
    assert len(re.findall(r'data-testid="traveller-\d+"', second)) == 3
    for bad in ("page=abc", "page=-1", "page=999"):
        assert client.get(f"/companies/{world.company_a2.id}/travellers?{bad}").status_code == 200


def test_empty_sections_say_what_to_do_next(client, world, login):
    login(world.manager_a1)
    expected = {
        "overview": (
            "No contacts recorded.",
            "No key travellers recorded.",
            "No agreement yet.",
            "No revisit is scheduled.",
            "No open complaints.",
            "Quotas come with an active agreement.",
        ),
        "travellers": ("No key travellers recorded.",),
        "agreements": ("No agreement yet.",),
        "quotas": ("No quotas for this or next month.", "No priority requests yet."),
        "reviews": ("No reviews generated yet",),
        "documents": ("No documents yet",),
        "travel": ("No flights recorded yet.",),
    }
    for tab, texts in expected.items():
        page = html(client.get(tab_url(world.company_a2, tab)))
        for text in texts:
            assert text in page, (tab, text)


def test_overview_quotas_revisit_and_overdue_complaint(client, db_session, world, login, today):
    month = today.replace(day=1)
    for origin, seats, used in (("PEK", 10, 4), ("SHA", 6, 6)):
        db_session.add(
            Quota(
                agreement_id=world.agreement_a.id,
                origin=origin,
                destination="CAN",
                cabin="C",
                month=month,
                seats=seats,
                used=used,
            )
        )
    db_session.add(
        Quota(
            agreement_id=world.agreement_a.id,
            origin="PEK",
            destination="CTU",
            cabin="Y",
            month=date(2020, 1, 1),
            seats=99,
        )
    )
    for days, kind in ((20, "revisit"), (9, "reactivation"), (3, "follow_up")):
        db_session.add(
            Reminder(
                company_id=world.company_a.id,
                assignee_id=world.manager_a1.id,
                kind=kind,
                title=f"回访{days}",
                due_on=today + timedelta(days=days),
            )
        )
    world.complaint_a.due_at = utcnow() - timedelta(hours=1)
    db_session.flush()
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}"))
    summary = re.search(r'data-testid="quota-summary">(.*?)</div>\s*</div>\s*</div>', page, re.S).group(1)
    assert ">2<" in summary and "10 / 16" in summary and ">6<" in summary
    revisit = re.search(r'data-testid="next-revisit">(.*?)</div>\s*</div>', page, re.S).group(1)
    assert "回访9" in revisit and "回访3" not in revisit
    row = re.search(rf'<tr class="([^"]*)" data-testid="complaint-{world.complaint_a.id}"', page)
    assert row and "table-danger" in row.group(1)
    assert 'data-testid="overdue"' in page
    # The quota tab shows this and next month's quotas only, not 2020's.
    assert f'<a class="small" href="/companies/{world.company_a.id}/quotas">' in page
    page = html(client.get(f"/companies/{world.company_a.id}/quotas"))
    quotas = re.search(r'data-testid="quotas">(.*?)</table>', page, re.S).group(1)
    assert "PEK–CAN" in quotas and "PEK–CTU" not in quotas


def test_requests_reviews_and_agreements_sections(client, db_session, world, login, today):
    month = today.replace(day=1)
    quota = Quota(
        agreement_id=world.agreement_a.id, origin="PEK", destination="SHA", cabin="Y", month=month, seats=5
    )
    db_session.add(quota)
    db_session.flush()
    for i in range(12):
        db_session.add(
            PriorityRequest(
                quota_id=quota.id,
                company_id=world.company_a.id,
                traveller_id=world.traveller_a.id,
                flight_number=f"CA{1500 + i}",
                flight_date=month,
                departure_at=datetime.combine(month, datetime.min.time()),
                origin="PEK",
                destination="SHA",
                cabin="Y",
                status="waitlisted",
                requested_at=utcnow() - timedelta(hours=i),
            )
        )
    db_session.add(Review(kind="account", company_id=world.company_a.id, period="2026Q1", status="done"))
    db_session.flush()
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}/quotas"))
    requests = re.search(r'data-testid="requests">(.*?)</table>', page, re.S).group(1)
    assert requests.count("<tr>") == 11  # header and the latest 10
    assert "CA1500" in requests and "CA1511" not in requests
    reviews = html(client.get(f"/companies/{world.company_a.id}/reviews"))
    assert "2026Q1" in reviews and "No reviews generated yet" not in reviews
    agreements = html(client.get(f"/companies/{world.company_a.id}/agreements"))
    assert f'href="/agreements/{world.agreement_a.id}"' in agreements


def test_audit_section_shows_changes_and_never_secrets(client, db_session, world, login, doc_traveller):
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}/audit"))
    audit = re.search(r'id="audit" data-testid="audit">(.*?)</section>', page, re.S).group(1)
    assert "traveller" in audit and "***" in audit
    overview = html(client.get(f"/companies/{world.company_a.id}"))
    for shown in (page, overview):
        assert doc_traveller.id_document_encrypted not in shown
        assert "E12345678" not in shown
    assert "E1*****78" in overview  # masked in the travellers table


def test_audit_page_is_paginated(client, db_session, world, login):
    for i in range(60):
        factories.contact(db_session, world.company_a, name=f"联系人{i}")
    login(world.manager_a1)
    first = html(client.get(f"/companies/{world.company_a.id}/audit"))
    assert first.count('data-action="create"') == 50 and "page=2" in first
    second = client.get(f"/companies/{world.company_a.id}/audit?page=2")
    assert second.status_code == 200
    for bad in ("page=abc", "page=-3", "page=9999"):
        assert client.get(f"/companies/{world.company_a.id}/audit?{bad}").status_code == 200


# --- interactions -------------------------------------------------------------------------------


def test_record_a_visit_in_local_time_and_see_it_on_the_timeline(client, db_session, world, login):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/interactions/new"
    response = post(
        client,
        url,
        {"kind": "visit", "occurred_at": "2026-01-10T09:30", "summary": "拜访王总", "next_step": "发送报价"},
        url,
    )
    assert response.status_code == 302 and response.location.endswith(
        f"/companies/{world.company_a.id}/timeline"
    )
    visit = db_session.scalars(select(Interaction).where(Interaction.summary == "拜访王总")).one()
    assert visit.occurred_at == datetime(2026, 1, 10, 1, 30)  # Beijing 09:30 is 01:30 UTC
    assert visit.author_id == world.manager_a1.id
    page = html(client.get(f"/companies/{world.company_a.id}/timeline"))
    timeline = re.search(r'id="timeline"(.*?)</section>', page, re.S).group(1)
    assert "拜访王总" in timeline and "发送报价" in timeline
    visits = html(client.get(f"/companies/{world.company_a.id}/timeline?type=visit"))
    assert "拜访王总" in visits and 'data-kind="complaint"' not in visits


def test_the_new_interaction_form_defaults_to_now(client, world, login):
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}/interactions/new?kind=complaint"))
    assert '<option selected value="complaint">' in page
    assert re.search(r'type="datetime-local" value="\d{4}-\d\d-\d\dT\d\d:\d\d"', page)
    assert client.get(f"/companies/{world.company_a.id}/interactions/new?kind=<x>").status_code == 200


@pytest.mark.parametrize(
    "data, field",
    [
        ({"occurred_at": "2026-13-45T99:99"}, "occurred_at"),
        ({"occurred_at": "yesterday"}, "occurred_at"),
        ({"occurred_at": ""}, "occurred_at"),
        ({"occurred_at": "2999-01-01T10:00"}, "occurred_at"),
        ({"kind": "dinner"}, "kind"),
        ({"summary": ""}, "summary"),
        ({"summary": "长" * 4001}, "summary"),
        ({"next_step": "x" * 2001}, "next_step"),
    ],
)
def test_bad_interaction_input_is_a_form_error(client, db_session, world, login, data, field):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/interactions/new"
    before = db_session.scalar(select(Interaction.id).order_by(Interaction.id.desc()).limit(1))
    values = {"kind": "call", "occurred_at": "2026-01-10T09:30", "summary": "电话"} | data
    response = post(client, url, values, url)
    assert response.status_code == 200
    assert 'class="invalid-feedback d-block"' in html(response)
    assert db_session.scalar(select(Interaction.id).order_by(Interaction.id.desc()).limit(1)) == before


def test_complaint_status_change_and_resolution(client, db_session, world, login):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/complaints/{world.complaint_a.id}"
    assert post(client, url, {"status": "bogus"}, url).status_code == 200
    assert post(client, url, {"status": "open"}, url).status_code == 200  # unchanged: an error
    assert post(client, url, {"status": "in_progress"}, url).status_code == 302
    response = post(client, url, {"status": "resolved", "resolution": "已补偿"}, url)
    assert response.status_code == 302
    db_session.expire_all()
    complaint = db_session.get(Interaction, world.complaint_a.id)
    assert complaint.complaint_status == "resolved" and complaint.outcome == "已补偿"
    page = html(client.get(f"/companies/{world.company_a.id}"))
    assert "No open complaints." in page


def test_complaint_page_only_for_complaints(client, db_session, world, login):
    visit = factories.interaction(db_session, world.company_a)
    login(world.manager_a1)
    assert client.get(f"/companies/{world.company_a.id}/complaints/{visit.id}").status_code == 404


# --- contacts and travellers --------------------------------------------------------------------


def test_contact_create_edit_delete_through_the_forms(client, db_session, world, login):
    login(world.manager_a1)
    new = f"/companies/{world.company_a.id}/contacts/new"
    data = {
        "name": "赵敏",
        "title": "财务经理",
        "role": "finance",
        "phone": "010-8888 6666",
        "email": "zm@corp.cn",
    }
    assert post(client, new, data, new).status_code == 302
    contact = db_session.scalars(select(Contact).where(Contact.name == "赵敏")).one()
    edit = f"/companies/{world.company_a.id}/contacts/{contact.id}"
    assert 'value="zm@corp.cn"' in html(client.get(edit))
    assert post(client, edit, data | {"title": "财务总监"}, edit).status_code == 302
    delete = f"{edit}/delete"
    assert "Delete the contact 赵敏?" in html(client.get(delete))
    assert post(client, delete, {}, delete).status_code == 302
    db_session.expire_all()
    row = db_session.get(Contact, contact.id)
    assert row.deleted_at is not None and row.title == "财务总监"
    # The whole contacts section (splitting at 'id="contacts"' stopped at the table's data-testid).
    contacts = section(html(client.get(f"/companies/{world.company_a.id}")), "contacts")
    assert 'data-testid="contacts"' in contacts or "No contacts recorded." in contacts
    assert "赵敏" not in contacts
    assert client.get(edit).status_code == 404  # a deleted contact is gone from the pages
    actions = db_session.scalars(
        select(AuditEvent.action)
        .where(AuditEvent.entity == "contact", AuditEvent.entity_id == contact.id)
        .order_by(AuditEvent.id)
    ).all()
    assert actions == ["create", "update", "delete"]


@pytest.mark.parametrize(
    "data, field",
    [
        ({"name": ""}, "name"),
        ({"name": "长" * 101}, "name"),
        ({"role": "ceo"}, "role"),
        ({"email": "not-an-address"}, "email"),
        ({"phone": "call me"}, "phone"),
        ({"notes": "x" * 2001}, "notes"),
    ],
)
def test_bad_contact_input_is_a_form_error(client, world, login, data, field):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/contacts/new"
    response = post(client, url, {"name": "赵敏", "role": "finance"} | data, url)
    assert response.status_code == 200 and "invalid-feedback" in html(response)


def test_traveller_with_document_through_the_forms(client, db_session, world, login):
    login(world.manager_a1)
    new = f"/companies/{world.company_a.id}/travellers/new"
    number = id_card()
    data = {
        "name": "孙丽",
        "ff_number": "ca 8888 1234",
        "member_tier": "platinum",
        "seat_preference": "window",
        "meal_preference": "muslim",
        "id_document_type": "id_card",
        "id_document_number": number,
    }
    assert post(client, new, data, new).status_code == 302
    traveller = db_session.scalars(select(Traveller).where(Traveller.name == "孙丽")).one()
    assert traveller.ff_number == "CA88881234"
    assert number not in traveller.id_document_encrypted
    edit = f"/companies/{world.company_a.id}/travellers/{traveller.id}"
    form = html(client.get(edit))
    assert number not in form and traveller.id_document_masked in form
    page = html(client.get(f"/companies/{world.company_a.id}"))
    assert number not in page and traveller.id_document_masked in page


@pytest.mark.parametrize(
    "data, field",
    [
        ({"id_document_type": "id_card", "id_document_number": "110105194912310021"}, "id_document_number"),
        ({"id_document_type": "passport", "id_document_number": "E1"}, "id_document_number"),
        ({"id_document_type": "visa", "id_document_number": "E12345678"}, "id_document_type"),
        ({"id_document_number": "E12345678"}, "id_document_type"),
        ({"member_tier": "diamond"}, "member_tier"),
        ({"seat_preference": "wing"}, "seat_preference"),
        ({"meal_preference": "steak"}, "meal_preference"),
        ({"ff_number": "CA-123"}, "ff_number"),
        ({"ff_number": "C" * 21}, "ff_number"),
        ({"name": "长" * 101}, "name"),
    ],
)
def test_bad_traveller_input_is_a_form_error(client, db_session, world, login, data, field):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/travellers/new"
    base = {"name": "孙丽", "member_tier": "none", "seat_preference": "none", "meal_preference": "none"}
    response = post(client, url, base | data, url)
    assert response.status_code == 200 and "invalid-feedback" in html(response)
    number = data.get("id_document_number")
    if number and len(number) > 4:
        assert number not in html(response)  # a typed number is never sent back
    assert db_session.scalars(select(Traveller).where(Traveller.name == "孙丽")).first() is None


def test_control_characters_are_stripped_not_a_server_error(client, db_session, world, login):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/contacts/new"
    assert (
        post(client, url, {"name": "赵\x00敏\x07", "role": "other", "notes": "a\x00b\nc"}, url).status_code
        == 302
    )
    contact = db_session.scalars(select(Contact).where(Contact.name == "赵敏")).one()
    assert contact.notes == "ab\nc"


def test_html_and_script_in_every_text_field_is_escaped(client, db_session, world, login):
    login(world.manager_a1)
    company = world.company_a.id
    contact_url = f"/companies/{company}/contacts/new"
    post(
        client, contact_url, {"name": SCRIPT, "title": SCRIPT, "role": "other", "notes": SCRIPT}, contact_url
    )
    traveller_url = f"/companies/{company}/travellers/new"
    post(
        client,
        traveller_url,
        {
            "name": SCRIPT,
            "name_en": SCRIPT,
            "notes": SCRIPT,
            "member_tier": "none",
            "seat_preference": "none",
            "meal_preference": "none",
        },
        traveller_url,
    )
    interaction_url = f"/companies/{company}/interactions/new"
    for kind in ("visit", "complaint"):
        response = post(
            client,
            interaction_url,
            {
                "kind": kind,
                "occurred_at": "2026-01-10T09:30",
                "summary": SCRIPT,
                "outcome": SCRIPT,
                "next_step": SCRIPT,
            },
            interaction_url,
        )
        assert response.status_code == 302
    complaint = db_session.scalars(
        select(Interaction).where(Interaction.kind == "complaint", Interaction.summary == SCRIPT)
    ).one()
    switch(client, login, world.head_a)
    handover = f"/companies/{company}/manager"
    assert (
        post(client, handover, {"manager_id": world.manager_a2.id, "note": SCRIPT}, handover).status_code
        == 302
    )
    contact = db_session.scalars(select(Contact).where(Contact.name == SCRIPT)).one()
    traveller = db_session.scalars(select(Traveller).where(Traveller.name == SCRIPT)).one()
    pages = [
        f"/companies/{company}",
        f"/companies/{company}/timeline",
        f"/companies/{company}/audit",
        f"/companies/{company}/contacts/{contact.id}",
        f"/companies/{company}/travellers/{traveller.id}",
        f"/companies/{company}/complaints/{complaint.id}",
        f"/companies/{company}/manager",
    ]
    for url in pages:
        page = html(client.get(url))
        assert "<script>alert" not in page, url
        assert "&lt;script&gt;" in page or "&#34;x&#34;" in page, url
    switch(client, login, world.manager_a2)
    notifications = html(client.get("/notifications/"))
    assert "<script>alert" not in notifications and "&lt;script&gt;" in notifications


# --- access -------------------------------------------------------------------------------------


def dossier_urls(company_id, contact_id, traveller_id, interaction_id) -> list[tuple[str, str]]:
    base = f"/companies/{company_id}"
    return [
        ("GET", base),
        ("GET", f"{base}/timeline"),
        ("GET", f"{base}/audit"),
        ("GET", f"{base}/contacts/new"),
        ("POST", f"{base}/contacts/new"),
        ("GET", f"{base}/contacts/{contact_id}"),
        ("POST", f"{base}/contacts/{contact_id}"),
        ("GET", f"{base}/contacts/{contact_id}/delete"),
        ("POST", f"{base}/contacts/{contact_id}/delete"),
        ("GET", f"{base}/travellers/new"),
        ("POST", f"{base}/travellers/new"),
        ("GET", f"{base}/travellers/{traveller_id}"),
        ("POST", f"{base}/travellers/{traveller_id}"),
        ("GET", f"{base}/travellers/{traveller_id}/delete"),
        ("POST", f"{base}/travellers/{traveller_id}/delete"),
        ("POST", f"{base}/travellers/{traveller_id}/reveal"),
        ("GET", f"{base}/interactions/new"),
        ("POST", f"{base}/interactions/new"),
        ("GET", f"{base}/complaints/{interaction_id}"),
        ("POST", f"{base}/complaints/{interaction_id}"),
        ("GET", f"{base}/manager"),
        ("POST", f"{base}/manager"),
    ]


def _request(client, method, url):
    if method == "GET":
        return client.get(url)
    return post(client, url, {"name": "x", "role": "other", "summary": "x", "status": "resolved"})


def test_booker_gets_404_on_every_dossier_url_of_any_company(client, db_session, world, login):
    contact_b = factories.contact(db_session, world.company_b)
    complaint_b = factories.interaction(db_session, world.company_b, kind="complaint")
    login(world.booker_a)
    own = dossier_urls(world.company_a.id, world.contact_a.id, world.traveller_a.id, world.complaint_a.id)
    other = dossier_urls(world.company_b.id, contact_b.id, world.traveller_b.id, complaint_b.id)
    mixed = dossier_urls(world.company_a.id, contact_b.id, world.traveller_b.id, complaint_b.id)
    for method, url in own + other + mixed:
        assert _request(client, method, url).status_code == 404, (method, url)
    db_session.expire_all()
    assert db_session.get(Contact, contact_b.id).deleted_at is None


@pytest.mark.parametrize("who", ["manager_a2", "head_b"])
def test_staff_outside_the_company_are_refused_every_change(client, db_session, world, login, who):
    login(getattr(world, who))
    urls = dossier_urls(world.company_a.id, world.contact_a.id, world.traveller_a.id, world.complaint_a.id)
    for method, url in urls:
        if url == f"/companies/{world.company_a.id}" and who == "manager_a2":
            continue  # another manager's company: the name-and-owner page
        assert _request(client, method, url).status_code == 403, (method, url)
    db_session.expire_all()
    assert db_session.get(Contact, world.contact_a.id).deleted_at is None


def test_management_reads_but_changes_nothing(client, db_session, world, login, doc_traveller):
    login(world.management)
    base = f"/companies/{world.company_a.id}"
    for url in (base, f"{base}/timeline", f"{base}/audit"):
        assert client.get(url).status_code == 200
    page = html(client.get(base))
    assert 'data-testid="reveal"' not in page and 'data-testid="add-contact"' not in page
    urls = dossier_urls(world.company_a.id, world.contact_a.id, doc_traveller.id, world.complaint_a.id)
    for method, url in urls[3:]:
        assert _request(client, method, url).status_code == 403, (method, url)
    assert not db_session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all()


def test_ids_of_another_company_in_this_company_url_are_404(client, db_session, world, login):
    contact_b = factories.contact(db_session, world.company_b)
    complaint_b = factories.interaction(db_session, world.company_b, kind="complaint")
    for i, user in enumerate((world.manager_a1, world.admin)):
        if i:
            post(client, "/logout")
        login(user)
        urls = dossier_urls(world.company_a.id, contact_b.id, world.traveller_b.id, complaint_b.id)
        for method, url in urls:
            if any(
                part in url for part in ("/contacts/", "/travellers/", "/complaints/")
            ) and not url.endswith("/new"):
                assert _request(client, method, url).status_code == 404, (user.role, method, url)
    db_session.expire_all()
    assert db_session.get(Contact, contact_b.id).deleted_at is None
    assert db_session.get(Interaction, complaint_b.id).complaint_status == "open"


# --- revealing a document number ----------------------------------------------------------------


def reveal_url(world, traveller) -> str:
    return f"/companies/{world.company_a.id}/travellers/{traveller.id}/reveal"


def test_reveal_after_a_fresh_sign_in_shows_the_number_and_is_audited(
    client, db_session, world, login, doc_traveller
):
    login(world.manager_a1)
    response = post(client, reveal_url(world, doc_traveller), form_url=f"/companies/{world.company_a.id}")
    assert response.status_code == 200
    assert 'data-testid="revealed-number">E12345678<' in html(response)
    assert response.headers["Cache-Control"] == "no-store"
    event = db_session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).one()
    assert (event.entity, event.entity_id, event.actor_id, event.company_id) == (
        "traveller",
        doc_traveller.id,
        world.manager_a1.id,
        world.company_a.id,
    )
    assert "E12345678" not in str(event.after) and "E12345678" not in (event.path or "")


def test_reveal_is_a_post(client, world, login, doc_traveller):
    login(world.manager_a1)
    assert client.get(reveal_url(world, doc_traveller)).status_code == 405


@pytest.mark.parametrize("stale", ["old_password", "remembered"])
def test_reveal_needs_the_password_again_when_the_sign_in_is_not_fresh(
    app, client, db_session, world, login, doc_traveller, stale
):
    login(world.manager_a1)
    with client.session_transaction() as session:
        if stale == "old_password":
            session["_fresh_at"] = time.time() - app.config["REAUTH_MAX_AGE"].total_seconds() - 5
        else:
            session["_fresh"] = False  # a session restored from the remember cookie
    response = post(client, reveal_url(world, doc_traveller), form_url=f"/companies/{world.company_a.id}")
    assert response.status_code == 302 and response.location.startswith("/reauth?next=")
    assert not db_session.scalars(select(AuditEvent).where(AuditEvent.action == "reveal")).all()

    reauth = client.get(response.location)
    assert reauth.status_code == 200 and world.manager_a1.email in html(reauth)
    wrong = client.post(
        response.location, data={"csrf_token": factories.csrf_from(reauth), "password": "wrong-password-123"}
    )
    assert wrong.status_code == 401 and "The password is wrong." in html(wrong)
    failures = db_session.scalars(
        select(LoginAttempt).where(
            LoginAttempt.email == world.manager_a1.email, LoginAttempt.succeeded.is_(False)
        )
    ).all()
    assert len(failures) == 1
    right = client.post(
        response.location, data={"csrf_token": factories.csrf_from(reauth), "password": factories.PASSWORD}
    )
    assert right.status_code == 302 and right.location == f"/companies/{world.company_a.id}#travellers"
    again = post(client, reveal_url(world, doc_traveller), form_url=f"/companies/{world.company_a.id}")
    assert again.status_code == 200 and "E12345678" in html(again)


def test_reauth_is_throttled_like_sign_in(app, client, db_session, world, login):
    login(world.manager_a1)
    page = client.get("/reauth")
    for _ in range(app.config["LOGIN_MAX_FAILURES"]):
        client.post("/reauth", data={"csrf_token": factories.csrf_from(page), "password": "nope-nope-nope"})
    locked = client.post(
        "/reauth", data={"csrf_token": factories.csrf_from(page), "password": factories.PASSWORD}
    )
    assert locked.status_code == 429


def test_reauth_next_stays_on_this_site(client, world, login):
    login(world.manager_a1)
    page = client.get("/reauth?next=https://evil.example/")
    response = client.post(
        "/reauth?next=https://evil.example/",
        data={"csrf_token": factories.csrf_from(page), "password": factories.PASSWORD},
    )
    assert response.status_code == 302 and response.location == "/"


def test_reveal_without_a_document_says_so(client, world, login):
    login(world.manager_a1)
    response = post(client, reveal_url(world, world.traveller_a), form_url=f"/companies/{world.company_a.id}")
    assert response.status_code == 302
    assert "No identity document is recorded" in html(client.get(response.location))


def test_reveal_of_a_deleted_traveller_is_404(client, db_session, world, login, doc_traveller):
    doc_traveller.deleted_at = utcnow()
    db_session.flush()
    login(world.manager_a1)
    assert post(client, reveal_url(world, doc_traveller)).status_code == 404


# --- handover and notifications -----------------------------------------------------------------


def test_handover_page_offers_the_branch_managers(client, world, login):
    login(world.head_a)
    page = html(client.get(f"/companies/{world.company_a.id}/manager"))
    options = re.findall(r'<option value="(\d+)"', page)
    assert options == [str(world.manager_a2.id)]  # not the current manager, not branch B's
    switch(client, login, world.admin)
    page = html(client.get(f"/companies/{world.company_a.id}/manager"))
    assert str(world.manager_b1.id) in re.findall(r'<option value="(\d+)"', page)


@pytest.mark.parametrize("value", ["abc", "", "999999", "-1"])
def test_bad_handover_input_is_a_form_error(client, world, login, value):
    login(world.head_a)
    url = f"/companies/{world.company_a.id}/manager"
    response = post(client, url, {"manager_id": value}, url)
    assert response.status_code == 200 and "invalid-feedback" in html(response)


def test_handover_from_another_branch_is_a_form_error(client, world, login):
    login(world.head_a)
    url = f"/companies/{world.company_a.id}/manager"
    response = post(client, url, {"manager_id": world.manager_b1.id}, url)
    assert response.status_code == 200 and "invalid-feedback" in html(response)


def test_handover_tells_the_new_manager_in_the_navbar_and_list(client, db_session, world, login):
    login(world.head_a)
    url = f"/companies/{world.company_a.id}/manager"
    assert (
        post(client, url, {"manager_id": world.manager_a2.id, "note": "请尽快拜访"}, url).status_code == 302
    )
    history = html(client.get(url))
    assert "请尽快拜访" in history
    assignment = db_session.scalars(select(ManagerAssignment)).one()
    assert assignment.manager_id == world.manager_a2.id

    switch(client, login, world.manager_a2)
    page = html(client.get(f"/companies/{world.company_a.id}"))
    assert 'data-testid="unread-count"' in page
    listing = html(client.get("/notifications/"))
    assert world.company_a.name_zh in listing and f'href="/companies/{world.company_a.id}"' in listing
    assert "请尽快拜访" in listing
    # The timeline shows the change of manager.
    timeline = html(client.get(f"/companies/{world.company_a.id}/timeline?type=manager"))
    assert world.manager_a2.name in timeline

    note = db_session.scalars(select(Notification).where(Notification.user_id == world.manager_a2.id)).one()
    assert (
        post(client, "/notifications/read", {"notification_id": note.id}, "/notifications/").status_code
        == 302
    )
    db_session.expire_all()
    assert db_session.get(Notification, note.id).read_at is not None
    assert 'data-testid="unread-count"' not in html(client.get("/notifications/"))


def test_handover_page_passes_the_open_opportunities_to_the_new_manager(client, db_session, world, login):
    opportunity = f"/pipeline/{world.opportunity_a.id}"
    login(world.manager_a1)
    assert client.get(opportunity).status_code == 200
    switch(client, login, world.head_a)
    url = f"/companies/{world.company_a.id}/manager"
    assert "open opportunities of the company pass to the new manager" in html(client.get(url))
    assert post(client, url, {"manager_id": world.manager_a2.id}, url).status_code == 302
    db_session.expire_all()
    assert world.opportunity_a.owner_id == world.manager_a2.id

    switch(client, login, world.manager_a1)
    assert client.get(opportunity).status_code == 403
    assert world.opportunity_a.title not in html(client.get("/pipeline/list"))
    switch(client, login, world.manager_a2)
    assert client.get(opportunity).status_code == 200
    assert world.opportunity_a.title in html(client.get("/pipeline/list"))
    assert "1 open opportunity comes with it" in html(client.get("/notifications/"))


def test_notifications_of_others_are_404_and_mark_all(client, db_session, world, login):
    mine = Notification(user_id=world.booker_a.id, kind="company_assigned", message="a")
    theirs = Notification(user_id=world.booker_b.id, kind="company_assigned", message="b")
    db_session.add_all([mine, theirs])
    db_session.flush()
    login(world.booker_a)
    assert html(client.get("/notifications/")).count("Mark as read") == 1
    response = post(client, "/notifications/read", {"notification_id": theirs.id}, "/notifications/")
    assert response.status_code == 404
    assert post(client, "/notifications/read", {"notification_id": "x"}, "/notifications/").status_code == 400
    assert post(client, "/notifications/read", {}, "/notifications/").status_code == 302
    db_session.expire_all()
    assert db_session.get(Notification, mine.id).read_at is not None
    assert db_session.get(Notification, theirs.id).read_at is None


def test_notification_links_only_stay_on_this_site(client, db_session, world, login):
    db_session.add(
        Notification(user_id=world.manager_a1.id, kind="x", message="m", link="https://evil.example/")
    )
    db_session.flush()
    login(world.manager_a1)
    assert "evil.example" not in html(client.get("/notifications/"))


def _manager_card(page: str) -> str:
    start = page.index('data-testid="manager-history"')
    return page[start : page.index("</div>\n  </div>", start)]


def test_overview_shows_the_latest_managers_and_links_to_all(client, world, login, db_session):
    login(world.manager_a1)
    card = _manager_card(html(client.get(f"/companies/{world.company_a.id}")))
    assert "No handover recorded yet." in card

    now = utcnow()
    names = ["甲经理", "乙经理", "丙经理", "丁经理", "戊经理", "己经理"]  # oldest first
    for i, name in enumerate(names):
        manager = factories.user(db_session, "account_manager", world.office_a, name=name)
        db_session.add(
            ManagerAssignment(
                company_id=world.company_a.id,
                manager_id=manager.id,
                started_at=now - timedelta(days=600 - 100 * i),
                ended_at=None if i == len(names) - 1 else now - timedelta(days=500 - 100 * i),
            )
        )
    db_session.flush()

    card = _manager_card(html(client.get(f"/companies/{world.company_a.id}")))
    shown = [name for name in names if name in card]
    assert shown == names[2:]  # the latest four
    assert [card.index(n) for n in reversed(shown)] == sorted(card.index(n) for n in shown)  # newest first
    assert card.count("today") == 1  # only the current assignment is open
    assert "All 6 managers" in card and "type=manager" in card


def test_overview_lists_every_manager_when_there_are_few(client, world, login, db_session):
    login(world.manager_a1)
    db_session.add(
        ManagerAssignment(
            company_id=world.company_a.id,
            manager_id=world.manager_a1.id,
            started_at=utcnow() - timedelta(days=30),
        )
    )
    db_session.flush()
    card = _manager_card(html(client.get(f"/companies/{world.company_a.id}")))
    assert world.manager_a1.name in card and "today" in card
    assert "All " not in card


def test_overview_lists_open_complaints_with_their_authors(client, world, login, db_session):
    later = factories.interaction(
        db_session,
        world.company_a,
        kind="complaint",
        complaint_status="in_progress",
        summary="升舱承诺未兑现",
        due_at=utcnow() + timedelta(days=5),
    )  # no author: recorded by an import
    factories.interaction(
        db_session, world.company_a, kind="complaint", complaint_status="resolved", summary="已解决的投诉"
    )
    factories.interaction(db_session, world.company_b, kind="complaint", summary="别家公司的投诉")
    factories.interaction(db_session, world.company_a, summary="普通拜访")
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}"))
    table = re.search(r'data-testid="open-complaints">(.*?)</table>', page, re.S).group(1)

    first = table.index(f'data-testid="complaint-{world.complaint_a.id}"')
    second = table.index(f'data-testid="complaint-{later.id}"')
    assert first < second  # the one due first comes first
    assert world.manager_a1.name in table[first:second]
    assert "升舱承诺未兑现" in table[second:] and "In progress" in table[second:]
    assert world.manager_a1.name not in table[second:]
    for hidden in ("已解决的投诉", "别家公司的投诉", "普通拜访"):
        assert hidden not in table


def test_overview_links_parent_and_subsidiaries(client, world, login, db_session):
    child = factories.company(
        db_session,
        world.office_a,
        world.manager_a1,
        name_zh="星河航天（西安）有限公司",
        parent_id=world.company_a.id,
    )
    login(world.manager_a1)
    page = html(client.get(f"/companies/{world.company_a.id}"))
    assert "Subsidiaries" in page and f'href="/companies/{child.id}">星河航天（西安）有限公司</a>' in page
    page = html(client.get(f"/companies/{child.id}"))
    assert "Parent company" in page
    assert f'href="/companies/{world.company_a.id}">{world.company_a.name_zh}</a>' in page
    assert "Subsidiaries" not in page
    assert 'data-testid="no-open-complaints"' in page
