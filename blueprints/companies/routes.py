"""Company list, the dossier with its sections, the full timeline and the audit trail."""

from flask import abort, current_app, render_template, request
from flask_login import current_user

from blueprints.companies import bp, sections
from blueprints.companies.common import load_company
from portal.auth.policy import STAFF, allow, refuse
from portal.companies import dossier, operations, queries, timeline
from portal.companies.access import may_change, sees_in_full
from portal.companies.models import COMPANY_STATUSES, TIERS
from portal.db import utcnow
from portal.extensions import db
from portal.scoring import explain
from portal.timeutil import local_today

DOSSIER_TIMELINE = 15  # newest entries on the dossier; the timeline page has the rest
TIMELINE_PAGE = 30


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
    now = utcnow()
    today = local_today()
    month = dossier.first_of_month(today)
    months = (month, dossier.next_month(month))
    active = next((a for a in company.agreements if a.status == "active"), None)
    audit_lines, audit_more = dossier.latest_audit(company.id)
    shown = sections.available()
    return render_template(
        "companies/detail.html",
        company=company,
        sections=shown,
        agreement=queries.current_agreement(company),
        active_agreement=active,
        can_change=may_change(current_user, company),
        can_reveal=operations.may_reveal(current_user, company),
        can_reassign=operations.may_reassign(current_user, company),
        score=explain.score_section(company.id),
        quota_summary=dossier.quota_summary(active.id, month) if active else None,
        quotas=dossier.quota_table(company.id, months),
        months=months,
        today=today,
        requests=dossier.recent_requests(company.id),
        next_revisit=dossier.next_revisit(company.id),
        complaints=dossier.open_complaints(company.id, now),
        managers=dossier.manager_history(company.id),
        reviews=dossier.reviews(company.id),
        timeline=timeline.timeline(
            company.id, type=request.args.get("type", "", type=str), limit=DOSSIER_TIMELINE, now=now
        ),
        timeline_types=timeline.TYPES,
        audit_lines=audit_lines,
        audit_more=audit_more,
        agreement_links="agreements.detail" in current_app.view_functions,
        agreement_new="agreements.new" in current_app.view_functions,
        **sections.extra_context(shown, company),
    )


@bp.route("/<int:company_id>/timeline")
@allow(*STAFF)
def timeline_page(company_id: int):
    """The whole timeline, a page at a time (the dossier shows its newest entries)."""
    company = load_company(company_id)
    page = timeline.timeline(
        company.id,
        type=request.args.get("type", "", type=str),
        before=request.args.get("before", type=str),
        limit=TIMELINE_PAGE,
    )
    return render_template(
        "companies/timeline.html",
        company=company,
        timeline=page,
        timeline_types=timeline.TYPES,
        can_change=may_change(current_user, company),
        agreement_links="agreements.detail" in current_app.view_functions,
    )


@bp.route("/<int:company_id>/audit")
@allow(*STAFF)
def audit(company_id: int):
    """Every audited change (and refused access) concerning the company, newest first."""
    company = load_company(company_id)
    page = db.paginate(
        dossier.audit_query(company.id), per_page=dossier.AUDIT_PAGE_SIZE, max_per_page=100, error_out=False
    )
    return render_template(
        "companies/audit.html",
        company=company,
        page=page,
        lines=[dossier.audit_line(e) for e in page.items],
    )
