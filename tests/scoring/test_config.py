"""Scoring configuration: validation, versions, preview, rescoring, access; SQLite and PostgreSQL."""

import re
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from portal.errors import ValidationFailed
from portal.scoring import config as scoring_config
from portal.scoring.engine import Rules, compute
from portal.scoring.models import ScoreSnapshot, ScoringConfig
from portal.scoring.operations import recompute
from tests import factories

AS_OF = date(2026, 6, 30)
N = 20
REVENUE_ONLY = {
    "weight_revenue": "1",
    "weight_frequency": "0",
    "weight_premium": "0",
    "weight_growth": "0",
    "weight_recency": "0",
    "weight_attainment": "0",
}


def _scene(session):
    """20 companies: revenue rises with the index while frequency, premium share and recency
    fall, so the default weights (frequency, premium and recency together outweigh revenue)
    and revenue-only weights rank them in opposite orders. Scored on AS_OF with the defaults."""
    w = factories.small_world(session)
    companies = [w.company_a, w.company_a2, w.company_b]
    companies += [factories.company(session, w.office_a, w.manager_a1) for _ in range(N - 3)]
    for i, company in enumerate(companies):
        factories.segment(session, company, AS_OF - timedelta(days=200), (i + 1) * 100_000_00)
        for j in range(N - i):  # small business-cabin trips, the last one i + 1 days ago
            factories.segment(session, company, AS_OF - timedelta(days=i + 1 + j), 10_00, cabin="C")
    session.flush()
    recompute(AS_OF, Rules.defaults())
    return w, companies


def _values(**changes) -> dict:
    values = {k: str(v) for k, v in scoring_config.rule_values(Rules.defaults()).items()}
    values["note"] = ""
    values.update(changes)
    return values


def _post(client, action="preview", **changes):
    token = factories.csrf_from(client.get("/scoring/config"))
    return client.post("/scoring/config", data={"csrf_token": token, "action": action, **_values(**changes)})


def _invalid_fields(html: str) -> set[str]:
    return set(re.findall(r'class="form-control is-invalid" id="([a-z_]+)"', html))


def _versions(session) -> int:
    return session.scalar(select(func.count()).select_from(ScoringConfig))


def _ranks(session) -> dict[int, tuple[int, str]]:
    rows = session.execute(
        select(ScoreSnapshot.company_id, ScoreSnapshot.rank, ScoreSnapshot.tier).where(
            ScoreSnapshot.score_date == AS_OF
        )
    )
    return {company_id: (rank, tier) for company_id, rank, tier in rows}


# --- the service -------------------------------------------------------------------------


def test_save_config_keeps_every_version_with_author(db_session):
    w = factories.small_world(db_session)
    first = scoring_config.save_config(w.management, _values(weight_revenue="40", note="More revenue"))
    second = scoring_config.save_config(w.admin, _values(weight_revenue="50", note="Even more"))
    assert second.id > first.id
    assert (first.weight_revenue, first.author_id, first.note) == (40, w.management.id, "More revenue")
    assert (second.weight_revenue, second.author_id) == (50, w.admin.id)
    assert first.created_at is not None and second.created_at >= first.created_at
    db_session.refresh(first)
    assert first.weight_revenue == 40  # never updated
    assert scoring_config.latest_config().id == second.id
    listed = scoring_config.history()
    assert [entry["config"].id for entry in listed] == [second.id, first.id]
    assert listed[0]["author"] == w.admin.name


@pytest.mark.parametrize(
    ("changes", "field", "message"),
    [
        ({"weight_growth": "-5"}, "weight_growth", "cannot be negative"),
        ({"weight_revenue": "abc"}, "weight_revenue", "whole number"),
        ({"weight_revenue": "2.5"}, "weight_revenue", "whole number"),
        ({k: "0" for k in REVENUE_ONLY}, None, "At least one weight"),
        ({"share_platinum": "50", "share_gold": "40", "share_silver": "30"}, None, "120 %"),
        ({"share_gold": "-1"}, "share_gold", "cannot be negative"),
        ({"share_gold": "x"}, "share_gold", "Enter a number"),
        ({"share_gold": "NaN"}, "share_gold", "Enter a number"),
        ({"share_gold": "12.345"}, "share_gold", "two decimal places"),
        ({"active_days": "0"}, "active_days", "At least 1 day"),
        ({"active_days": "90", "lost_days": "90"}, "lost_days", "more than the active limit"),
        ({"active_days": "120", "lost_days": "100"}, "lost_days", "more than the active limit"),
        ({"note": "   "}, "note", "Say why"),
    ],
)
def test_save_config_refuses_bad_values(db_session, changes, field, message):
    w = factories.small_world(db_session)
    values = _values(note="A reason")
    values.update(changes)
    with pytest.raises(ValidationFailed) as failure:
        scoring_config.save_config(w.management, values)
    assert any(message in m for m in failure.value.reasons.get(field, [])), failure.value.reasons
    assert _versions(db_session) == 0


def test_saving_the_rules_in_use_again_is_refused(db_session):
    w = factories.small_world(db_session)
    scoring_config.save_config(w.management, _values(weight_revenue="40", note="First"))
    with pytest.raises(ValidationFailed) as failure:
        scoring_config.save_config(w.management, _values(weight_revenue="40", note="Again"))
    assert "in use already" in failure.value.reasons[None][0]
    assert _versions(db_session) == 1


def test_recompute_uses_the_newest_config(db_session):
    """All weights but revenue at zero: the ranking follows revenue, and each snapshot names
    the version it was computed with."""
    w, companies = _scene(db_session)
    assert _ranks(db_session)[companies[0].id][0] == 1  # the defaults favour the frequent flyer
    scoring_config.save_config(w.management, _values(weight_revenue="30", note="Older"))
    newest = scoring_config.save_config(w.management, _values(**REVENUE_ONLY, note="Revenue only"))
    recompute(AS_OF)
    ranks = _ranks(db_session)
    assert [ranks[c.id][0] for c in reversed(companies)] == list(range(1, N + 1))
    assert set(db_session.scalars(select(ScoreSnapshot.config_id))) == {newest.id}


def test_preview_counts_tier_moves_and_writes_nothing(db_session):
    w, companies = _scene(db_session)
    before = _ranks(db_session)
    proposed = scoring_config.proposed_rules(_values(**REVENUE_ONLY))
    result = scoring_config.preview(proposed)

    now = {s.company_id: s.tier for s in compute(AS_OF, Rules.defaults())}
    after = {s.company_id: s.tier for s in compute(AS_OF, proposed)}
    moved = sum(now[c] != after[c] for c in now)
    assert result.as_of == AS_OF and result.scored == N
    assert result.moved == moved > 0
    assert sum(map(sum, result.matrix)) == N
    assert sum(result.matrix[i][j] for i in range(4) for j in range(4) if i != j) == moved
    assert result.tiers_proposed == {"platinum": 1, "gold": 3, "silver": 6, "standard": 10}
    top = result.movers[0]
    assert top["company_id"] == companies[-1].id and top["rank_proposed"] == 1
    assert top["tier_proposed"] == "platinum" and top["tier_now"] == "standard"
    assert top["name"] == companies[-1].name_zh
    assert [m["rank_proposed"] for m in result.movers] == sorted(m["rank_proposed"] for m in result.movers)
    assert {c["field"] for c in result.changes} == {f"weight_{n}" for n in Rules.defaults().weights}
    assert _ranks(db_session) == before
    assert _versions(db_session) == 0


# --- the page ----------------------------------------------------------------------------


def test_page_shows_the_rules_in_use_and_the_defaults(client, db_session, login):
    w = factories.small_world(db_session)
    login(w.management)
    page = client.get("/scoring/config")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'name="weight_revenue"' in html and 'value="30"' in html
    assert 'data-testid="defaults-row"' in html
    assert 'href="/scoring/config"' in html  # the navigation entry
    assert 'style="' not in html  # the Content-Security-Policy forbids inline styles


@pytest.mark.parametrize(
    ("changes", "invalid", "message"),
    [
        ({"weight_growth": "-5"}, {"weight_growth"}, "A weight cannot be negative."),
        ({k: "0" for k in REVENUE_ONLY}, set(), "At least one weight must be more than zero."),
        ({"share_platinum": "50", "share_gold": "40", "share_silver": "30"}, set(), "add up to 120 %"),
        ({"weight_revenue": "abc"}, {"weight_revenue"}, None),
        ({"share_silver": "many"}, {"share_silver"}, None),
        ({"active_days": "", "lost_days": "365"}, {"active_days"}, None),
        (
            {"active_days": "90", "lost_days": "60"},
            {"lost_days"},
            "Must be more than the active limit (90 days).",
        ),
    ],
)
@pytest.mark.parametrize("action", ["save", "save_rescore", "preview"])
def test_bad_input_comes_back_on_the_form(client, db_session, login, changes, invalid, message, action):
    w = factories.small_world(db_session)
    login(w.management)
    client.get("/lang/en")
    response = _post(client, action, note="Try this", **changes)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert _invalid_fields(html) == invalid
    if message:
        assert message in html
    assert 'data-testid="preview-result"' not in html
    assert _versions(db_session) == 0


def test_save_without_a_note_is_refused_but_preview_needs_none(client, db_session, login):
    w = factories.small_world(db_session)
    login(w.management)
    client.get("/lang/en")
    response = _post(client, "save", weight_revenue="40")
    assert response.status_code == 200
    assert 'id="note"' in response.get_data(as_text=True)
    assert "Say why the rules change" in response.get_data(as_text=True)
    assert _versions(db_session) == 0
    preview = _post(client, "preview", weight_revenue="40").get_data(as_text=True)
    assert 'data-testid="preview-result"' in preview


def test_save_creates_a_version_listed_with_its_author(client, db_session, login):
    w = factories.small_world(db_session)
    login(w.management)
    client.get("/lang/en")
    response = _post(client, "save", weight_revenue="45", note="Revenue matters more this year")
    assert response.status_code == 302 and response.headers["Location"].endswith("/scoring/config")
    saved = db_session.scalars(select(ScoringConfig)).one()
    assert (saved.weight_revenue, saved.author_id) == (45, w.management.id)
    assert saved.note == "Revenue matters more this year"

    response = _post(client, "save", weight_revenue="45", share_platinum="4.5", note="Fewer platinum")
    assert response.status_code == 302
    page = client.get("/scoring/config").get_data(as_text=True)
    history = page.split('data-testid="history"', 1)[1]
    assert history.index("Fewer platinum") < history.index("Revenue matters more this year")
    assert history.count(w.management.name) == 2
    assert "4.5" in history
    assert _versions(db_session) == 2
    # The page now says which version is in use.
    newest = scoring_config.latest_config()
    assert f"In use: version {newest.id}" in page


def test_preview_page_shows_tier_moves_and_saves_nothing(client, db_session, login):
    w, companies = _scene(db_session)
    before = _ranks(db_session)
    login(w.management)
    client.get("/lang/en")
    response = _post(client, "preview", active_days="5", **REVENUE_ONLY)
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    expected = scoring_config.preview(scoring_config.proposed_rules(_values(active_days="5", **REVENUE_ONLY)))
    assert f'data-testid="moved">{expected.moved}<' in html
    assert 'data-testid="move-standard-platinum">1<' in html
    movers = html.split('data-testid="movers"', 1)[1]
    assert companies[-1].name_zh in movers
    assert 'data-testid="status-change"' in html  # active within 5 days: most turn sleeping
    assert 'value="5"' in html  # the proposal stays on the form, ready to save
    assert _versions(db_session) == 0
    assert _ranks(db_session) == before


def test_save_and_rescore_now(client, db_session, login):
    w, companies = _scene(db_session)
    login(w.admin)
    response = _post(client, "save_rescore", note="Revenue only", **REVENUE_ONLY)
    assert response.status_code == 302
    saved = db_session.scalars(select(ScoringConfig)).one()
    assert saved.author_id == w.admin.id
    ranks = _ranks(db_session)
    assert ranks[companies[-1].id] == (1, "platinum")
    assert set(db_session.scalars(select(ScoreSnapshot.config_id))) == {saved.id}
    db_session.refresh(companies[-1])
    assert companies[-1].tier == "platinum"


def test_save_alone_does_not_rescore_and_the_page_offers_to(client, db_session, login):
    w, companies = _scene(db_session)
    login(w.management)
    client.get("/lang/en")
    before = _ranks(db_session)
    assert _post(client, "save", note="Revenue only", **REVENUE_ONLY).status_code == 302
    assert _ranks(db_session) == before
    page = client.get("/scoring/config").get_data(as_text=True)
    assert "computed with other rules than the ones in use" in page
    token = factories.csrf_from(client.get("/scoring/config"))
    assert client.post("/scoring/rescore", data={"csrf_token": token}).status_code == 302
    assert _ranks(db_session)[companies[-1].id] == (1, "platinum")
    assert "Computed with the rules in use." in client.get("/scoring/config").get_data(as_text=True)


@pytest.mark.parametrize(
    ("role", "status"),
    [("management", 200), ("admin", 200), ("branch_head", 403), ("account_manager", 403), ("booker", 404)],
)
def test_access_per_role(client, db_session, login, role, status):
    w = factories.small_world(db_session)
    user = {
        "management": w.management,
        "admin": w.admin,
        "branch_head": w.head_a,
        "account_manager": w.manager_a1,
        "booker": w.booker_a,
    }[role]
    login(user)
    assert client.get("/scoring/config").status_code == status
    home = client.get("/companies/" if role != "booker" else "/self/").get_data(as_text=True)
    assert ('href="/scoring/config"' in home) == (status == 200)
    if status != 200:
        token = factories.csrf_from(client.get("/account/password"))
        data = {"csrf_token": token, "action": "save", **_values(weight_revenue="99", note="Sneaky")}
        assert client.post("/scoring/config", data=data).status_code == status
        assert client.post("/scoring/rescore", data={"csrf_token": token}).status_code == status
        assert _versions(db_session) == 0
