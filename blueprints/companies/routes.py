"""Company list and the dossier's tabs: overview, score, timeline, agreements, quotas,
reviews and the audit trail (documents and travel have their own modules)."""

from flask import abort, current_app, render_template
from flask_login import current_user

from blueprints.companies import bp
from blueprints.companies.tabs import render_tab
from portal.audit.access import may_search_trail, may_see_ip
from portal.audit.display import audit_lines, trail_batch_url
from portal.auth.policy import STAFF, allow, refuse
from portal.companies import dossier, operations, queries, timeline
from portal.companies.access import has_portfolio, lists_others_by_name, sees_in_full
from portal.companies.models import COMPANY_STATUSES, TIERS
from portal.companies.profile import may_create
from portal.db import paginate_rows, utcnow
from portal.extensions import db
from portal.scoring import explain
from portal.timeutil import first_of_month, local_today, next_month
from portal.web.companies import load_company
from portal.web.query import PAGE, arg, paginate, reads, text_param

TIMELINE_PAGE = 30


@bp.route("/")
@allow(*STAFF)
@reads(
    text_param("q", maximum=queries.SEARCH_LENGTH),
    text_param("sort", "name", choices=queries.SORT_CHOICES),
    text_param("tier", choices=TIERS),
    text_param("status", choices=COMPANY_STATUSES),
    text_param("all", choices=("1",)),
    PAGE,
)
def index():
    q, sort, tier, status = arg("q"), arg("sort"), arg("tier"), arg("status")
    # An account manager's list opens on their own portfolio; ?all=1 shows every company.
    switch = has_portfolio(current_user)
    portfolio = switch and arg("all") != "1"
    page = paginate_rows(
        db.session,
        queries.company_list(current_user, q=q, sort=sort, tier=tier, status=status, portfolio=portfolio),
        queries.company_count(current_user, q=q, tier=tier, status=status, portfolio=portfolio),
        page=arg("page"),
        per_page=current_app.config["PAGE_SIZE"],
    )
    return render_template(
        "companies/index.html",
        page=page,
        q=q,
        sort=sort,
        tier=tier,
        status=status,
        tiers=TIERS,
        statuses=COMPANY_STATUSES,
        can_create=may_create(current_user),
        portfolio_switch=switch,
        portfolio=portfolio,
    )


@bp.route("/<int:company_id>")
@allow(*STAFF)
def detail(company_id: int):
    """The dossier's overview tab."""
    found = queries.dossier_company(company_id)
    if found is None:
        abort(404)
    company = found.Company
    if not sees_in_full(current_user, company):
        if lists_others_by_name(current_user):
            # Other managers' companies: name and owner only (DESIGN §5).
            return render_template("companies/limited.html", company=company)
        refuse("company outside the user's scope", company_id=company.id)
    today = local_today()
    travellers, more_travellers = dossier.first_travellers(company.id)
    agreement = dossier.current_agreement(company.id)
    active = agreement if agreement and agreement.status == "active" else None
    return render_tab(
        "overview",
        "companies/detail.html",
        company,
        contacts=dossier.contacts(company.id),
        parent_name_zh=found.parent_name_zh,
        subsidiaries=dossier.subsidiaries(company.id) if found.has_subsidiaries else [],
        agreement=agreement,
        active_agreement=active,
        travellers=travellers,
        more_travellers=more_travellers,
        can_reveal=operations.may_reveal(current_user, company),
        can_reassign=operations.may_reassign(current_user, company),
        quota_summary=dossier.quota_summary(active.id, first_of_month(today)) if active else None,
        today=today,
        next_revisit=found if found.due_on is not None else None,
        complaints=dossier.open_complaints(company.id, utcnow()) if found.has_open_complaints else [],
        managers=dossier.recent_managers(company.id),
        signals=dossier.signals(company.id, utcnow()) if found.has_signals else None,
    )


@bp.route("/<int:company_id>/travellers")
@allow(*STAFF)
@reads(PAGE)
def travellers(company_id: int):
    """Every key traveller, a page at a time."""
    company = load_company(company_id)
    page = paginate(dossier.travellers_query(company.id))
    return render_tab(
        "travellers",
        "companies/travellers.html",
        company,
        page=page,
        travellers=page.items,
        can_reveal=operations.may_reveal(current_user, company),
    )


@bp.route("/<int:company_id>/score")
@allow(*STAFF)
def score(company_id: int):
    """Why the company has its score, and how score, rank and tier moved."""
    company = load_company(company_id)
    return render_tab(
        "score",
        "companies/tab.html",
        company,
        partial="companies/_score.html",
        score=explain.score_section(company.id),
    )


@bp.route("/<int:company_id>/agreements")
@allow(*STAFF)
def agreements(company_id: int):
    company = load_company(company_id)
    return render_tab(
        "agreements",
        "companies/tab.html",
        company,
        partial="companies/_agreements.html",
        agreement_links="agreements.detail" in current_app.view_functions,
        agreement_new="agreements.new" in current_app.view_functions,
    )


@bp.route("/<int:company_id>/quotas")
@allow(*STAFF)
def quotas(company_id: int):
    """This and next month's quotas, and the latest priority requests."""
    company = load_company(company_id)
    month = first_of_month(local_today())
    months = (month, next_month(month))
    return render_tab(
        "quotas",
        "companies/tab.html",
        company,
        partial="companies/_quotas.html",
        quotas=dossier.quota_table(company.id, months),
        months=months,
        requests=dossier.recent_requests(company.id),
    )


@bp.route("/<int:company_id>/reviews")
@allow(*STAFF)
def reviews(company_id: int):
    company = load_company(company_id)
    return render_tab(
        "reviews",
        "companies/tab.html",
        company,
        partial="companies/_reviews.html",
        reviews=dossier.reviews(company.id, viewer=current_user),
        has_subsidiaries=bool(dossier.subsidiaries(company.id)),
    )


@bp.route("/<int:company_id>/timeline")
@allow(*STAFF)
@reads(text_param("type", maximum=20), text_param("before", None, maximum=timeline.CURSOR_LENGTH))
def timeline_page(company_id: int):
    """The timeline tab, a page at a time, newest first."""
    company = load_company(company_id)
    page = timeline.timeline(
        company.id,
        type=arg("type"),
        before=arg("before"),
        limit=TIMELINE_PAGE,
    )
    return render_tab(
        "timeline",
        "companies/timeline.html",
        company,
        timeline=page,
        timeline_types=timeline.TYPES,
        agreement_links="agreements.detail" in current_app.view_functions,
    )


@bp.route("/<int:company_id>/audit")
@allow(*STAFF)
@reads(PAGE)
def audit(company_id: int):
    """Every audited change (and refused access) concerning the company, newest first."""
    company = load_company(company_id)
    page = paginate(dossier.audit_query(company.id), per_page=dossier.AUDIT_PAGE_SIZE)
    return render_tab(
        "audit",
        "companies/audit.html",
        company,
        page=page,
        lines=audit_lines(page.items),
        show_ip=may_see_ip(current_user),
        batch_url=trail_batch_url if may_search_trail(current_user) else None,
    )
