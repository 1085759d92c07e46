"""The company pages: new company (scope, duplicates, confirmation), profile, status, group,
and the review option; bad input answers with a message, never a 500."""

import re

import pytest
from sqlalchemy import select

from portal.companies.models import Company, CompanyStatusChange
from portal.reviews.models import Review
from tests import factories
from tests.companies.test_profile import fields


def _post(client, url, data):
    token = factories.csrf_from(client.get(url))
    return client.post(url, data={**data, "csrf_token": token})


def _options(html: str, name: str) -> list[str]:
    select_html = re.search(rf'<select[^>]*name="{name}"[^>]*>(.*?)</select>', html, re.S).group(1)
    return re.findall(r'<option[^>]*value="([^"]*)"', select_html)


def _by_name(db_session, name):
    return db_session.scalar(select(Company).where(Company.name_zh == name))


def test_manager_creates_a_company_and_lands_on_its_dossier(client, login, db_session, world):
    login(world.manager_a1)
    page = client.get("/companies/new")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert _options(html, "office_id") == [str(world.office_a.id)]
    assert _options(html, "manager_id") == [str(world.manager_a1.id)]
    for name in (
        "name_zh",
        "name_en",
        "credit_code",
        "industry",
        "headcount_band",
        "city",
        "address",
        "parent_id",
    ):
        assert f'name="{name}"' in html, name
    response = _post(client, "/companies/new", fields(world.office_a, world.manager_a1))
    company = _by_name(db_session, "华夏远航物流有限公司")
    assert response.status_code == 302 and response.headers["Location"].endswith(f"/companies/{company.id}")
    assert company.status == "prospect" and company.manager_id == world.manager_a1.id
    dossier = client.get(f"/companies/{company.id}").get_data(as_text=True)
    assert "华夏远航物流有限公司" in dossier
    assert "华夏远航物流有限公司" in client.get("/companies/?q=远航").get_data(as_text=True)
    assert "华夏远航物流有限公司" in client.get("/search/?q=远航物流").get_data(as_text=True)


@pytest.mark.parametrize(
    "who, offered", [("manager_a1", True), ("head_a", True), ("admin", True), ("management", False)]
)
def test_the_list_offers_new_company_to_those_who_may(client, login, world, who, offered):
    login(getattr(world, who))
    assert ('data-testid="new-company"' in client.get("/companies/").get_data(as_text=True)) is offered
    assert client.get("/companies/new").status_code == (200 if offered else 403)


def test_branch_head_chooses_within_the_branch(client, login, world):
    login(world.head_a)
    html = client.get("/companies/new").get_data(as_text=True)
    assert _options(html, "office_id") == [str(world.office_a.id)]
    assert set(_options(html, "manager_id")) == {"", str(world.manager_a1.id), str(world.manager_a2.id)}


def test_admin_chooses_any_office(client, login, world):
    login(world.admin)
    html = client.get("/companies/new").get_data(as_text=True)
    assert {str(world.office_a.id), str(world.office_b.id)} <= set(_options(html, "office_id"))


def test_a_similar_name_is_shown_then_confirmed(client, login, db_session, world):
    login(world.manager_a1)
    data = fields(world.office_a, world.manager_a1, name_zh="京华能源（集团）股份有限公司")
    warned = _post(client, "/companies/new", data)
    html = warned.get_data(as_text=True)
    assert warned.status_code == 200 and 'data-testid="similar-names"' in html
    assert world.company_a2.name_zh in html and f"/companies/{world.company_a2.id}" in html
    assert f'name="confirm" value="{world.company_a2.id}"' in html
    assert _by_name(db_session, data["name_zh"]) is None
    saved = _post(client, "/companies/new", {**data, "confirm": str(world.company_a2.id)})
    assert saved.status_code == 302
    assert _by_name(db_session, data["name_zh"]) is not None


def test_an_existing_credit_code_links_to_its_dossier(client, login, db_session, world):
    login(world.manager_a1)
    data = fields(
        world.office_a, world.manager_a1, name_zh="全新名称科技", credit_code=world.company_b.credit_code
    )
    response = _post(client, "/companies/new", data)
    html = response.get_data(as_text=True)
    assert response.status_code == 200 and 'data-testid="credit-code-taken"' in html
    assert f'href="/companies/{world.company_b.id}"' in html
    assert _by_name(db_session, "全新名称科技") is None


@pytest.mark.parametrize(
    "change",
    [
        {"office_id": "OFFICE_B"},
        {"manager_id": "MANAGER_B"},
        {"office_id": "x' OR 1=1"},
        {"industry": "mining"},
        {"credit_code": "123"},
        {"name_zh": ""},
        {"parent_id": "999999"},
        {"city": "市" * 60},
    ],
)
def test_bad_or_smuggled_input_is_refused_with_a_message(client, login, db_session, world, change):
    login(world.manager_a1)
    replace = {"OFFICE_B": str(world.office_b.id), "MANAGER_B": str(world.manager_b1.id)}
    data = fields(world.office_a, world.manager_a1, **{k: replace.get(v, v) for k, v in change.items()})
    response = _post(client, "/companies/new", data)
    assert response.status_code == 200
    assert "invalid-feedback" in response.get_data(as_text=True)
    assert _by_name(db_session, "华夏远航物流有限公司") is None


def test_edit_the_profile_and_set_a_parent(client, login, db_session, world):
    login(world.manager_a1)
    url = f"/companies/{world.company_a2.id}/edit"
    html = client.get(url).get_data(as_text=True)
    assert world.company_a2.credit_code in html
    data = fields(
        name_zh=world.company_a2.name_zh,
        credit_code=world.company_a2.credit_code,
        parent_id=str(world.company_a.id),
    )
    response = _post(client, url, data)
    assert response.status_code == 302
    db_session.refresh(world.company_a2)
    assert world.company_a2.parent_id == world.company_a.id and world.company_a2.city == "天津"
    overview = client.get(f"/companies/{world.company_a.id}").get_data(as_text=True)
    assert 'data-testid="group-link"' in overview
    refused = _post(
        client, f"/companies/{world.company_a.id}/edit", {**data, "parent_id": str(world.company_a2.id)}
    )
    assert refused.status_code == 200 and "circle" in refused.get_data(as_text=True)


@pytest.mark.parametrize(
    "who, status", [("manager_a2", 403), ("head_b", 403), ("management", 403), ("booker_a", 404)]
)
def test_edit_and_status_are_refused_outside_the_scope(client, login, world, who, status):
    login(getattr(world, who))
    for url in (f"/companies/{world.company_a.id}/edit", f"/companies/{world.company_a.id}/status"):
        assert client.get(url).status_code == status, url


def test_change_status_with_a_reason_on_the_timeline(client, login, db_session, world):
    login(world.manager_a1)
    url = f"/companies/{world.company_a2.id}/status"
    html = client.get(url).get_data(as_text=True)
    assert _options(html, "status") == ["suspended", "closed"]
    assert _post(client, url, {"status": "suspended", "reason": ""}).status_code == 200
    assert _post(client, url, {"status": "prospect", "reason": "x"}).status_code == 200
    response = _post(client, url, {"status": "suspended", "reason": "结算逾期，暂停"})
    assert response.status_code == 302 and response.headers["Location"].endswith("/timeline")
    timeline = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "结算逾期，暂停" in timeline
    assert db_session.scalars(select(CompanyStatusChange)).one().to_status == "suspended"


def test_closing_lists_the_live_agreements(client, login, db_session, world):
    login(world.manager_a1)
    url = f"/companies/{world.company_a.id}/status"
    assert world.agreement_a.number in client.get(url).get_data(as_text=True)
    response = _post(client, url, {"status": "closed", "reason": "注销"})
    assert response.status_code == 200 and world.agreement_a.number in response.get_data(as_text=True)
    db_session.refresh(world.company_a)
    assert world.company_a.status == "active"


def test_group_page(client, login, db_session, world):
    world.company_a2.parent_id = world.company_a.id
    world.company_b.parent_id = world.company_a2.id
    db_session.flush()
    login(world.manager_a1)
    html = client.get(f"/companies/{world.company_a.id}/group").get_data(as_text=True)
    for company in (world.company_a, world.company_a2, world.company_b):
        assert f'data-company="{company.id}"' in html
    assert "Outside your portfolio" in html
    sub = client.get(f"/companies/{world.company_a2.id}/group").get_data(as_text=True)
    assert f"/companies/{world.company_a.id}/group" in sub  # the whole group


def test_group_page_of_a_company_outside_the_scope(client, login, world):
    login(world.head_b)
    assert client.get(f"/companies/{world.company_a.id}/group").status_code == 403


def test_review_option_for_a_parent(app, client, login, db_session, world, monkeypatch):
    world.company_a2.parent_id = world.company_a.id
    db_session.flush()
    login(world.manager_a1)
    page = client.get(f"/companies/{world.company_a.id}/reviews")
    assert 'data-testid="include-subsidiaries"' in page.get_data(as_text=True)
    assert 'data-testid="include-subsidiaries"' not in client.get(
        f"/companies/{world.company_a2.id}/reviews"
    ).get_data(as_text=True)
    data = {
        "csrf_token": factories.csrf_from(page),
        "kind": "account",
        "company_id": world.company_a.id,
        "period": "2026Q3",
        "include_subsidiaries": "y",
    }
    assert client.post("/reviews/generate", data=data).status_code == 302
    review = db_session.scalars(select(Review)).one()
    assert review.include_subsidiaries is True and review.author_id == world.manager_a1.id


@pytest.mark.parametrize(
    "who, sees", [("manager_a1", True), ("head_a", False), ("admin", True), ("management", True)]
)
def test_a_review_with_subsidiaries_is_seen_by_its_author_and_management(
    client, login, db_session, world, who, sees
):
    """It holds figures of the subsidiaries its author sees, which others who see the parent may not."""
    own = Review(
        kind="account", company_id=world.company_a.id, period="2026Q3", author_id=world.manager_a1.id
    )
    group = Review(
        kind="account",
        company_id=world.company_a.id,
        period="2026Q2",
        author_id=world.manager_a1.id,
        include_subsidiaries=True,
    )
    db_session.add_all([own, group])
    db_session.flush()
    login(getattr(world, who))
    html = client.get("/reviews/").get_data(as_text=True)
    assert f'id="review-{own.id}"' in html
    assert (f'id="review-{group.id}"' in html) is sees
    tab = client.get(f"/companies/{world.company_a.id}/reviews").get_data(as_text=True)
    assert "2026Q3" in tab and ("2026Q2" in tab) is sees
