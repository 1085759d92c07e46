"""Self-service home: the booker's own company, agreement and account manager."""

from flask import abort, render_template
from flask_login import current_user

from blueprints.selfservice import bp
from portal.auth.policy import allow
from portal.companies import queries
from portal.extensions import db


@bp.route("/")
@allow("booker")
def home():
    # Only ever the booker's own company: the id comes from the account, never the request.
    company = db.session.scalar(queries.dossier_query(current_user.company_id))
    if company is None:
        abort(404)
    return render_template(
        "selfservice/home.html", company=company, agreement=queries.current_agreement(company)
    )
