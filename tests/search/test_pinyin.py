"""Companies found and sorted the way Chinese users do: pinyin keys of the Chinese name (full or
initials) kept with the name by every writer, matched by the company list and the search page,
lists sorted by pinyin; an account manager's list opens on their own portfolio."""

import pytest
from flask_babel import force_locale
from sqlalchemy import select

from portal.companies import merge
from portal.companies.models import Company
from portal.companies.pinyin import name_keys, pinyin_query
from portal.companies.queries import company_count, company_list
from portal.imports.tasks import run_import
from portal.search import queries as search
from tests import factories
from tests.imports.files import COMPANY_HEADER, csv_bytes

FENGXING = "北京丰星科技有限公司"


def test_name_keys_are_full_pinyin_and_initials():
    assert name_keys(FENGXING) == {
        "name_pinyin": "beijingfengxingkejiyouxiangongsi",
        "name_initials": "bjfxkjyxgs",
    }
    # Phrases read as phrases (重庆 is chongqing); Latin letters and digits stay, punctuation goes.
    assert name_keys("重庆ABC（集团）3号")["name_pinyin"] == "chongqingabcjituan3hao"
    assert name_keys("重庆ABC（集团）3号")["name_initials"] == "cqabcjt3h"
    assert name_keys(None) == {"name_pinyin": "", "name_initials": ""}


@pytest.mark.parametrize(
    ("q", "expected"),
    [("bjfx", "bjfx"), ("Bei Jing", "beijing"), ("北京", None), ("91110", None), ("b%", None), ("", None)],
)
def test_only_latin_letters_are_searched_as_pinyin(q, expected):
    assert pinyin_query(q) == expected


def test_every_orm_write_of_the_name_keeps_the_keys(db_session, world):
    company = factories.company(db_session, world.office_a, name_zh=FENGXING)
    assert (company.name_pinyin, company.name_initials) == ("beijingfengxingkejiyouxiangongsi", "bjfxkjyxgs")
    company.name_zh = "重庆长江物流有限公司"
    db_session.flush()
    stored = db_session.execute(
        select(Company.name_pinyin, Company.name_initials).where(Company.id == company.id)
    ).one()
    assert tuple(stored) == ("chongqingchangjiangwuliuyouxiangongsi", "cqcjwlyxgs")


def test_imported_companies_get_their_keys(app, db_session, world):
    db_session.commit()
    code = factories.make_credit_code(95_001)
    row = [FENGXING, "", code, "科技", "800", "北京", "", world.office_a.code, ""]
    with app.app_context(), force_locale("en"):
        outcome = run_import("companies", csv_bytes([COMPANY_HEADER, row]), "companies.csv")
    assert outcome.rows_imported == 1
    imported = db_session.scalar(select(Company).where(Company.credit_code == code))
    assert imported.name_initials == "bjfxkjyxgs"


def test_a_merged_away_company_is_found_under_its_new_name(app, db_session, world):
    db_session.commit()
    with app.app_context(), force_locale("en"):
        merge.merge_companies(world.company_a2, world.company_a)
    db_session.flush()
    absorbed = db_session.get(Company, world.company_a.id)
    assert absorbed.name_pinyin == name_keys(absorbed.name_zh)["name_pinyin"]
    assert absorbed.name_pinyin.endswith("beijingxinghehangtiankejiyouxiangongsi")


def _listed(session, user, **kw) -> list[str]:
    return [row.name_zh for row in session.execute(company_list(user, **kw))]


@pytest.mark.parametrize("q", ["bjfx", "BJFX", "fengxing", "bei jing feng", "fxkj"])
def test_company_list_finds_by_pinyin_or_initials(db_session, world, q):
    factories.company(db_session, world.office_a, world.manager_a1, name_zh=FENGXING)
    factories.company(db_session, world.office_a, world.manager_a1, name_zh="北京华夏物流有限公司")
    listed = _listed(db_session, world.admin, q=q)
    assert listed == [FENGXING]
    assert db_session.scalar(company_count(world.admin, q=q)) == 1


def test_company_list_sorts_by_pinyin_not_by_code_point(db_session, world):
    # By code point 北 (U+5317) < 安 (U+5B89) < 重 (U+91CD); by pinyin an < bei < chong.
    for name in ("重庆长江物流有限公司", "北京丰星科技有限公司", "安徽黄山旅游有限公司"):
        factories.company(db_session, world.office_b, world.manager_b1, name_zh=name)
    listed = _listed(db_session, world.head_b, sort="name")
    names = [n for n in listed if n != world.company_b.name_zh]
    assert names == ["安徽黄山旅游有限公司", "北京丰星科技有限公司", "重庆长江物流有限公司"]
    reverse = [n for n in _listed(db_session, world.head_b, sort="-name") if n != world.company_b.name_zh]
    assert reverse == names[::-1]


def test_the_portfolio_keeps_a_managers_own_companies(db_session, world):
    mine = _listed(db_session, world.manager_a1, portfolio=True)
    assert sorted(mine) == sorted([world.company_a.name_zh, world.company_a2.name_zh])
    assert db_session.scalar(company_count(world.manager_a1, portfolio=True)) == 2
    assert len(_listed(db_session, world.manager_a1)) == 3
    # Others have no portfolio of their own: the flag changes nothing for them.
    assert len(_listed(db_session, world.admin, portfolio=True)) == 3


def test_search_page_finds_companies_by_initials(app, db_session, world):
    factories.company(db_session, world.office_b, world.manager_b1, name_zh=FENGXING)
    db_session.flush()
    with app.test_request_context(), force_locale("en"):
        found = search.search(world.manager_a1, "bjfx")
        assert [row.Company.name_zh for row in found.companies] == [FENGXING]
        # Another manager's company is listed by name only.
        assert not found.companies[0].in_full
        assert search.search(world.manager_a1, "xhht").companies[0].Company.id == world.company_a.id


def test_a_managers_list_opens_on_the_portfolio_with_a_switch_to_all(client, world, login):
    login(world.manager_a1)
    mine = client.get("/companies/").get_data(as_text=True)
    assert 'data-testid="portfolio-switch"' in mine
    assert world.company_a.name_zh in mine and world.company_b.name_zh not in mine
    every = client.get("/companies/?all=1").get_data(as_text=True)
    assert world.company_b.name_zh in every
    # A search the portfolio cannot answer offers to search all companies.
    empty = client.get("/companies/?q=pujiang").get_data(as_text=True)
    assert 'data-testid="search-all"' in empty and "all=1" in empty
    found = client.get("/companies/?q=pujiang&all=1").get_data(as_text=True)
    assert world.company_b.name_zh in found


def test_staff_without_a_portfolio_see_no_switch(client, world, login):
    login(world.admin)
    html = client.get("/companies/").get_data(as_text=True)
    assert 'data-testid="portfolio-switch"' not in html
    assert world.company_b.name_zh in html
