"""The benchmark's baseline: the company table rendered from memory, no database.

`bench/pages.py` serves `create_app_with_baseline()` under gunicorn, so the baseline runs in
the same app (same factory, hooks, layout, macros and filters) as the pages it is compared
with; the production app (`wsgi:app`) never has this route.
"""

import random
from decimal import Decimal
from types import SimpleNamespace

from flask import Blueprint, Flask, current_app, jsonify, render_template

from portal import create_app
from portal.auth.policy import public
from portal.companies.models import COMPANY_STATUSES, TIERS
from portal.db import Page

# Its template (bench/templates/bench_baseline.html) is the company list page fed from memory:
# the same layout, table, macros and filters as templates/companies/index.html.
bp = Blueprint("bench_baseline", __name__, template_folder="templates")

ROWS = 1200  # as many companies as the seeded database behind the measured pages


def _rows(n: int) -> list[SimpleNamespace]:
    """n rows like the company list's (office and manager names beside the company's columns),
    the same every time."""
    rng = random.Random(42)
    offices = [(f"第{i}营业部", f"Office {i}") for i in range(1, 41)]
    managers = [f"客户经理{i}" for i in range(1, 121)]
    rows = []
    for i in range(1, n + 1):
        office_name_zh, office_name_en = rng.choice(offices)
        rows.append(
            SimpleNamespace(
                id=i,
                name_zh=f"北京星河航天科技有限公司{i:04d}",
                name_en=f"Beijing Galaxy Aerospace Technology Co., Ltd. {i:04d}",
                credit_code=f"91110000{i:09d}X",
                city=rng.choice(["北京", "上海", "广州", "成都", "深圳"]),
                office_name_zh=office_name_zh,
                office_name_en=office_name_en,
                manager_name=rng.choice(managers) if i % 10 else None,
                tier=rng.choice(TIERS),
                score=Decimal(rng.randrange(0, 10000)) / 100,
                status=rng.choice(COMPANY_STATUSES),
                full=i % 3 == 0,
            )
        )
    rows.sort(key=lambda r: (r.name_zh, r.id))
    return rows


@bp.route("/_bench/baseline")
@public
def baseline():
    """The company table from memory: what a page costs with no database at all."""
    rows, size = current_app.extensions["bench_baseline_rows"], current_app.config["PAGE_SIZE"]
    page = Page(rows[:size], len(rows), page=1, per_page=size)  # the first page, as the bench loads
    return render_template("bench_baseline.html", page=page, tiers=TIERS, statuses=COMPANY_STATUSES)


@bp.route("/_bench/api-floor")
@public
def api_floor():
    """The API's floor: the first 100 companies as /api/v1/companies answers them, serialised to
    JSON from memory on each request (no token, no database, no schema; read on first use)."""
    extensions = current_app.extensions
    if "bench_api_rows" not in extensions:
        extensions["bench_api_rows"] = _api_rows()
    return jsonify(extensions["bench_api_rows"])


def _api_rows() -> dict:
    """The first API page of companies, read once (the API's own schema shapes it)."""
    from sqlalchemy import select

    from blueprints.api.schemas import CompanyPage
    from portal.companies.models import Company
    from portal.extensions import db

    companies = db.session.scalars(select(Company).order_by(Company.id).limit(100)).all()
    return CompanyPage().dump({"items": companies, "next_cursor": "MTAw"})


def create_app_with_baseline(config_name: str | None = None, **overrides) -> Flask:
    """The portal app plus the baseline routes
    (for `gunicorn 'bench.baseline:create_app_with_baseline()'`)."""
    app = create_app(config_name, **overrides)
    app.register_blueprint(bp)
    app.extensions["bench_baseline_rows"] = _rows(ROWS)  # built once, like a warm cache
    return app
