"""The score explanation and history on the dossier's score tab, on SQLite and PostgreSQL."""

import base64
import re
from datetime import timedelta
from decimal import Decimal

from sqlalchemy import event

from portal.extensions import db
from portal.scoring import config as scoring_config
from portal.scoring import explain
from portal.scoring.engine import Rules
from portal.scoring.operations import recompute
from tests import factories
from tests.scoring.test_recompute import AS_OF, _scene


def _section(html: str) -> str:
    start = html.index('id="score"')
    return html[start : html.index("</section>", start)]


def _settings(**changes) -> dict:
    values = {k: str(v) for k, v in scoring_config.rule_values(Rules.defaults()).items()}
    values.update(changes)
    return values


def test_explanation_of_a_known_scene(db_session):
    """The big account of the recompute scene, worked by hand there: 70.00 points."""
    w, big, premium, sleeper, quiet = _scene(db_session)
    recompute(AS_OF, Rules.defaults())
    e = explain.explanation(big.id)
    assert (e["score_date"], e["total"], e["rank"], e["scored"], e["config_id"]) == (
        AS_OF,
        Decimal("70.00"),
        1,
        4,
        None,
    )
    c = {component["name"]: component for component in e["components"]}
    assert [name for name in c] == ["revenue", "frequency", "premium", "growth", "recency", "attainment"]
    assert c["revenue"]["raw"] == 800_000_00 and c["frequency"]["raw"] == 40
    assert c["premium"]["raw"] == Decimal("0.0") and c["recency"]["raw"] == 5
    assert c["attainment"]["raw"] == Decimal("80.0")
    # (800k + 100) / (200k + 100) - 1 = 299.85 %, from the log ratio stored to 4 places: 299.8 %
    assert c["growth"]["raw"] == Decimal("299.8")
    assert {n: str(x["points"]) for n, x in c.items()} == {
        "revenue": "30.00",
        "frequency": "20.00",
        "premium": "0.00",
        "growth": "3.33",
        "recency": "6.67",
        "attainment": "10.00",
    }
    assert c["growth"]["percentile"] == Decimal("33.33") and c["growth"]["weight"] == 10
    assert c["revenue"]["max_points"] == Decimal("30.00")
    assert e["weight_sum"] == 100
    assert abs(e["points_sum"] - e["total"]) <= Decimal("0.03")

    p = {x["name"]: x for x in explain.explanation(premium.id)["components"]}
    assert p["premium"]["raw"] == Decimal("75.0") and p["attainment"]["raw"] == Decimal("0.0")
    q = {x["name"]: x for x in explain.explanation(quiet.id)["components"]}
    assert q["recency"]["raw"] is None and q["revenue"]["raw"] == 0
    assert explain.explanation(quiet.id)["points_sum"] == Decimal("0.00")


def test_points_follow_the_rules_the_snapshot_used(db_session):
    """A version saved after the snapshot does not change how that snapshot is explained."""
    w, big, *_ = _scene(db_session)
    used = scoring_config.save_config(w.management, _settings(weight_revenue="60", note="Revenue x2"))
    recompute(AS_OF)
    scoring_config.save_config(w.management, _settings(weight_revenue="1", note="Later"))
    e = explain.explanation(big.id)
    assert e["config_id"] == used.id and e["weight_sum"] == 130
    points = {x["name"]: x["points"] for x in e["components"]}
    assert points["revenue"] == Decimal("46.15")  # 100 × 60 / 130
    assert abs(e["points_sum"] - e["total"]) <= Decimal("0.03")


def test_history_newest_first_with_changes(db_session):
    w, big, premium, sleeper, quiet = _scene(db_session)
    dates = [AS_OF - timedelta(days=60), AS_OF - timedelta(days=30), AS_OF]
    for score_date in dates:
        recompute(score_date, Rules.defaults())
    rows = explain.history(premium.id)
    assert [r["score_date"] for r in rows] == list(reversed(dates))
    assert all(r["scored"] == 4 for r in rows)
    assert rows[-1]["rank_change"] is None and rows[-1]["total_change"] is None
    assert rows[0]["rank_change"] == rows[1]["rank"] - rows[0]["rank"]
    assert rows[0]["total_change"] == rows[0]["total"] - rows[1]["total"]
    assert len(explain.history(premium.id, limit=2)) == 2
    assert explain.history(premium.id, limit=2)[-1]["rank_change"] is not None  # from the third date
    assert explain.history(w.company_a.id + 999_999) == []


def test_explanation_loads_in_a_constant_number_of_queries(app, db_session):
    w, big, *_ = _scene(db_session)
    statements = []

    def count(conn, cursor, statement, *args):
        if statement.lstrip().upper().startswith("SELECT"):
            statements.append(statement)

    recompute(AS_OF, Rules.defaults())
    db_session.flush()
    with app.test_request_context(), _listening(count):
        explain.score_section(big.id)
    few = len(statements)
    for days in range(30, 400, 30):
        recompute(AS_OF - timedelta(days=days), Rules.defaults())
    db_session.flush()
    statements.clear()
    with app.test_request_context(), _listening(count):
        section = explain.score_section(big.id)
    assert len(section["history"]) == explain.HISTORY_SHOWN
    assert len(statements) == few == 2


class _listening:
    def __init__(self, fn):
        self.fn = fn

    def __enter__(self):
        event.listen(db.engine, "before_cursor_execute", self.fn)

    def __exit__(self, *exc):
        event.remove(db.engine, "before_cursor_execute", self.fn)


def test_dossier_shows_the_score_section(client, db_session, login):
    w, big, premium, sleeper, quiet = _scene(db_session)
    for score_date in (AS_OF - timedelta(days=30), AS_OF):
        recompute(score_date, Rules.defaults())
    login(w.manager_a1)
    client.get("/lang/en")
    html = client.get(f"/companies/{big.id}/score").get_data(as_text=True)
    assert f'href="/companies/{big.id}/score" aria-current="page"' in html
    section = _section(html)
    assert 'data-testid="score-total">70.00<' in section
    assert "Rank 1 of 4" in section
    assert "¥800,000" in section and "40 segments" in section and "+299.8 %" in section
    assert "5 days since the last flight" in section and "80.0 % of the annual commitment" in section
    assert 'data-testid="points-sum">70.00<' in section
    rows = section.split('data-testid="score-history"', 1)[1].split("</table>", 1)[0]
    assert rows.count("<tr>") == 1 + 2  # header + two dates
    charts = re.findall(r'src="data:image/svg\+xml;base64,([^"]+)"', section)
    assert len(charts) == 2
    svg = base64.b64decode(charts[0]).decode()
    assert svg.lstrip().startswith("<svg")  # an image: pygal's inert config script never runs
    assert "Revenue" in svg
    assert 'style="' not in section  # the Content-Security-Policy forbids inline styles
    assert "<script" not in section

    quiet_html = _section(client.get(f"/companies/{quiet.id}/score").get_data(as_text=True))
    assert "never flown" in quiet_html


def test_dossier_empty_state_without_a_snapshot(client, db_session, login):
    w = factories.small_world(db_session)
    login(w.manager_a1)
    client.get("/lang/en")
    section = _section(client.get(f"/companies/{w.company_a.id}/score").get_data(as_text=True))
    assert "Not scored yet: scores are recomputed monthly." in section
    assert "data:image" not in section


def test_single_date_has_no_rank_chart(client, db_session, login):
    w, big, *_ = _scene(db_session)
    recompute(AS_OF, Rules.defaults())
    login(w.management)
    client.get("/lang/en")
    section = _section(client.get(f"/companies/{big.id}/score").get_data(as_text=True))
    assert 'data-testid="points-chart"' in section and 'data-testid="history-chart"' not in section
    assert "The rank chart appears after the next score date." in section


def test_other_managers_do_not_see_the_score(client, db_session, login):
    """The name-and-owner page of another manager's company has no score section."""
    w, big, *_ = _scene(db_session)
    recompute(AS_OF, Rules.defaults())
    login(w.manager_a2)
    html = client.get(f"/companies/{big.id}").get_data(as_text=True)
    assert 'id="score"' not in html and "70.00" not in html
    assert client.get(f"/companies/{big.id}/score").status_code == 403
