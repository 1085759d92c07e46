"""Stations and the distribution lists of their VIP service notices (administrators)."""

from flask import abort, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import func, select

from blueprints.admin import bp
from blueprints.admin.forms import StationForm
from portal.auth.models import User
from portal.auth.policy import allow
from portal.extensions import db
from portal.stations import operations
from portal.stations.models import Station
from portal.web.saving import save_valid


@bp.route("/stations", methods=["GET", "POST"])
@allow("admin")
def stations():
    form = StationForm()
    if save_valid(
        form,
        lambda: operations.create_station(
            current_user, code=form.code.data, name=form.name.data, distribution=form.distribution.data
        ),
        _("The station has been created."),
    ):
        return redirect(url_for(".stations"))
    rows = db.session.execute(
        select(Station, func.count(User.id))
        .outerjoin(User, (User.station_id == Station.id) & (User.role == "station"))
        .group_by(Station.id)
        .order_by(Station.code)
    ).all()
    return render_template("admin/stations.html", rows=rows, form=form)


@bp.route("/stations/<int:station_id>", methods=["GET", "POST"])
@allow("admin")
def edit_station(station_id: int):
    station = db.session.get(Station, station_id) or abort(404)
    form = StationForm(obj=station)
    form.code.data = station.code  # the code names the station in every notice: it stays
    if save_valid(
        form,
        lambda: operations.update_station(
            current_user, station, name=form.name.data, distribution=form.distribution.data
        ),
        _("The station has been saved."),
    ):
        return redirect(url_for(".stations"))
    return render_template("admin/station_form.html", form=form, station=station)
