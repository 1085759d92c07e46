"""API clients: list, create (the token is shown once), revoke; their webhook deliveries."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from blueprints.admin import bp
from blueprints.admin.forms import ApiClientForm, ToggleForm
from blueprints.admin.routes import company_id_of
from portal.api.clients import create_client, revoke_client, status_of
from portal.api.models import ApiClient, WebhookDelivery, WebhookSubscription
from portal.auth.policy import allow
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.timeutil import local_today
from portal.web.query import PAGE, arg, paginate, reads, text_param

# Delivery states an admin filters by, as conditions.
DELIVERY_STATES = {
    "pending": (WebhookDelivery.delivered_at.is_(None), WebhookDelivery.failed_at.is_(None)),
    "delivered": (WebhookDelivery.delivered_at.is_not(None),),
    "given_up": (WebhookDelivery.failed_at.is_not(None),),
}


@bp.route("/api-clients")
@allow("admin")
@reads(PAGE)
def api_clients():
    page = paginate(select(ApiClient).options(joinedload(ApiClient.company)).order_by(ApiClient.name))
    return render_template("admin/api_clients.html", page=page, status_of=status_of, revoke=ToggleForm())


@bp.route("/api-clients/new", methods=["GET", "POST"])
@allow("admin")
def new_api_client():
    form = ApiClientForm()
    if form.validate_on_submit():
        try:
            client, token = create_client(
                current_user,
                form.name.data,
                form.scopes.data or [],
                company_id=company_id_of(form),
                expires_on=form.expires_on.data,
                today=local_today(),
            )
        except ValidationFailed as e:
            db.session.rollback()
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            # Shown on this answer only: the token is not stored and cannot be shown again.
            return render_template("admin/api_client_created.html", client=client, token=token)
    return render_template("admin/api_client_form.html", form=form)


@bp.route("/api-clients/<int:client_id>/revoke", methods=["POST"])
@allow("admin")
def revoke_api_client(client_id: int):
    client = db.session.get(ApiClient, client_id)
    if client is None:
        abort(404)
    form = ToggleForm()
    if form.validate_on_submit():
        revoke_client(client)
        db.session.commit()
        flash(_("The client %(name)s is revoked: its token no longer works.", name=client.name), "success")
    return redirect(url_for(".api_clients"))


@bp.route("/webhook-deliveries")
@allow("admin")
@reads(text_param("state", choices=DELIVERY_STATES), PAGE)
def webhook_deliveries():
    state = arg("state")
    statement = (
        select(WebhookDelivery)
        .options(joinedload(WebhookDelivery.subscription).joinedload(WebhookSubscription.client))
        .order_by(WebhookDelivery.id.desc())
    )
    if state:
        statement = statement.where(*DELIVERY_STATES[state])
    page = paginate(statement)
    return render_template(
        "admin/webhook_deliveries.html", page=page, state=state, states=list(DELIVERY_STATES)
    )
