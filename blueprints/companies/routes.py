"""Company list and dossier."""

from flask import abort, current_app, render_template, request
from flask_login import current_user

from blueprints.companies import bp
from portal.auth.policy import STAFF, allow, refuse
from portal.companies import queries
from portal.companies.access import may_change, sees_in_full
from portal.companies.models import COMPANY_STATUSES, TIERS
from portal.extensions import db
from portal.scoring import explain


@bp.route("/")
@allow(*STAFF)
def index():
    q = request.args.get("q", "", type=str)
    sort = request.args.get("sort", "name", type=str)
    tier = request.args.get("tier", "", type=str)
    status = request.args.get("status", "", type=str)
    tier = tier if tier in TIERS else ""
    status = status if status in COMPANY_STATUSES else ""
    stmt = queries.company_list(current_user, q=q, sort=sort, tier=tier, status=status)
    page = db.paginate(stmt, per_page=current_app.config["PAGE_SIZE"], max_per_page=100, error_out=False)
    return render_template(
        "companies/index.html",
        page=page,
        q=q,
        sort=sort,
        tier=tier,
        status=status,
        tiers=TIERS,
        statuses=COMPANY_STATUSES,
        sees_in_full=sees_in_full,
    )


@bp.route("/<int:company_id>")
@allow(*STAFF)
def detail(company_id: int):
    company = db.session.scalar(queries.dossier_query(company_id))
    if company is None:
        abort(404)
    if not sees_in_full(current_user, company):
        if current_user.role == "account_manager":
            # Other managers' companies: name and owner only (DESIGN §5).
            return render_template("companies/limited.html", company=company)
        refuse("company outside the user's scope", company_id=company.id)
    return render_template(
        "companies/detail.html",
        company=company,
        agreement=queries.current_agreement(company),
        can_change=may_change(current_user, company),
        score=explain.score_section(company.id),
    )
