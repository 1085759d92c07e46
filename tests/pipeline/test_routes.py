"""Pipeline pages through the client: board, list and filters, export, stale, forms with bad
input, stage moves, the won agreement's links, prospects, the dossier timeline."""

import csv
import io
from datetime import date, timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import func, select

from portal.db import utcnow
from portal.pipeline.models import Opportunity, OpportunityStageChange
from tests import factories
from tests.conftest import sign_in


def fresh(app, user):
    """Another browser, signed in as `user` (the test client keeps one session)."""
    other = app.test_client()
    assert sign_in(other, user.email).status_code == 302
    other.get("/lang/en")
    return other


def token(client, url="/account/password"):
    return factories.csrf_from(client.get(url))


def count(db_session, model=Opportunity):
    return db_session.scalar(select(func.count()).select_from(model))


def test_board_shows_the_users_cards_with_a_stage_form(client, login, world):
    login(world.manager_a1)
    client.get("/lang/en")
    html = client.get("/pipeline/").get_data(as_text=True)
    assert f'id="opportunity-{world.opportunity_a.id}"' in html
    assert 'data-testid="stage-form"' in html
    assert 'src="/static/js/pipeline.js"' in html
    assert "<script>" not in html


@pytest.mark.parametrize("who", ["manager_a2", "head_b", "manager_b1"])
def test_others_do_not_see_the_card_and_are_refused_its_page(client, login, world, who):
    login(getattr(world, who))
    html = client.get("/pipeline/").get_data(as_text=True)
    assert f'id="opportunity-{world.opportunity_a.id}"' not in html
    assert client.get(f"/pipeline/{world.opportunity_a.id}").status_code == 403
    assert client.get("/pipeline/list").get_data(as_text=True).count(world.opportunity_a.title) == 0


def test_management_reads_but_does_not_move(client, login, world):
    login(world.management)
    page = client.get(f"/pipeline/{world.opportunity_a.id}")
    assert page.status_code == 200
    assert 'data-testid="detail-stage-form"' not in page.get_data(as_text=True)
    response = client.post(
        f"/pipeline/{world.opportunity_a.id}/stage",
        data={"csrf_token": token(client), "stage": "qualified"},
    )
    assert response.status_code == 403


def test_booker_gets_404_everywhere(client, login, world):
    login(world.booker_a)
    for url in ("/pipeline/", "/pipeline/list", f"/pipeline/{world.opportunity_a.id}", "/pipeline/prospects"):
        assert client.get(url).status_code == 404, url


def test_create_through_the_form(client, login, world, db_session):
    login(world.manager_a1)
    url = f"/pipeline/new?company_id={world.company_a2.id}"
    form = client.get(url)
    assert form.status_code == 200
    response = client.post(
        url,
        data={
            "csrf_token": factories.csrf_from(form),
            "title": "能源集团年度协议",
            "kind": "new_account",
            "expected_revenue": "1234567.89",
            "probability": "",
            "close_date": "2026-12-31",
            "owner_id": world.manager_a1.id,
            "next_step": "发送报价",
            "next_step_on": "2026-07-01",
        },
    )
    assert response.status_code == 302
    o = db_session.scalars(select(Opportunity).where(Opportunity.title == "能源集团年度协议")).one()
    assert (o.expected_revenue_fen, o.probability, o.stage) == (123456789, 10, "lead")
    assert o.next_step_on == date(2026, 7, 1)
    assert len(o.stage_changes) == 1


@pytest.mark.parametrize(
    "change, message",
    [
        ({"title": ""}, "This field is required."),
        ({"expected_revenue": "abc"}, "Not a valid decimal value."),
        ({"expected_revenue": "-5"}, "Number must be between 0 and"),
        ({"expected_revenue": "1.234"}, "Use at most two decimals."),
        ({"expected_revenue": "NaN"}, "Enter a number."),
        ({"probability": "150"}, "Between 0 and 100."),
        ({"probability": "ten"}, "Not a valid integer value."),
        ({"close_date": "2026-02-30"}, "Not a valid date value."),
        ({"kind": "merger"}, "Not a valid choice."),
        ({"owner_id": "x"}, "Invalid Choice"),
        ({"owner_id": "999999"}, "Choose an owner from the list."),
        ({"next_step": "", "next_step_on": "2026-07-01"}, "Say what the next step is."),
    ],
)
def test_bad_input_on_the_new_form(client, login, world, db_session, change, message):
    login(world.manager_a1)
    client.get("/lang/en")
    url = f"/pipeline/new?company_id={world.company_a2.id}"
    before = count(db_session)
    data = {
        "csrf_token": token(client, url),
        "title": "T",
        "kind": "upsell",
        "expected_revenue": "100",
        "close_date": "",
        "owner_id": world.manager_a1.id,
    }
    data.update(change)
    response = client.post(url, data=data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    assert count(db_session) == before


def edit(client, opportunity, **fields):
    """Post the opportunity's edit form with these fields (and a CSRF token from its page)."""
    url = f"/pipeline/{opportunity.id}/edit"
    return client.post(url, data={"csrf_token": token(client, url), **fields})


def test_manager_cannot_smuggle_another_owner_on_edit(client, login, world, db_session):
    login(world.manager_a1)
    client.get("/lang/en")
    response = edit(
        client,
        world.opportunity_a,
        title="改名",
        kind="upsell",
        expected_revenue="100",
        owner_id=world.manager_a2.id,
    )
    assert response.status_code == 200
    assert "Choose an owner from the list." in response.get_data(as_text=True)
    db_session.refresh(world.opportunity_a)
    assert world.opportunity_a.owner_id == world.manager_a1.id


def test_edit_saves(client, login, world, db_session):
    login(world.manager_a1)
    response = edit(
        client,
        world.opportunity_a,
        title="扩容",
        kind="renewal",
        expected_revenue="250000",
        probability="33",
        owner_id=world.manager_a1.id,
    )
    assert response.status_code == 302
    db_session.refresh(world.opportunity_a)
    assert (world.opportunity_a.title, world.opportunity_a.probability) == ("扩容", 33)
    assert world.opportunity_a.expected_revenue_fen == 250000_00


def move(client, opportunity_id, **data):
    data.setdefault("csrf_token", token(client))
    return client.post(f"/pipeline/{opportunity_id}/stage", data=data)


def test_board_move_returns_to_the_board(client, login, world, db_session):
    login(world.manager_a1)
    response = move(client, world.opportunity_a.id, stage="qualified", back="board")
    assert response.status_code == 302
    assert response.headers["Location"].endswith(f"/pipeline/#opportunity-{world.opportunity_a.id}")
    db_session.refresh(world.opportunity_a)
    assert (world.opportunity_a.stage, world.opportunity_a.probability) == ("qualified", 25)


@pytest.mark.parametrize(
    "data, message",
    [
        ({"stage": "lost"}, "Choose why the opportunity was lost."),
        ({"stage": "lost", "lost_reason": "bored"}, "Not a valid choice."),
        ({"stage": "signed"}, "Not a valid choice."),
        ({}, "Not a valid choice."),
        ({"stage": "lead"}, "already at Lead"),
    ],
)
def test_bad_stage_moves_show_the_error(client, login, world, db_session, data, message):
    login(world.manager_a1)
    client.get("/lang/en")
    before = count(db_session, OpportunityStageChange)
    response = move(client, world.opportunity_a.id, **data)
    assert response.status_code == 200
    assert message in response.get_data(as_text=True)
    db_session.refresh(world.opportunity_a)
    assert world.opportunity_a.stage == "lead"
    assert count(db_session, OpportunityStageChange) == before


def test_closed_opportunity_does_not_move(client, login, world, db_session):
    login(world.manager_a1)
    client.get("/lang/en")
    assert move(client, world.opportunity_a.id, stage="lost", lost_reason="price").status_code == 302
    response = move(client, world.opportunity_a.id, stage="qualified")
    assert response.status_code == 200
    assert "a closed opportunity does not move again" in response.get_data(as_text=True)
    assert client.get(f"/pipeline/{world.opportunity_a.id}/edit").status_code == 302


def test_won_links_the_agreement_both_ways_and_shows_on_the_timeline(client, login, world, db_session):
    login(world.manager_a1)
    client.get("/lang/en")
    response = move(client, world.opportunity_a.id, stage="won")
    assert response.status_code == 302
    db_session.refresh(world.opportunity_a)
    agreement = world.opportunity_a.agreement
    assert agreement.renewed_from_id == world.agreement_a.id and agreement.status == "draft"
    detail = client.get(f"/pipeline/{world.opportunity_a.id}").get_data(as_text=True)
    assert agreement.number in detail
    agreement_page = client.get(f"/agreements/{agreement.id}").get_data(as_text=True)
    assert world.opportunity_a.title in agreement_page
    timeline = client.get(f"/companies/{world.company_a.id}/timeline?type=opportunity").get_data(as_text=True)
    assert "Lead → Won" in timeline


def test_list_filters_and_bad_filters(client, login, world, db_session):
    other = factories.opportunity(
        db_session,
        world.company_a,
        world.manager_a1,
        title="已丢单",
        stage="lost",
        close_date=date(2026, 9, 3),
    )
    login(world.head_a)
    listing = client.get("/pipeline/list?stage=lead").get_data(as_text=True)
    assert world.opportunity_a.title in listing and other.title not in listing
    listing = client.get("/pipeline/list?month=2026-09").get_data(as_text=True)
    assert other.title in listing and world.opportunity_a.title not in listing
    for bad in (
        "owner=abc",
        "month=2026-13",
        "stage=<script>",
        "kind=x",
        "office=-1",
        "page=0",
        "branch=99999999999",
    ):
        assert client.get(f"/pipeline/list?{bad}").status_code == 200, bad


def test_export_csv_and_xlsx(client, login, world):
    login(world.manager_a1)
    client.get("/lang/en")
    response = client.get("/pipeline/export.csv?stage=lead")
    assert response.status_code == 200
    assert response.headers["Content-Disposition"].startswith('attachment; filename="pipeline-')
    text = response.get_data().decode("utf-8-sig")
    rows = list(csv.reader(io.StringIO(text)))
    assert rows[0][:6] == [
        "Title",
        "Company",
        "Kind",
        "Stage",
        "Reason for the loss",
        "Expected annual revenue (CNY)",
    ]
    assert rows[1][:4] == [world.opportunity_a.title, world.company_a.name_zh, "Upsell", "Lead"]
    assert rows[1][5:8] == ["1000000", "10", "100000"]
    assert len(rows) == 2
    book = load_workbook(io.BytesIO(client.get("/pipeline/export.xlsx").get_data()))
    sheet = book.active
    values = [[c.value for c in row] for row in sheet.iter_rows()]
    assert values[0][0] == "Title"
    assert values[1][0] == world.opportunity_a.title and values[1][5] == 1000000


def test_export_neutralises_formulas(client, login, world, db_session):
    factories.opportunity(db_session, world.company_a, world.manager_a1, title="=HYPERLINK(1)")
    login(world.manager_a1)
    text = client.get("/pipeline/export.csv").get_data().decode("utf-8-sig")
    assert "'=HYPERLINK(1)" in text


def test_stale_page_and_highlight(app, client, login, world, db_session):
    world.opportunity_a.updated_at = utcnow() - timedelta(days=31)
    db_session.flush()
    login(world.manager_a1)
    client.get("/lang/en")
    assert world.opportunity_a.title in client.get("/pipeline/stale").get_data(as_text=True)
    assert 'data-testid="stale-badge"' in client.get("/pipeline/").get_data(as_text=True)
    head_a = fresh(app, world.head_a)
    assert world.opportunity_a.title in head_a.get("/pipeline/stale").get_data(as_text=True)
    head_b = fresh(app, world.head_b)
    assert world.opportunity_a.title not in head_b.get("/pipeline/stale").get_data(as_text=True)


def test_prospects_rank_unsigned_companies_and_list_travellers_to_enrol(
    app, client, login, world, db_session
):
    today = date.today()
    for n in range(3):
        factories.segment(db_session, world.company_a2, today - timedelta(days=10 + n), 2_000_00)
    factories.segment(db_session, world.company_a2, today - timedelta(days=400), 99_000_00)  # too old
    flyer = factories.traveller(db_session, world.company_a, name="常旅客甲", ff_number=None)
    enrolled = factories.traveller(db_session, world.company_a, name="常旅客乙")
    for n in range(12):
        factories.segment(
            db_session, world.company_a, today - timedelta(days=n + 1), 1_000_00, traveller_id=flyer.id
        )
        factories.segment(
            db_session, world.company_a, today - timedelta(days=n + 1), 1_000_00, traveller_id=enrolled.id
        )
    db_session.flush()
    login(world.manager_a1)
    html = client.get("/pipeline/prospects").get_data(as_text=True)
    assert world.company_a2.name_zh in html and "6,000" in html
    assert f"/pipeline/new?company_id={world.company_a2.id}" in html
    assert "常旅客甲" in html and "常旅客乙" not in html
    assert "常旅客甲" not in client.get("/pipeline/prospects?min=13").get_data(as_text=True)
    assert client.get("/pipeline/prospects?min=abc").status_code == 200
    # Another branch's head sees neither.
    html = fresh(app, world.head_b).get("/pipeline/prospects").get_data(as_text=True)
    assert world.company_a2.name_zh not in html and "常旅客甲" not in html


def test_new_for_a_company_out_of_scope(client, login, world):
    login(world.manager_a1)
    assert client.get(f"/pipeline/new?company_id={world.company_b.id}").status_code == 403
    assert client.get("/pipeline/new?company_id=999999").status_code == 404
    assert client.get("/pipeline/new?company_id=abc").status_code == 302


def test_dossier_links_to_a_new_opportunity_for_those_who_may_change(app, client, login, world):
    login(world.manager_a1)
    link = f"/pipeline/new?company_id={world.company_a.id}"
    assert link in client.get(f"/companies/{world.company_a.id}").get_data(as_text=True)
    management = fresh(app, world.management)
    assert link not in management.get(f"/companies/{world.company_a.id}").get_data(as_text=True)
