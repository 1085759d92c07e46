"""Pipeline pages: board, list with export, stale opportunities, forecast, prospects, and an
opportunity's own pages (new, detail, edit, stage moves)."""

from datetime import date, timedelta
from decimal import Decimal

from flask import Response, abort, current_app, flash, redirect, render_template, request, url_for
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload, selectinload

from blueprints.pipeline import bp
from blueprints.pipeline.forms import OpportunityForm, StageForm
from portal.auth.policy import STAFF, allow, refuse
from portal.auth.roles import CHANGERS, OVERSEERS
from portal.charts import bar_chart, data_uri, pie_chart
from portal.companies.access import may_change
from portal.companies.models import Company
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.labels import label
from portal.org.models import SalesOffice
from portal.pipeline import operations, queries
from portal.pipeline.models import (
    LOST_REASONS,
    OPEN_STAGES,
    OPPORTUNITY_KINDS,
    STAGES,
    Opportunity,
    OpportunityStageChange,
)
from portal.web.companies import company_to_change
from portal.web.query import (
    PAGE,
    arg,
    args,
    date_param,
    int_param,
    month_param,
    paginate,
    reads,
    text_param,
)
from portal.web.saving import save_valid
from portal.web.tables import table_csv, table_xlsx

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
MAX_EXPORT_ROWS = 20_000
MAX_PERIOD_DAYS = 3660
MAX_FREQUENT_SEGMENTS = 10_000
FILTER_PARAMS = (
    int_param("owner"),
    int_param("branch"),
    int_param("office"),
    text_param("kind", choices=OPPORTUNITY_KINDS),
    text_param("stage", choices=STAGES),
    month_param("month"),
    text_param("stale", maximum=1),
)
FILTER_NAMES = tuple(p.name for p in FILTER_PARAMS)


@bp.app_template_global("pipeline_opportunities")
def pipeline_opportunities(agreement_id: int):
    """The opportunities whose win started the agreement (shown on the agreement's page)."""
    return queries.for_agreement(agreement_id)


def _stale_days() -> int:
    return current_app.config["PIPELINE_STALE_DAYS"]


def _zh() -> bool:
    return str(get_locale()) == "zh"


def _load(opportunity_id: int, *, for_change: bool = False) -> Opportunity:
    """The opportunity (404 if unknown), refused unless the user may see (or change) it."""
    opportunity = db.session.scalar(
        select(Opportunity)
        .where(Opportunity.id == opportunity_id)
        .options(
            joinedload(Opportunity.company).joinedload(Company.office).joinedload(SalesOffice.branch),
            joinedload(Opportunity.owner),
            joinedload(Opportunity.agreement),
        )
    )
    if opportunity is None:
        abort(404)
    if not operations.may_see(current_user, opportunity):
        refuse("opportunity outside the user's scope", company_id=opportunity.company_id)
    if for_change and not operations.may_edit(current_user, opportunity):
        refuse("may not change the opportunity", company_id=opportunity.company_id)
    return opportunity


def _stale_flags(opportunities) -> set[int]:
    now, today = queries.now_and_today()
    return {o.id for o in opportunities if queries.is_stale(o, now, today, _stale_days())}


# --- board, list, export, stale ---------------------------------------------------------------


@bp.route("/")
@allow(*STAFF)
def index():
    now, _today = queries.now_and_today()
    columns = queries.board(current_user, now=now)
    cards = [o for column in columns.values() for o in column]
    editable = {o.id for o in cards if operations.may_edit(current_user, o)}
    return render_template(
        "pipeline/board.html",
        columns=columns,
        stages=STAGES,
        stale=_stale_flags(cards),
        editable=editable,
        stage_form=StageForm(formdata=None),
        stale_days=_stale_days(),
    )


@bp.route("/list")
@allow(*STAFF)
@reads(*FILTER_PARAMS, PAGE)
def opportunities():
    now, today = queries.now_and_today()
    values = args(*FILTER_NAMES)
    filters = queries.read_filters(values)
    stmt = queries.list_statement(current_user, filters, now=now, today=today, stale_days=_stale_days())
    page = paginate(stmt)
    export_args = {k: v.strftime("%Y-%m") if isinstance(v, date) else v for k, v in values.items() if v}
    return render_template(
        "pipeline/list.html",
        page=page,
        filters=filters,
        choices=queries.filter_choices(current_user),
        kinds=OPPORTUNITY_KINDS,
        stages=STAGES,
        stale=_stale_flags(page.items),
        export_args=export_args,
    )


def _export_table():
    now, today = queries.now_and_today()
    filters = queries.read_filters(args(*FILTER_NAMES))
    stmt = queries.list_statement(current_user, filters, now=now, today=today, stale_days=_stale_days())
    rows = db.session.scalars(stmt.limit(MAX_EXPORT_ROWS)).all()
    zh = _zh()
    header = [
        _("Title"),
        _("Company"),
        _("Kind"),
        _("Stage"),
        _("Reason for the loss"),
        _("Expected annual revenue (CNY)"),
        _("Probability (%)"),
        _("Weighted revenue (CNY)"),
        _("Expected close date"),
        _("Owner"),
        _("Branch"),
        _("Office"),
        _("Next step"),
        _("Next step on"),
        _("Stale"),
    ]
    body = []
    for o in rows:
        office = o.company.office
        body.append(
            [
                o.title,
                o.company.name_zh,
                label(o.kind, "opportunity_kind"),
                label(o.stage, "opportunity_stage"),
                label(o.lost_reason, "lost_reason") if o.lost_reason else "",
                Decimal(o.expected_revenue_fen) / 100,
                o.probability,
                Decimal(o.weighted_fen) / 100,
                o.close_date.isoformat() if o.close_date else "",
                o.owner.name,
                office.branch.name_zh if zh else office.branch.name_en,
                office.name_zh if zh else office.name_en,
                o.next_step or "",
                o.next_step_on.isoformat() if o.next_step_on else "",
                _("yes") if queries.is_stale(o, now, today, _stale_days()) else "",
            ]
        )
    return header, body, f"pipeline-{today.isoformat()}"


@bp.route("/export.csv")
@allow(*STAFF)
@reads(*FILTER_PARAMS)
def export_csv():
    header, body, name = _export_table()
    return Response(
        table_csv(header, body),
        mimetype="text/csv",
        headers={"Content-Disposition": f'attachment; filename="{name}.csv"'},
    )


@bp.route("/export.xlsx")
@allow(*STAFF)
@reads(*FILTER_PARAMS)
def export_xlsx():
    header, body, name = _export_table()
    return Response(
        table_xlsx(header, body, _("Pipeline")),
        mimetype=XLSX,
        headers={"Content-Disposition": f'attachment; filename="{name}.xlsx"'},
    )


@bp.route("/stale")
@allow(*STAFF)
def stale():
    now, today = queries.now_and_today()
    rows = queries.stale_list(current_user, now=now, today=today, stale_days=_stale_days())
    return render_template("pipeline/stale.html", rows=rows, today=today, now=now, stale_days=_stale_days())


# --- forecast and prospects -------------------------------------------------------------------


def _period(today: date) -> tuple[date, date, list[str]]:
    """The forecast period from ?from=&to= (default: the last 12 months); problems are listed."""
    problems = []
    start, end = arg("from") or today - timedelta(days=364), arg("to") or today
    if end < start:
        problems.append(_("The period must end after it starts."))
        start, end = today - timedelta(days=364), today
    elif (end - start).days > MAX_PERIOD_DAYS:
        problems.append(_("Choose a period of at most ten years."))
        start = end - timedelta(days=364)
    return start, end, problems


@bp.route("/forecast")
@allow(*OVERSEERS)
@reads(date_param("from"), date_param("to"))
def forecast():
    _now, today = queries.now_and_today()
    start, end, problems = _period(today)
    result = queries.forecast(current_user, start=start, end=end, zh=_zh())
    charts = {}
    if result.by_month:
        charts["month"] = data_uri(
            bar_chart(
                [m or _("No date") for m, _r, _w in result.by_month],
                {
                    _("Expected revenue (CNY)"): [r / 100 for _m, r, _w in result.by_month],
                    _("Weighted (CNY)"): [w / 100 for _m, _r, w in result.by_month],
                },
            )
        )
    if result.by_branch:
        charts["branch"] = data_uri(
            bar_chart(
                [b for b, _r, _w in result.by_branch],
                {_("Weighted (CNY)"): [w / 100 for _b, _r, w in result.by_branch]},
            )
        )
    if result.lost_reasons:
        charts["lost"] = data_uri(pie_chart({label(r, "lost_reason"): c for r, c, _v in result.lost_reasons}))
    return render_template(
        "pipeline/forecast.html",
        result=result,
        charts=charts,
        start=start,
        end=end,
        problems=problems,
    )


@bp.route("/prospects")
@allow(*STAFF)
@reads(int_param("min", maximum=MAX_FREQUENT_SEGMENTS))
def prospects():
    _now, today = queries.now_and_today()
    minimum = arg("min") or current_app.config["PIPELINE_FREQUENT_SEGMENTS"]
    companies = queries.unsigned_travellers(current_user, today=today)
    travellers = queries.travellers_to_enrol(current_user, today=today, min_segments=minimum)
    changeable = {row.Company.id for row in companies if may_change(current_user, row.Company)}
    return render_template(
        "pipeline/prospects.html",
        companies=companies,
        travellers=travellers,
        minimum=minimum,
        changeable=changeable,
    )


# --- one opportunity ----------------------------------------------------------------------------


@bp.route("/new", methods=["GET", "POST"])
@allow(*CHANGERS)
@reads(int_param("company_id"))
def new():
    company = company_to_change(
        arg("company_id"),
        hint=_("Open the company's page or the prospect list and choose “New opportunity” there."),
        back=url_for("pipeline.prospects"),
    )
    owners = operations.owner_choices(current_user, company)
    form = OpportunityForm(owners)
    if request.method == "GET":
        form.owner_id.data = (
            company.manager_id if company.manager_id in {u.id for u in owners} else current_user.id
        )
        form.kind.data = "new_account" if company.status == "prospect" else "upsell"
    saved = save_valid(
        form, lambda: operations.create(current_user, company, form.details()), _("The opportunity is saved.")
    )
    if saved:
        return redirect(url_for(".detail", opportunity_id=saved.value.id))
    return render_template("pipeline/form.html", form=form, company=company, opportunity=None)


@bp.route("/<int:opportunity_id>")
@allow(*STAFF)
def detail(opportunity_id: int):
    return _render_detail(_load(opportunity_id))


def _render_detail(opportunity: Opportunity, *, stage_form: StageForm | None = None):
    changes = db.session.scalars(
        select(OpportunityStageChange)
        .where(OpportunityStageChange.opportunity_id == opportunity.id)
        .options(selectinload(OpportunityStageChange.actor))
        .order_by(OpportunityStageChange.at, OpportunityStageChange.id)
    ).all()
    if stage_form is None:
        stage_form = StageForm(formdata=None)
        stage_form.stage.data = opportunity.stage
    now, today = queries.now_and_today()
    return render_template(
        "pipeline/detail.html",
        opportunity=opportunity,
        company=opportunity.company,
        changes=changes,
        can_edit=operations.may_edit(current_user, opportunity),
        stage_form=stage_form,
        is_stale=queries.is_stale(opportunity, now, today, _stale_days()),
        open_stages=OPEN_STAGES,
        lost_reasons=LOST_REASONS,
    )


@bp.route("/<int:opportunity_id>/edit", methods=["GET", "POST"])
@allow(*CHANGERS)
def edit(opportunity_id: int):
    opportunity = _load(opportunity_id, for_change=True)
    if not opportunity.is_open:
        flash(_("A closed opportunity can no longer be changed."), "warning")
        return redirect(url_for(".detail", opportunity_id=opportunity.id))
    owners = operations.owner_choices(current_user, opportunity.company)
    if opportunity.owner not in owners:
        owners = [opportunity.owner, *owners]
    form = OpportunityForm(owners)
    if request.method == "GET":
        form.fill(opportunity)
    if save_valid(
        form,
        lambda: operations.update_details(current_user, opportunity, form.details()),
        _("The opportunity is saved."),
    ):
        return redirect(url_for(".detail", opportunity_id=opportunity.id))
    return render_template(
        "pipeline/form.html", form=form, company=opportunity.company, opportunity=opportunity
    )


@bp.route("/<int:opportunity_id>/stage", methods=["POST"])
@allow(*CHANGERS)
def move(opportunity_id: int):
    opportunity = _load(opportunity_id, for_change=True)
    form = StageForm()
    if form.validate_on_submit():
        _now, today = queries.now_and_today()
        try:
            agreement = operations.move_stage(
                current_user,
                opportunity,
                form.stage.data,
                today=today,
                lost_reason=form.lost_reason.data or None,
            )
        except NotAllowed as e:
            db.session.rollback()
            refuse(str(e), company_id=opportunity.company_id)
        except (ValidationFailed, IntegrityError) as e:
            db.session.rollback()
            reasons = e.reasons if isinstance(e, ValidationFailed) else {None: [_("Please try again.")]}
            form.populate_errors(reasons)
            opportunity = _load(opportunity_id, for_change=True)
        else:
            db.session.commit()
            if agreement is not None:
                flash(
                    _("Won: agreement draft %(number)s is ready for its terms.", number=agreement.number),
                    "success",
                )
            else:
                flash(
                    _("Moved to %(stage)s.", stage=label(opportunity.stage, "opportunity_stage")),
                    "success",
                )
            if form.back.data == "board":
                return redirect(url_for(".index", _anchor=f"opportunity-{opportunity.id}"))
            return redirect(url_for(".detail", opportunity_id=opportunity.id))
    return _render_detail(opportunity, stage_form=form)
