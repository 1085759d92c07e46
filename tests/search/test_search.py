"""Search on SQLite and PostgreSQL: two-character Chinese substrings in company, contact and
traveller names and interaction summaries, credit codes, FTS syntax characters, too-short
queries, the index following changes, and no leak of other portfolios to a manager."""

import pytest
from flask_babel import force_locale

from portal.search import queries
from tests import factories


@pytest.fixture()
def as_user(app, db_session):
    """search(user, q) inside a request context."""

    def run(user, q):
        with app.test_request_context(), force_locale("en"):
            return queries.search(user, q)

    return run


@pytest.fixture()
def people(db_session, world):
    factories.contact(db_session, world.company_a, name="欧阳修远")
    factories.traveller(db_session, world.company_a, name="司马光明", name_en="SIMA Guangming")
    factories.interaction(
        db_session,
        world.company_a,
        kind="visit",
        author_id=world.manager_a1.id,
        summary="讨论了年度框架协议续签",
    )
    factories.contact(db_session, world.company_b, name="欧阳锋")
    factories.traveller(db_session, world.company_b, name="司马懿")
    factories.interaction(
        db_session, world.company_b, kind="call", author_id=world.manager_b1.id, summary="框架协议价格保密"
    )
    db_session.flush()
    return world


def names(rows) -> list[str]:
    out = []
    for row in rows:
        obj = row[0]
        out.append(getattr(obj, "name_zh", None) or getattr(obj, "name", None) or obj.summary)
    return sorted(out)


def test_two_character_chinese_substrings(as_user, people):
    w = people
    r = as_user(w.admin, "星河")
    assert names(r.companies) == ["北京星河航天科技有限公司"]
    assert names(as_user(w.admin, "欧阳").contacts) == ["欧阳修远", "欧阳锋"]
    assert names(as_user(w.admin, "司马").travellers) == ["司马光明", "司马懿"]
    assert len(as_user(w.admin, "框架").interactions) == 2
    assert len(as_user(w.admin, "框架协议续").interactions) == 1  # three or more: the FTS phrase


def test_credit_code_and_latin_names(as_user, people):
    w = people
    r = as_user(w.admin, w.company_b.credit_code)
    assert [c.id for c, _ in r.companies] == [w.company_b.id]
    others = (w.company_a.credit_code, w.company_a2.credit_code)
    code = w.company_b.credit_code
    part = next(code[i : i + 6] for i in range(13) if not any(code[i : i + 6] in o for o in others))
    assert names(as_user(w.admin, part.lower()).companies) == [w.company_b.name_zh]
    assert names(as_user(w.admin, "sima").travellers) == ["司马光明"]


def test_manager_sees_other_companies_by_name_only(as_user, people):
    w = people
    r = as_user(w.manager_a1, "欧阳")
    assert names(r.contacts) == ["欧阳修远"]
    assert names(as_user(w.manager_a1, "司马").travellers) == ["司马光明"]
    assert [i.summary for i, _ in as_user(w.manager_a1, "框架").interactions] == ["讨论了年度框架协议续签"]
    companies = as_user(w.manager_a1, "上海浦江").companies
    assert [(c.id, bool(in_full)) for c, in_full in companies] == [(w.company_b.id, False)]
    own = as_user(w.manager_a1, "星河").companies
    assert [(c.id, bool(in_full)) for c, in_full in own] == [(w.company_a.id, True)]


def test_branch_head_sees_only_its_branch(as_user, people):
    w = people
    assert names(as_user(w.head_a, "欧阳").contacts) == ["欧阳修远"]
    assert as_user(w.head_a, "上海浦江").companies == []


@pytest.mark.parametrize(
    "q", ['"', '""', "'", "欧阳 OR 司马", "NEAR(a b)", "*", "星河*", "a:b", "^星", "%%", "_\\", "(", ")AND("]
)
def test_fts_syntax_characters_are_literal(as_user, people, q):
    r = as_user(people.admin, q)
    assert r.total == 0


def test_percent_and_underscore_are_not_wildcards(as_user, people):
    assert as_user(people.admin, "%%").total == 0
    assert as_user(people.admin, "__").total == 0


def test_too_short_and_empty(as_user, people):
    assert as_user(people.admin, "星").total == 0
    assert as_user(people.admin, "   ").total == 0


def test_index_follows_changes(as_user, people, db_session):
    w = people
    contact = factories.contact(db_session, w.company_a, name="诸葛亮")
    db_session.flush()
    assert names(as_user(w.admin, "诸葛").contacts) == ["诸葛亮"]
    contact.name = "孔明先生"
    db_session.flush()
    assert as_user(w.admin, "诸葛").contacts == []
    assert names(as_user(w.admin, "孔明").contacts) == ["孔明先生"]
    contact.deleted_at = contact.created_at
    db_session.flush()
    assert as_user(w.admin, "孔明").contacts == []
    w.company_a.name_zh = "北京银河新材料有限公司"
    db_session.flush()
    assert as_user(w.admin, "星河").companies == []
    assert names(as_user(w.admin, "银河").companies) == ["北京银河新材料有限公司"]


def test_page(client, login, people):
    w = people
    login(w.manager_a1)
    client.get("/lang/en")
    page = client.get("/search/?q=欧阳").get_data(as_text=True)
    assert "欧阳修远" in page and "欧阳锋" not in page
    assert f"/companies/{w.company_a.id}#contacts" in page
    page = client.get("/search/?q=上海浦江").get_data(as_text=True)
    assert "another manager&#39;s account" in page or "another manager's account" in page
    assert w.company_b.credit_code not in page
    short = client.get("/search/?q=星")
    assert short.status_code == 200 and "at least two characters" in short.get_data(as_text=True)
    for q in ('"', "%00", "a" * 5000, "<script>alert(1)</script>", "星河%22%20OR%20%22"):
        response = client.get(f"/search/?q={q}")
        assert response.status_code == 200, q
        assert "<script>alert(1)</script>" not in response.get_data(as_text=True)
    assert 'data-testid="nav-search"' in client.get(f"/companies/{w.company_a.id}").get_data(as_text=True)


def test_booker_gets_404(client, login, people):
    login(people.booker_a)
    assert client.get("/search/?q=欧阳").status_code == 404


def test_query_count_is_constant(app, client, login, people, db_session):
    from tests.test_query_counts import counting_statements

    login(people.admin)

    def count() -> int:
        db_session.expire_all()
        with app.app_context(), counting_statements() as statements:
            assert client.get("/search/?q=欧阳").status_code == 200
        return len(statements)

    small = count()
    for i in range(30):
        factories.contact(db_session, people.company_b, name=f"欧阳{i}")
        factories.traveller(db_session, people.company_a2, name=f"欧阳旅客{i}")
    db_session.flush()
    assert count() == small
