"""The companies list (search, sort, filters, pages) and the foundation dossier."""

import pytest

from tests import factories


@pytest.fixture()
def many(db_session, world):
    """30 more companies of manager A1, so the list has pages."""
    for i in range(30):
        factories.company(db_session, world.office_a, world.manager_a1, name_zh=f"华夏{i:02d}号物流有限公司")
    return world


def _names(response) -> str:
    return response.get_data(as_text=True)


def _shows_company_b_not_a(client, url: str) -> None:
    html = _names(client.get(url))
    assert "上海浦江金融控股有限公司" in html
    assert "北京星河航天科技有限公司" not in html


def test_search_by_chinese_fragment(client, world, login):
    login(world.manager_a1)
    _shows_company_b_not_a(client, "/companies/?q=浦江&all=1")


def test_search_by_credit_code_prefix(client, world, login):
    login(world.admin)
    _shows_company_b_not_a(client, "/companies/?q=" + world.company_b.credit_code.lower())


def test_search_treats_wildcards_literally(client, world, login):
    login(world.admin)
    html = _names(client.get("/companies/?q=%25"))
    assert "No company matches" in html or "没有" in html


def test_pagination_and_sort(client, many, login):
    login(many.manager_a1)
    first = _names(client.get("/companies/?sort=name"))
    assert first.count('href="/companies/') >= 25
    assert "page=2" in first
    assert "华夏29号物流有限公司" not in first
    second = _names(client.get("/companies/?sort=name&page=2"))
    assert "华夏29号物流有限公司" in second
    reverse = _names(client.get("/companies/?sort=-name"))
    assert reverse.index("华夏29号") < reverse.index("华夏28号")


@pytest.mark.parametrize(
    "query",
    ["page=abc", "page=-1", "page=99999", "sort=bogus", "tier=diamond", "status=%00", "q=" + "长" * 500],
)
def test_bad_query_arguments_never_fail(client, world, login, query):
    login(world.admin)
    assert client.get("/companies/?" + query).status_code == 200


def test_branch_head_lists_only_the_branch(client, world, login):
    login(world.head_b)
    _shows_company_b_not_a(client, "/companies/")


def test_dossier_shows_profile_manager_agreement_contacts_travellers(client, world, login):
    login(world.manager_a1)
    html = _names(client.get(f"/companies/{world.company_a.id}"))
    for text in (
        world.company_a.credit_code,
        "李经理",
        world.agreement_a.number,
        world.contact_a.name,
        world.traveller_a.name,
        world.traveller_a.ff_number,
    ):
        assert text in html


def test_dossier_of_unknown_company_is_404(client, world, login):
    login(world.admin)
    assert client.get("/companies/999999").status_code == 404


def test_html_in_company_names_is_escaped(client, world, login, db_session):
    world.company_a.name_zh = '<script>alert("x")</script>星河'
    db_session.flush()
    login(world.manager_a1)
    for url in ("/companies/", f"/companies/{world.company_a.id}"):
        html = _names(client.get(url))
        assert "<script>alert" not in html
        assert "&lt;script&gt;" in html


def test_self_shows_own_company_agreement_and_manager(client, world, login):
    login(world.booker_a)
    html = _names(client.get("/self/"))
    assert world.company_a.name_zh in html
    assert world.agreement_a.number in html
    assert world.manager_a1.email in html
    assert world.company_b.name_zh not in html


def test_error_pages_are_pages(client, world, login):
    login(world.manager_a1)
    response = client.get("/no-such-page")
    assert response.status_code == 404
    assert "<nav" in response.get_data(as_text=True)
    assert client.post("/companies/").status_code in (400, 405)


def test_server_error_page_hides_the_trace(app):
    from portal import create_app
    from portal.auth.policy import public

    other = create_app("testing", SQLALCHEMY_DATABASE_URI=app.config["SQLALCHEMY_DATABASE_URI"])
    other.config["PROPAGATE_EXCEPTIONS"] = False

    @public
    def boom():
        raise RuntimeError("secret detail")

    other.add_url_rule("/boom", "boom", boom)
    response = other.test_client().get("/boom")
    assert response.status_code == 500
    assert b"secret detail" not in response.data
    assert b"Traceback" not in response.data


def _list_row(html: str, name_zh: str) -> str:
    """The list's table row of the company named `name_zh`."""
    at = html.index(name_zh)
    return html[html.rindex("<tr>", 0, at) : html.index("</tr>", at)]


def test_list_shows_others_companies_by_name_only(client, world, login, db_session):
    world.company_a.tier, world.company_a.score = "gold", 81.5
    world.company_b.tier, world.company_b.score = "platinum", 93.25
    db_session.flush()
    login(world.manager_a1)
    html = _names(client.get("/companies/?all=1"))
    assert "共 3 条" in html

    mine = _list_row(html, world.company_a.name_zh)
    assert world.company_a.credit_code in mine
    assert "81.5" in mine and "tier-gold" in mine
    assert "朝阳营业部" in mine and "李经理" in mine

    theirs = _list_row(html, world.company_b.name_zh)
    assert "浦东营业部" in theirs and world.manager_b1.name in theirs
    assert world.company_b.credit_code not in theirs
    assert "93.25" not in theirs and "tier-platinum" not in theirs


def test_list_names_the_office_in_the_visitors_language_and_unassigned_companies(
    client, world, login, db_session
):
    factories.company(db_session, world.office_b, None, name_zh="无主贸易有限公司")
    login(world.admin)
    html = _names(client.get("/companies/"))
    assert "未分配" in _list_row(html, "无主贸易有限公司")
    client.get("/lang/en")
    html = _names(client.get("/companies/"))
    row = _list_row(html, "无主贸易有限公司")
    assert world.office_b.name_en in row and "Unassigned" in row
    assert "4 in all" in html


@pytest.mark.parametrize(
    ("who", "query", "total"),
    [
        ("admin", "", 3),
        ("admin", "q=浦江", 1),
        ("admin", "status=active", 3),
        ("admin", "status=closed", 0),
        ("head_a", "", 2),
        ("head_b", "q=星河", 0),
        ("manager_b1", "q=京&all=1", 2),
        ("manager_b1", "q=京", 0),  # the list opens on the manager's own portfolio
        ("manager_a1", "q=京", 2),
    ],
)
def test_list_total_counts_what_the_search_lists(client, world, login, who, query, total):
    login(getattr(world, who))
    html = _names(client.get("/companies/?" + query))
    listed = html.count('<td><a href="/companies/')
    assert listed == total
    if total:
        assert f"共 {total} 条" in html
    else:
        assert "没有" in html or "No company" in html


@pytest.mark.parametrize(
    ("who", "listed"),
    [
        ("admin", ("company_a", "company_a2", "company_b")),
        ("management", ("company_a", "company_a2", "company_b")),
        ("head_a", ("company_a", "company_a2")),
        ("head_b", ("company_b",)),
    ],
)
def test_list_shows_in_full_what_the_role_sees_in_full(client, world, login, who, listed):
    """Admins and management see every company in full, a branch head its branch's: the list's
    `full` column comes from the same access condition as the dossier."""
    login(getattr(world, who))
    html = _names(client.get("/companies/"))
    for attr in listed:
        company = getattr(world, attr)
        assert company.credit_code in _list_row(html, company.name_zh)
