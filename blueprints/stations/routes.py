"""A station's page: the notices of today and tomorrow, their PDFs, marking services done."""

from flask import abort, current_app, flash, redirect, render_template, send_file, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select

from blueprints.forms import PortalForm
from blueprints.stations import bp
from portal.auth.policy import allow, load_in_scope, refuse
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.mail.operations import data_file
from portal.quotas.models import PriorityRequest
from portal.stations import operations, queries
from portal.stations.models import ServiceRequest, Station, VipNotice
from portal.timeutil import local_today


def own_station() -> Station:
    """The signed-in station user's station (an account without one sees nothing)."""
    station = db.session.get(Station, current_user.station_id) if current_user.station_id else None
    if station is None:
        refuse("station user without a station")
    return station


@bp.route("/")
@allow("station")
def index():
    station = own_station()
    today = local_today()
    return render_template(
        "stations/index.html",
        station=station,
        days=queries.station_view(station, today),
        today=today,
        form=PortalForm(),
    )


@bp.route("/notices/<int:notice_id>.pdf")
@allow("station")
def notice_pdf(notice_id: int):
    station = own_station()
    notice = load_in_scope(VipNotice, notice_id, *queries.notice_in_scope(station.id, local_today()))
    if not notice.pdf_path:
        abort(404)
    path = data_file(notice.pdf_path)
    if not path.is_file():
        current_app.logger.error("VIP notice %s: %s is missing", notice.id, notice.pdf_path)
        abort(404)
    response = send_file(
        path,
        mimetype="application/pdf",
        as_attachment=True,
        download_name=f"vip-notice-{station.code}-{notice.service_date.isoformat()}-{notice.seq}.pdf",
    )
    response.headers["X-Content-Type-Options"] = "nosniff"
    return response


@bp.route("/services/<int:service_id>/done", methods=["POST"])
@allow("station")
def mark_done(service_id: int):
    station = own_station()
    today = local_today()
    in_scope = select(PriorityRequest.id).where(*queries.service_in_scope(station.code, today))
    service = load_in_scope(ServiceRequest, service_id, ServiceRequest.request_id.in_(in_scope))
    form = PortalForm()
    if form.validate_on_submit():
        try:
            done = operations.mark_done(current_user, service, today=today)
        except NotAllowed as e:
            refuse(str(e))
        except ValidationFailed as e:
            flash(str(e), "danger")
        else:
            db.session.commit()
            flash(_("Marked done.") if done else _("This service was done already."), "success")
    return redirect(url_for(".index"))
