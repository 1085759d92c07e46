"""The search page: grouped results with links (companies, contacts, travellers, interactions)."""

from flask import render_template
from flask_login import current_user

from blueprints.search import bp
from portal.auth.policy import STAFF, allow
from portal.search import queries
from portal.web.query import arg, reads, text_param


@bp.route("/")
@allow(*STAFF)
@reads(text_param("q", maximum=queries.MAX_LENGTH * 2))
def index():
    q = queries.normalise(arg("q"))
    results = queries.search(current_user, q) if q else None
    return render_template(
        "search/index.html", q=q, results=results, too_short=bool(q) and len(q) < queries.MIN_LENGTH
    )
