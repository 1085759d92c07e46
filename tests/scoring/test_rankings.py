"""The ranking page and its exports, on SQLite and PostgreSQL: order, filters, sort, movement,
sparklines, access per role, bad arguments, CSV and XLSX content, constant query counts."""

import csv
import io
import re
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from portal.auth.models import User
from portal.org.models import SalesOffice
from portal.scoring import queries
from tests import factories
from tests.conftest import sign_in
from tests.scoring.scenes import D1, D2, D3, ranking_world, snapshot
from tests.test_query_counts import get_counted


def _ids(response) -> list[int]:
    """The company ids of the ranking table's rows, in order."""
    assert response.status_code == 200, response.get_data(as_text=True)[:500]
    return [int(m) for m in re.findall(r'<tr data-company-id="(\d+)"', response.get_data(as_text=True))]


@pytest.fixture()
def scene(db_session):
    return ranking_world(db_session)


def _order(w, *names):
    return [getattr(w, f"company_{n}").id for n in names]


# --- order, filters, sort -----------------------------------------------------------------


def test_admin_sees_every_company_in_rank_order(client, login, scene):
    login(scene.admin)
    assert _ids(client.get("/rankings/")) == _order(scene, "a", "b", "a2", "a3", "b2")


@pytest.mark.parametrize(
    "who, expected",
    [
        ("management", ("a", "b", "a2", "a3", "b2")),
        ("head_a", ("a", "a2", "a3")),
        ("head_b", ("b", "b2")),
        ("manager_a1", ("a", "a2")),
        ("manager_a2", ("a3",)),
        ("manager_b1", ("b", "b2")),
    ],
)
def test_each_role_sees_its_scope(client, login, scene, who, expected):
    login(getattr(scene, who))
    assert _ids(client.get("/rankings/")) == _order(scene, *expected)


@pytest.mark.parametrize(
    "args, expected",
    [
        ("tier=gold", ("b",)),
        ("status=sleeping", ("a2",)),
        ("status=active", ("a", "b", "b2")),
        ("industry=finance", ("b2",)),
        ("industry=logistics&status=lost", ("a3",)),
        ("q=物流", ("a3",)),
    ],
)
def test_filters(client, login, scene, args, expected):
    login(scene.admin)
    assert _ids(client.get(f"/rankings/?{args}")) == _order(scene, *expected)


def test_filters_by_branch_office_and_manager(client, login, scene):
    login(scene.admin)
    assert _ids(client.get(f"/rankings/?branch={scene.branch_a.id}")) == _order(scene, "a", "a2", "a3")
    assert _ids(client.get(f"/rankings/?office={scene.office_b.id}")) == _order(scene, "b", "b2")
    assert _ids(client.get(f"/rankings/?manager={scene.manager_a2.id}")) == _order(scene, "a3")


def test_branch_head_cannot_filter_outside_the_branch(client, login, scene):
    """Another branch's office is not a choice of the branch head: the filter is ignored."""
    login(scene.head_a)
    html = client.get("/rankings/").get_data(as_text=True)
    assert f'value="{scene.office_a.id}"' in html and f'value="{scene.office_b.id}"' not in html
    assert _ids(client.get(f"/rankings/?office={scene.office_b.id}")) == _order(scene, "a", "a2", "a3")


@pytest.mark.parametrize(
    "sort, expected",
    [
        ("rank", ("a", "b", "a2", "a3", "b2")),
        ("-rank", ("b2", "a3", "a2", "b", "a")),
        ("total", ("a", "b", "a2", "a3", "b2")),
        ("-total", ("b2", "a3", "a2", "b", "a")),
        ("premium", ("b", "a3", "a2", "b2", "a")),
        ("-premium", ("a", "b2", "a2", "a3", "b")),
        ("bogus", ("a", "b", "a2", "a3", "b2")),
    ],
)
def test_sort(client, login, scene, sort, expected):
    login(scene.admin)
    assert _ids(client.get(f"/rankings/?sort={sort}")) == _order(scene, *expected)


def test_sort_by_name(client, login, db_session, scene):
    for company, name in (
        (scene.company_a, "Gamma"),
        (scene.company_b, "Alpha"),
        (scene.company_a2, "Echo"),
        (scene.company_a3, "Delta"),
        (scene.company_b2, "Bravo"),
    ):
        company.name_zh = name
    db_session.flush()
    login(scene.admin)
    assert _ids(client.get("/rankings/?sort=name")) == _order(scene, "b", "b2", "a3", "a2", "a")


@pytest.mark.parametrize(
    "args",
    [
        "tier=diamond",
        "status=asleep",
        "industry=mining",
        "branch=abc",
        "office=-1",
        "manager=999999",
        "page=abc",
        "page=-1",
        "page=0",
        "page=99",
        "per_page=abc",
        "sort=-",
        "sort=name;drop",
        "q=" + "长" * 300,
    ],
)
def test_bad_arguments_never_fail(client, login, scene, args):
    login(scene.admin)
    response = client.get(f"/rankings/?{args}")
    assert response.status_code == 200
    for export in ("export.csv", "export.xlsx"):
        assert client.get(f"/rankings/{export}?{args}").status_code == 200


def test_unknown_filter_values_are_ignored(client, login, scene):
    login(scene.admin)
    everyone = _order(scene, "a", "b", "a2", "a3", "b2")
    assert _ids(client.get("/rankings/?tier=diamond&page=abc&branch=abc")) == everyone


def test_pagination(app, client, login, scene):
    login(scene.admin)
    app.config["PAGE_SIZE"] = 2
    try:
        assert _ids(client.get("/rankings/")) == _order(scene, "a", "b")
        assert _ids(client.get("/rankings/?page=3")) == _order(scene, "b2")
        html = client.get("/rankings/?page=2&tier=").get_data(as_text=True)
        assert "page=3" in html
    finally:
        app.config["PAGE_SIZE"] = 25


# --- movement and history -----------------------------------------------------------------


def test_movement_and_history(db_session, scene):
    companies = [scene.company_a, scene.company_b, scene.company_a2, scene.company_a3, scene.company_b2]
    rows = {r.company.id: r for r in queries.decorate(companies, queries.score_dates())}
    a, b, a2, a3, b2 = (rows[c.id] for c in companies)
    assert (a.previous_rank, a.movement, a.is_new) == (3, 2, False)
    assert (b.movement, a2.movement, a3.movement) == (-1, -1, 0)
    assert (b2.previous_rank, b2.movement, b2.is_new) == (None, None, True)
    assert a.history == [Decimal(70), Decimal(60), Decimal(90)]  # D1, D2, D3
    assert b2.history == [None, None, Decimal(20)]
    assert b2.sparkline == ""  # a single point draws no line
    # 80 px wide over three dates, 20 px high between the lowest (60) and highest (90) total.
    assert a.sparkline == "0.0,13.3 40.0,20.0 80.0,0.0"


def test_history_covers_at_most_twelve_dates(db_session, scene):
    from datetime import date

    for month in range(1, 13):  # twelve more dates in 2025, older than D1
        snapshot(db_session, scene.company_a, date(2025, month, 28), 1, month)
    db_session.flush()
    dates = queries.score_dates()
    assert len(dates) == queries.HISTORY_DATES and dates[:3] == [D3, D2, D1]
    row = queries.decorate([scene.company_a], dates)[0]
    assert len(row.history) == 12 and row.history[-3:] == [Decimal(70), Decimal(60), Decimal(90)]


def test_first_score_date_shows_no_movement(db_session, client, login):
    w = factories.small_world(db_session)
    snapshot(db_session, w.company_a, D3, 1, 50)
    db_session.flush()
    row = queries.decorate([w.company_a], queries.score_dates())[0]
    assert (row.movement, row.is_new, row.sparkline) == (None, False, "")
    login(w.admin)
    assert _ids(client.get("/rankings/")) == [w.company_a.id]


def test_page_shows_movement_sparkline_and_no_inline_style(client, login, scene):
    login(scene.admin)
    response = client.get("/rankings/")
    html = response.get_data(as_text=True)
    assert "▲2" in html and "▼1" in html
    assert re.search(r'<polyline points="0\.0,13\.3 40\.0,20\.0 80\.0,0\.0"', html)
    assert "style=" not in html and "<script>" not in html
    assert "script-src 'self'" in response.headers["Content-Security-Policy"]
    assert html.count("<polyline") == 4  # b2 has a single score: no line


# --- access ---------------------------------------------------------------------------------


def test_booker_gets_404_and_anonymous_is_sent_to_sign_in(client, scene):
    for url in ("/rankings/", "/rankings/export.csv", "/rankings/export.xlsx"):
        assert client.get(url).status_code == 302
    sign_in(client, scene.booker_a.email)
    for url in ("/rankings/", "/rankings/export.csv", "/rankings/export.xlsx"):
        assert client.get(url).status_code == 404


def test_manager_export_holds_only_the_own_portfolio(client, login, scene):
    login(scene.manager_a1)
    rows = _csv_rows(client.get("/rankings/export.csv"))
    assert [r[0] for r in rows[1:]] == ["1", "3"]
    names = {r[3] for r in rows[1:]}
    assert names == {scene.company_a.name_zh, scene.company_a2.name_zh}


# --- empty state ----------------------------------------------------------------------------


def test_empty_state_before_any_scoring(app, client, login, world):
    login(world.admin)
    html = client.get("/rankings/").get_data(as_text=True)
    assert "scores recompute" in html and 'data-testid="ranking-table"' not in html
    other = app.test_client()  # a second browser, signed in as a manager
    sign_in(other, world.manager_a1.email)
    html = other.get("/rankings/").get_data(as_text=True)
    assert "scores recompute" not in html and 'data-testid="ranking-table"' not in html


def test_no_match_shows_a_hint(client, login, scene):
    login(scene.admin)
    html = client.get("/rankings/?q=nothing-like-this").get_data(as_text=True)
    assert 'data-testid="ranking-table"' not in html and "empty-state" in html


# --- exports ----------------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    assert response.status_code == 200
    assert response.mimetype == "text/csv"
    assert "attachment" in response.headers["Content-Disposition"]
    raw = response.get_data()
    assert raw.startswith(b"\xef\xbb\xbf")  # the BOM Excel needs to read UTF-8
    return list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))


def test_csv_export_holds_every_filtered_row(app, client, login, scene):
    login(scene.admin)
    client.get("/lang/en")
    app.config["PAGE_SIZE"] = 2  # the export ignores paging
    try:
        rows = _csv_rows(client.get("/rankings/export.csv?status=active&sort=-rank&page=2"))
    finally:
        app.config["PAGE_SIZE"] = 25
    header, body = rows[0], rows[1:]
    assert header[:4] == ["Rank", "Previous rank", "Movement", "Company"]
    assert "Total score" in header and "Premium percentile" in header
    assert [r[0] for r in body] == ["5", "2", "1"]
    b2, b, a = body
    assert a[3] == scene.company_a.name_zh and a[2] == "2" and a[1] == "3"
    assert b[2] == "-1" and b2[2] == "new" and b2[1] == ""
    assert a[header.index("Tier")] == "Platinum"
    assert a[header.index("Total score")] == "90.00"
    assert a[header.index("Revenue, last 12 months (CNY)")] == "500000"
    assert a[header.index("Credit code")] == scene.company_a.credit_code


def test_csv_export_neutralises_formulas(client, login, db_session, scene):
    scene.company_a.name_zh = "=HYPERLINK(1)"
    db_session.flush()
    login(scene.admin)
    rows = _csv_rows(client.get("/rankings/export.csv?tier=platinum"))
    assert rows[1][3] == "'=HYPERLINK(1)"


def test_xlsx_export(client, login, db_session, scene):
    scene.company_b.name_zh = "=1+1"
    db_session.flush()
    login(scene.admin)
    client.get("/lang/en")
    response = client.get(f"/rankings/export.xlsx?branch={scene.branch_b.id}")
    assert response.status_code == 200
    assert response.mimetype == "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
    sheet = load_workbook(io.BytesIO(response.get_data())).active
    rows = list(sheet.iter_rows(values_only=True))
    header = rows[0]
    assert header[:4] == ("Rank", "Previous rank", "Movement", "Company")
    assert [r[0] for r in rows[1:]] == [2, 5]
    b, b2 = rows[1], rows[2]
    assert b[3] == "=1+1"  # text, not a formula
    assert sheet.cell(row=2, column=4).data_type == "s"
    assert b[2] == -1 and b2[2] == "new"
    assert b[header.index("Total score")] == 80
    assert b[header.index("Revenue, last 12 months (CNY)")] == 300000
    assert b2[header.index("Industry")] == "Finance"


def test_export_with_no_scores_is_a_header_only_file(client, login, world):
    login(world.admin)
    rows = _csv_rows(client.get("/rankings/export.csv"))
    assert len(rows) == 1 and len(rows[0]) == 22


# --- query counts ---------------------------------------------------------------------------


def _add_ranked(session, office, manager, n: int, start: int) -> None:
    """n companies scored on D1..D3, each with its own manager, ranks from `start`."""
    for i in range(n):
        own = factories.user(session, "account_manager", office) if manager is None else manager
        company = factories.company(session, office, own)
        for day in (D1, D2, D3):
            snapshot(session, company, day, start + i + (day == D2), 50 + i % 40, tier="gold")


@pytest.mark.parametrize("role", ["admin", "branch_head", "account_manager"])
def test_query_count_does_not_grow_with_rows(app, db_session, client, role):
    branch = factories.branch(db_session)
    office = factories.office(db_session, branch)
    user = factories.user(db_session, role, office)
    manager = user if role == "account_manager" else None
    email, office_id, user_id = user.email, office.id, user.id
    _add_ranked(db_session, office, manager, 5, 1)
    db_session.commit()
    db_session.expunge_all()
    with app.app_context():
        assert sign_in(client, email).status_code == 302
    small = get_counted(app, client, "/rankings/")
    small_export = get_counted(app, client, "/rankings/export.csv")
    assert len(_ids_of(client, app)) == 5

    office = db_session.get(SalesOffice, office_id)
    manager = db_session.get(User, user_id) if role == "account_manager" else None
    _add_ranked(db_session, office, manager, 25, 6)
    db_session.commit()
    db_session.expunge_all()
    large = get_counted(app, client, "/rankings/")
    large_export = get_counted(app, client, "/rankings/export.csv")
    assert len(_ids_of(client, app)) == 25  # a full page
    assert len(small) == len(large), "\n---\n".join(large)
    assert len(small_export) == len(large_export), "\n---\n".join(large_export)
    assert len(large) <= 10


def _ids_of(client, app) -> list[int]:
    with app.app_context():
        return _ids(client.get("/rankings/"))
