"""Hostile query strings, generated from the app's URL map: every GET route, as every staff role
and a booker, gets bad values for every query parameter it declares it reads (portal.web.query)
and must never answer 5xx."""

import ast
from pathlib import Path

import pytest
from flask import url_for

from portal.web import query
from tests.conftest import sign_in
from tests.test_access import _sample_args, _user_for

ROLES = ("admin", "management", "branch_head", "account_manager", "booker")
BLUEPRINTS = Path(__file__).resolve().parent.parent / "blueprints"

# Bad in every way a URL can be: out-of-range dates (and the days next to date.min and
# date.max, which a period or a month shifts past), huge, negative and empty numbers, text,
# full-width digits, control characters and overlong strings.
HOSTILE = (
    "9999-12-31",
    "9999-12",
    "0001-01-01",
    "0001-01-02",
    "2026-02-30",
    str(10**20),
    str(2**63),
    "-1",
    "abc",
    "１２",
    "%00",
    "\x00\x01\x7f",
    "x" * 5000,
)


def _edge(param: query.Param, high: bool) -> str:
    """The most extreme value the parameter accepts: what reaches the view's arithmetic."""
    if param.kind == "int":
        return str(param.maximum if high else param.minimum)
    if param.kind == "date":
        return (query.MAX_DATE if high else query.MIN_DATE).isoformat()
    if param.kind == "month":
        return (query.MAX_DATE if high else query.MIN_DATE).strftime("%Y-%m")
    if param.choices:
        return param.choices[-1 if high else 0]
    return "长" * param.maximum if high else " "


def _queries(params: list[query.Param]) -> list[list[tuple[str, str]]]:
    """Query strings for the params: each hostile value in every parameter at once (a refused
    value is dropped on its own, so one never hides another), and the accepted extremes
    (lowest, highest, and a lowest start with a highest end)."""
    names = [p.name for p in params]
    rounds = [[(n, value) for n in names] for value in HOSTILE]
    rounds.append([(p.name, _edge(p, high=False)) for p in params])
    rounds.append([(p.name, _edge(p, high=True)) for p in params])
    rounds.append([(p.name, _edge(p, high=i % 2 == 1)) for i, p in enumerate(params)])
    # A list a parameter appears in twice, the second time bad.
    rounds.append(
        [(n, v) for p in params for n, v in ((p.name, _edge(p, high=True)), (p.name, "9999-12-31"))]
    )
    return rounds


def _get_routes(app) -> list:
    return [
        rule
        for rule in app.url_map.iter_rules()
        if rule.endpoint != "static" and "GET" in rule.methods and rule.endpoint != "auth.logout"
    ]


def test_routes_declare_what_they_read(app):
    """The declared lists are what the test sends: the routes known to read parameters declare
    them, and every page that paginates declares `page`."""
    with app.test_request_context():
        declared = {
            rule.endpoint: {p.name for p in query.declared_params(app.view_functions[rule.endpoint])}
            for rule in _get_routes(app)
        }
    assert {"from", "to"} <= declared["pipeline.forecast"]
    assert {"page", "q", "sort", "tier", "status"} <= declared["companies.index"]
    assert {"date_from", "date_to", "page"} <= declared["companies.travel_page"]
    assert {"month", "page"} <= declared["selfservice.history"]
    assert "page" in declared["notifications.index"] and "page" in declared["rankings.index"]


def test_no_view_reads_the_query_string_around_the_helper():
    """Blueprints read query parameters only through portal.web.query (`arg`), or pass the
    query string to a GET form declared with `reads(form=...)`."""
    found = []
    for path in BLUEPRINTS.rglob("*.py"):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if (
                isinstance(node, ast.Attribute)
                and node.attr == "args"
                and getattr(node.value, "id", "") == "request"
            ):
                found.append(f"{path.relative_to(BLUEPRINTS)}:{node.lineno}")
    # GET filter forms take the query string through portal.web.query.query_form.
    assert found == [], found


@pytest.mark.parametrize("role", ROLES)
def test_hostile_query_strings_never_fail(app, client, world, role):
    user = _user_for(world, role)
    assert sign_in(client, user.email).status_code == 302
    failures = []
    for rule in _get_routes(app):
        with app.test_request_context():
            url = url_for(rule.endpoint, **_sample_args(world, rule))
            params = query.declared_params(app.view_functions[rule.endpoint])
        # `page` too where none is declared: a list that paginates without declaring it fails here.
        if "page" not in {p.name for p in params}:
            params.append(query.PAGE)
        rounds = _queries(params)
        if rule.rule.endswith(".pdf"):
            # A PDF renders in a process of its own (a second or more): the extremes and the
            # first few hostile values are enough there, the same parameters' pages get them all.
            rounds = rounds[:4] + rounds[-4:]
        for pairs in rounds:
            response = client.get(url, query_string=pairs)
            if response.status_code >= 500:
                shown = "&".join(f"{n}={v[:30]}" for n, v in pairs)
                failures.append(f"{url}?{shown}: {response.status_code}")
    assert not failures, "\n".join(failures[:40])


@pytest.mark.parametrize(
    "query_string",
    ["to=9999-12-31", "from=0001-01-01", "from=0001-01-02&to=9999-12-31", "to=0001-01-01"],
)
def test_forecast_with_dates_out_of_range_says_so(client, world, login, query_string):
    login(world.head_a)
    response = client.get(f"/pipeline/forecast?{query_string}")
    assert response.status_code == 200
    assert "alert-warning" in response.get_data(as_text=True)


def test_bad_values_are_dropped_with_a_message(client, world, login):
    login(world.manager_a1)
    response = client.get(f"/companies/?page={10**20}&tier=diamond")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert "alert-warning" in html and world.company_a.name_zh in html
