"""The organisation pages, the move page and the leaver's handover page (through HTTP)."""

import pytest
from sqlalchemy import func, select

from portal.audit.models import AuditEvent
from portal.org.models import Branch
from tests import factories
from tests.org.conftest import reminder


def _post(client, url: str, data: dict, page_url: str | None = None):
    token = factories.csrf_from(client.get(page_url or url))
    return client.post(url, data={"csrf_token": token, **data})


def test_the_organisation_page_lists_branches_offices_and_what_they_hold(client, world, login):
    login(world.admin)
    page = client.get("/org/").get_data(as_text=True)
    assert world.branch_a.name_zh in page and world.office_b.name_zh in page
    assert f'data-office="{world.office_a.id}"' in page


def test_admin_opens_a_branch_and_an_office(client, db_session, world, login):
    login(world.admin)
    response = _post(
        client,
        "/org/branches/new",
        {"code": "xa", "name_zh": "西北分公司", "name_en": "Northwest", "city": "西安"},
    )
    assert response.status_code == 302
    branch = db_session.scalars(select(Branch).where(Branch.code == "XA")).one()
    response = _post(
        client,
        "/org/offices/new",
        {"branch_id": branch.id, "code": "XA-1", "name_zh": "雁塔营业部", "name_en": "Yanta", "city": "西安"},
    )
    assert response.status_code == 302
    assert "雁塔营业部" in client.get("/org/").get_data(as_text=True)


NAMES = {"name_zh": "x", "name_en": "x", "city": "x"}


@pytest.mark.parametrize(
    "url, data, message",
    [
        ("/org/branches/new", {**NAMES, "code": "B!"}, "A code is 1 to 16"),
        ("/org/branches/new", {**NAMES, "code": ""}, "This field is required."),
        ("/org/offices/new", {**NAMES, "code": "Z1", "branch_id": "abc"}, "could not coerce"),
        ("/org/offices/new", {**NAMES, "code": "Z1", "branch_id": "999999"}, "Choose an open branch."),
    ],
)
def test_bad_input_on_the_forms_is_a_400_with_a_message_and_writes_nothing(
    client, db_session, world, login, url, data, message
):
    login(world.admin)
    before = db_session.scalar(select(func.count(AuditEvent.id)))
    response = _post(client, url, data)
    assert response.status_code == 400
    assert message in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count(AuditEvent.id))) == before


def test_a_duplicate_code_is_refused(client, world, login):
    login(world.admin)
    data = {"code": world.branch_b.code, "name_zh": "x", "name_en": "x", "city": "x"}
    response = _post(client, "/org/branches/new", data)
    assert response.status_code == 400 and "This code is taken." in response.get_data(as_text=True)


def test_renaming_an_office(client, world, login):
    login(world.admin)
    url = f"/org/offices/{world.office_b.id}"
    assert world.office_b.name_zh in client.get(url).get_data(as_text=True)
    response = _post(client, url, {"name_zh": "浦东新区营业部", "name_en": "Pudong", "city": "上海"})
    assert response.status_code == 302 and world.office_b.name_zh == "浦东新区营业部"
    assert _post(client, url, {"name_zh": "", "name_en": "Pudong", "city": "上海"}).status_code == 400
    assert client.get("/org/offices/999999").status_code == 404


def test_closing_an_occupied_office_says_what_remains(client, world, login):
    login(world.admin)
    response = _post(client, f"/org/offices/{world.office_b.id}/close", {}, "/org/")
    assert response.status_code == 302
    page = client.get("/org/").get_data(as_text=True)
    assert "cannot close: 2 members of staff and 1 company remain" in page
    assert world.office_b.closed_at is None


def test_closing_an_empty_office_removes_it_from_the_staff_form(client, db_session, world, login):
    office = factories.office(db_session, world.branch_a, name_zh="待撤销营业部")
    login(world.admin)
    option = f"待撤销营业部 ({world.branch_a.name_zh})"
    assert option in client.get("/admin/users/new").get_data(as_text=True)
    response = _post(client, f"/org/offices/{office.id}/close", {}, "/org/")
    assert response.status_code == 302 and office.closed_at is not None
    assert option not in client.get("/admin/users/new").get_data(as_text=True)
    response = _post(
        client,
        "/admin/users/new",
        {
            "email": "new@test.example",
            "name": "新同事",
            "role": "account_manager",
            "password": "Harbour-lantern-2026!",
            "office_id": office.id,
        },
    )
    assert response.status_code == 200 and "Choose an open sales office." in response.get_data(as_text=True)


def test_a_close_without_a_token_is_refused(client, world, login):
    login(world.admin)
    assert client.post(f"/org/offices/{world.office_b.id}/close").status_code == 400


def test_the_move_page_lists_the_office_companies_and_their_managers(client, world, login):
    login(world.admin)
    page = client.get(f"/org/move?from={world.office_a.id}").get_data(as_text=True)
    assert world.company_a.name_zh in page and world.company_a2.name_zh in page
    assert world.company_b.name_zh not in page
    assert f'name="company_ids" value="{world.company_a.id}"' in page
    assert client.get("/org/move?from=999999").status_code == 404
    assert client.get("/org/move?from=abc").status_code == 200


def test_a_move_without_the_needed_manager_shows_why(client, world, login):
    login(world.admin)
    url = f"/org/move?from={world.office_a.id}"
    response = _post(client, url, {"company_ids": [world.company_a.id], "office_id": world.office_b.id})
    assert response.status_code == 400
    assert "Choose a new manager: the managers of" in response.get_data(as_text=True)
    assert world.company_a.office_id == world.office_a.id


@pytest.mark.parametrize(
    "data",
    [
        {"company_ids": "abc", "office_id": "x"},
        {"company_ids": "", "office_id": "0"},
        {"office_id": "999999"},
    ],
)
def test_bad_move_input_is_a_400_not_a_500(client, world, login, data):
    login(world.admin)
    response = _post(client, f"/org/move?from={world.office_a.id}", data)
    assert response.status_code == 400
    assert world.company_a.office_id == world.office_a.id


# --- staff leaving ---------------------------------------------------------------------------


def test_the_leave_page_lists_companies_reminders_and_opportunities(client, db_session, world, login):
    reminder(db_session, world.company_a, world.manager_a1)
    login(world.admin)
    page = client.get(f"/admin/users/{world.manager_a1.id}/leave").get_data(as_text=True)
    assert world.company_a.name_zh in page and world.company_a2.name_zh in page
    assert "定期回访" in page and world.opportunity_a.title in page
    assert f'name="manager_{world.company_a.id}"' in page
    assert client.get("/admin/users/999999/leave").status_code == 404


def test_bulk_handover_through_the_page(client, db_session, world, login):
    pending = reminder(db_session, world.company_a, world.manager_a1)
    login(world.admin)
    response = _post(
        client,
        f"/admin/users/{world.manager_a1.id}/leave",
        {"default_manager_id": world.manager_a2.id, f"manager_{world.company_a2.id}": world.manager_b1.id},
    )
    assert response.status_code == 302
    assert (world.company_a.manager_id, world.company_a2.manager_id) == (
        world.manager_a2.id,
        world.manager_b1.id,
    )
    assert pending.assignee_id == world.manager_a2.id and not world.manager_a1.is_enabled
    assert db_session.scalar(select(AuditEvent.id).where(AuditEvent.action == "handover"))


@pytest.mark.parametrize("chosen", ["", "abc", "999999"])
def test_a_handover_without_good_managers_is_refused_and_writes_nothing(
    client, db_session, world, login, chosen
):
    login(world.admin)
    before = db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action != "refused"))
    response = _post(
        client,
        f"/admin/users/{world.manager_a1.id}/leave",
        {"default_manager_id": chosen, f"manager_{world.company_a2.id}": world.manager_a2.id},
    )
    assert response.status_code == 400
    assert world.manager_a1.is_enabled and world.company_a2.manager_id == world.manager_a1.id
    assert (
        db_session.scalar(select(func.count(AuditEvent.id)).where(AuditEvent.action != "refused")) == before
    )


def test_disabling_a_manager_with_a_portfolio_leads_to_the_handover(client, world, login):
    login(world.admin)
    response = _post(client, f"/admin/users/{world.manager_a1.id}/enabled", {"enable": "0"}, "/admin/users")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/admin/users/{world.manager_a1.id}/leave")
    assert world.manager_a1.is_enabled
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "Hand over 2 companies, 0 open reminders and 1 open opportunity" in page


def test_the_user_list_links_disable_to_the_handover_page(client, world, login):
    login(world.admin)
    page = client.get("/admin/users").get_data(as_text=True)
    assert f'href="/admin/users/{world.manager_a1.id}/leave"' in page
