"""Ranking and portfolio pages."""

import copy

from flask import Response, render_template
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.rankings import bp
from blueprints.rankings.export import to_csv, to_xlsx
from blueprints.rankings.forms import FILTER_ARGS, PARAMS, export_args, read_filters
from portal.auth.policy import STAFF, allow
from portal.auth.roles import OVERSEERS, sees_every_branch
from portal.charts import STYLE, bar_chart, data_uri, pie_chart
from portal.companies.models import ACTIVITY_STATUSES, INDUSTRIES, TIERS
from portal.labels import label
from portal.scoring import queries
from portal.scoring.engine import COMPONENTS, TIER_ORDER
from portal.web.query import PAGE, arg, args, int_param, paginate, reads

# The badge colours of static/css/portal.css.
TIER_COLOURS = {"platinum": "#3d3d4e", "gold": "#b8860b", "silver": "#8a939c", "standard": "#c9ced4"}
ACTIVITY_COLOURS = {"active": "#198754", "sleeping": "#e0a800", "lost": "#6c757d"}
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@bp.route("/")
@allow(*STAFF)
@reads(*PARAMS, PAGE)
def index():
    options = queries.filter_options(current_user)
    values = args(*FILTER_ARGS)
    filters = read_filters(values, options)
    sort = values["sort"]
    dates = queries.score_dates()
    page = rows = None
    if dates:
        stmt = queries.ranking_statement(current_user, dates[0], filters, sort)
        page = paginate(stmt)
        rows = queries.decorate(page.items, dates)
    return render_template(
        "rankings/index.html",
        page=page,
        rows=rows,
        score_date=dates[0] if dates else None,
        previous_date=dates[1] if len(dates) > 1 else None,
        filters=filters,
        options=options,
        sort=sort,
        export_args=export_args(values),
        components=COMPONENTS,
        tiers=TIERS,
        statuses=ACTIVITY_STATUSES,
        industries=INDUSTRIES,
    )


def _export_rows():
    options = queries.filter_options(current_user)
    dates = queries.score_dates(2)
    values = args(*FILTER_ARGS)
    rows = queries.export_rows(current_user, dates, read_filters(values, options), values["sort"])
    suffix = dates[0].isoformat() if dates else "empty"
    return rows, f"rankings-{suffix}"


@bp.route("/export.csv")
@allow(*STAFF)
@reads(*PARAMS)
def export_csv():
    rows, name = _export_rows()
    return Response(
        to_csv(rows),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.route("/export.xlsx")
@allow(*STAFF)
@reads(*PARAMS)
def export_xlsx():
    rows, name = _export_rows()
    return Response(
        to_xlsx(rows, title=_("Rankings")),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@bp.route("/portfolio")
@allow(*OVERSEERS)
@reads(int_param("branch"))
def portfolio():
    options = queries.filter_options(current_user)
    # Only admins and management choose a branch; a branch head's scope is their branch.
    branches = options.branches if sees_every_branch(current_user) else []
    branch = arg("branch")
    branch = branch if branch in {b.id for b in branches} else None
    figures = queries.portfolio(current_user, branch=branch)
    return render_template(
        "rankings/portfolio.html",
        figures=figures,
        tier_order=TIER_ORDER,
        branches=branches,
        branch=branch,
        charts=_portfolio_charts(figures) if figures.companies else {},
    )


def _portfolio_charts(figures: queries.Portfolio) -> dict[str, str]:
    # The charts take the colours of the page's tier and activity badges.
    tiers = bar_chart(
        [label(t, "tier") for t in TIER_ORDER],
        {_("Companies"): [{"value": figures.tiers[t], "color": TIER_COLOURS[t]} for t in TIER_ORDER]},
        height=240,
    )
    revenue = pie_chart(
        {label(s.status, "activity_status"): s.revenue_fen / 100 for s in figures.statuses},
        height=240,
        style=_styled(tuple(ACTIVITY_COLOURS[s.status] for s in figures.statuses)),
    )
    return {"tiers": data_uri(tiers), "revenue": data_uri(revenue)}


def _styled(colours: tuple[str, ...]):
    style = copy.copy(STYLE)
    style.colors = colours
    return style
