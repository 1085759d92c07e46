"""Self-service home: the booker's own company, agreement and account manager."""

from flask import abort, render_template
from flask_login import current_user

from blueprints.selfservice import bp
from portal.agreements import attainment
from portal.agreements.queries import active_summary
from portal.auth.policy import allow
from portal.companies import queries
from portal.quotas import queries as quota_queries
from portal.timeutil import local_today


@bp.route("/")
@allow("booker")
def home():
    # Only ever the booker's own company: the id comes from the account, never the request.
    company = queries.with_manager(current_user.company_id)
    if company is None:
        abort(404)
    # The booker sees the agreement in force only: never drafts, pending or past agreements.
    today = local_today()
    agreement = active_summary(company.id, today)
    months = (today.replace(day=1), quota_queries.next_month(today.replace(day=1)))
    return render_template(
        "selfservice/home.html",
        company=company,
        agreement=agreement,
        attainment=attainment.for_agreement(agreement, today) if agreement else None,
        days_left=(agreement.valid_to - today).days if agreement else None,
        balances=quota_queries.company_balances(company.id, months, today=today),
        months=months,
        month_text=quota_queries.month_text,
    )
