"""Staff leaving: a manager's companies, reminders and opportunities handed over, then disabled."""

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.admin import bp
from blueprints.admin.forms import handover_form
from portal.auth.models import User
from portal.auth.policy import allow
from portal.errors import ValidationFailed
from portal.extensions import db
from portal.org import handover
from portal.org.queries import managers_for_choice


@bp.route("/users/<int:user_id>/leave", methods=["GET", "POST"])
@allow("admin")
def leave(user_id: int):
    """What the user still holds, the choice of new managers, and the disabling."""
    user = db.session.get(User, user_id) or abort(404)
    held = handover.portfolio(user)
    managers = [m for m in managers_for_choice() if m.id != user.id]
    form = handover_form(held.companies, managers)
    if form.validate_on_submit() and user.is_enabled and user.id != current_user.id:
        default = form.default_manager_id.data or None
        chosen = {company_id: field.data or default for company_id, field in form.company_fields()}
        try:
            handover.hand_over_and_disable(current_user, user, chosen, note=form.note.data)
        except ValidationFailed as e:
            db.session.rollback()
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            flash(
                _("%(name)s's portfolio has been handed over and the account disabled.", name=user.name),
                "success",
            )
            return redirect(url_for(".users"))
    status = 400 if request.method == "POST" else 200
    return render_template("admin/leave.html", form=form, user=user, held=held), status
