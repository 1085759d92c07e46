"""Search the whole audit trail, page through it, export it as CSV."""

from flask import (
    Response,
    current_app,
    flash,
    redirect,
    render_template,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.audit import bp
from blueprints.audit.forms import AuditSearchForm
from portal.audit import queries
from portal.audit.access import TRAIL_READERS, may_see_ip
from portal.audit.display import audit_lines, trail_batch_url
from portal.auth.policy import allow
from portal.web.query import PAGE, paginate, query_form, query_string, reads

PAGE_SIZE = 50


def _form() -> AuditSearchForm:
    return query_form(AuditSearchForm)


def _trail_filter(form: AuditSearchForm) -> queries.TrailFilter:
    return queries.TrailFilter(
        actor=form.actor.data or "",
        entity=form.entity.data or "",
        entity_id=form.entity_id.data,
        action=form.action.data or "",
        refused_only=bool(form.refused.data),
        date_from=form.date_from.data,
        date_to=form.date_to.data,
        batch=form.batch.data or "",
    )


@bp.route("/")
@allow(*TRAIL_READERS)
@reads(PAGE, form=AuditSearchForm)
def index():
    form = _form()
    if not form.validate():
        return render_template("audit/index.html", form=form, page=None, lines=[], show_ip=False), 400
    page = paginate(queries.search(_trail_filter(form)), per_page=PAGE_SIZE)
    return render_template(
        "audit/index.html",
        form=form,
        page=page,
        lines=audit_lines(page.items),
        show_ip=may_see_ip(current_user),
        batch_url=trail_batch_url,
        export_url=url_for(".export_csv", **query_string()),
    )


@bp.route("/export.csv")
@allow(*TRAIL_READERS)
@reads(form=AuditSearchForm)
def export_csv():
    form = _form()
    if query_string() and not form.validate():
        return render_template("audit/index.html", form=form, page=None, lines=[], show_ip=False), 400
    stmt = queries.search(_trail_filter(form))
    found = queries.count(stmt)
    if found > queries.EXPORT_LIMIT:
        flash(
            _(
                "The search finds %(found)s events; an export holds at most %(limit)s. Narrow the search.",
                found=found,
                limit=queries.EXPORT_LIMIT,
            ),
            "warning",
        )
        return redirect(url_for(".index", **query_string()))
    with_ip = may_see_ip(current_user)
    current_app.logger.info("audit export of %s events by %s", found, current_user.email)
    return Response(
        stream_with_context(queries.csv_chunks(stmt, with_ip)),
        mimetype="text/csv",
        headers={"Content-Disposition": 'attachment; filename="audit.csv"'},
    )
