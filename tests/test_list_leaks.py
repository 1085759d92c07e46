"""An account manager learns nothing of another manager's company beyond its name and owner
(DESIGN §5) from any list, search, export or count: every page reads the same whatever that
company's tier, score, status, credit code or city."""

import io
import re

import pytest
from openpyxl import load_workbook

from tests.conftest import sign_in

# Two states of the other manager's company, apart in everything the manager may not see.
VARIANTS = (
    {
        "tier": "platinum",
        "score": 99.5,
        "status": "active",
        "activity_status": "active",
        "credit_code": "91310000TESTAAAA1X",
        "city": "上海",
    },
    {
        "tier": "standard",
        "score": 1.5,
        "status": "closed",
        "activity_status": "lost",
        "credit_code": "91310000OTHRBBBB2Y",
        "city": "乌鲁木齐",
    },
)
# Credit-code fragments of both states (never part of a name), and the start they share.
FRAGMENTS = ("TESTAAAA", "OTHRBBBB", "91310000T", "91310000O", "AAAA1X", "91310000")
SORT_KEYS = ("name", "city", "tier", "score", "status", "total", "rank")
FILTERS = (
    "",
    *(f"tier={t}" for t in ("platinum", "gold", "silver", "standard")),
    *(f"status={s}" for s in ("prospect", "active", "suspended", "closed", "sleeping", "lost")),
    *(f"sort={d}{k}" for k in SORT_KEYS for d in ("", "-")),
    *(f"q={f}" for f in FRAGMENTS),
    "sort=score&page=2",
    "sort=-score&page=2",
    "sort=status&page=3",
)
# The pages that list companies (or rows of them) and take filters; every other GET page
# without URL arguments is read without a query.
LISTS = (
    "companies.index",
    "search.index",
    "rankings.index",
    "rankings.export_csv",
    "rankings.export_xlsx",
    "agreements.index",
    "pipeline.opportunities",
    "pipeline.export_csv",
    "pipeline.export_xlsx",
    "pipeline.prospects",
    "reminders.index",
    "reviews.index",
)
# Pages that sign out or change the language change the session, not what they show.
SKIPPED = {"static", "auth.logout", "main.set_language"}
_CSRF = re.compile(r"csrf[^>]*>")


def _urls(app) -> list[str]:
    from flask import url_for

    urls = []
    with app.test_request_context():
        for rule in app.url_map.iter_rules():
            if rule.endpoint in SKIPPED or rule.arguments or "GET" not in rule.methods:
                continue
            base = url_for(rule.endpoint)
            queries = FILTERS if rule.endpoint in LISTS else ("",)
            urls += [f"{base}?{q}" if q else base for q in queries]
    assert {"/companies/", "/search/", "/rankings/export.csv"} <= {u.split("?")[0] for u in urls}
    return urls


def _content(response) -> tuple:
    if response.mimetype.endswith("spreadsheetml.sheet"):
        book = load_workbook(io.BytesIO(response.data), read_only=True)
        return response.status_code, [list(sheet.values) for sheet in book.worksheets]
    # A form's CSRF token is signed with the time; it is the same secret either way.
    return response.status_code, _CSRF.sub("csrf>", response.get_data(as_text=True))


@pytest.fixture()
def pages_of(app, client, world, db_session, monkeypatch):
    """Read every page as manager A1 with company B (manager B1's) in a given state."""
    monkeypatch.setitem(app.config, "PAGE_SIZE", 1)  # every position of the list on a page
    world.company_a.tier, world.company_a.score = "gold", 50
    sign_in(client, world.manager_a1.email)
    urls = _urls(app)

    def read(state: dict) -> dict:
        for name, value in state.items():
            setattr(world.company_b, name, value)
        db_session.flush()
        db_session.expire_all()
        return {url: _content(client.get(url)) for url in urls}

    return read


def test_lists_show_nothing_of_a_company_outside_full_view(pages_of):
    first, second = (pages_of(state) for state in VARIANTS)
    differing = [url for url in first if first[url] != second[url]]
    assert not differing, differing


def test_credit_code_finds_only_companies_seen_in_full(client, world, login):
    """A manager's own company is found by its credit code; another manager's is not."""
    login(world.manager_a1)
    own, other = world.company_a.credit_code, world.company_b.credit_code
    assert world.company_a.name_zh in client.get(f"/companies/?q={own[:10]}").get_data(as_text=True)
    assert world.company_a.name_zh in client.get(f"/search/?q={own[4:14]}").get_data(as_text=True)
    assert world.company_b.name_zh not in client.get(f"/companies/?q={other}").get_data(as_text=True)
    assert world.company_b.name_zh not in client.get(f"/search/?q={other}").get_data(as_text=True)
    # By name the other company is still found (DESIGN §5: names of every company).
    assert world.company_b.name_zh in client.get("/search/?q=浦江").get_data(as_text=True)
