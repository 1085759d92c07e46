"""The signed-in user's notifications, and the unread count the navbar shows."""

from flask import abort, flash, redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user

from blueprints.notifications import bp
from blueprints.notifications.forms import MarkReadForm
from portal.auth.policy import EVERYONE, allow, load_in_scope
from portal.extensions import db
from portal.notifications import operations, queries
from portal.notifications.models import Notification
from portal.web.links import safe_next
from portal.web.query import PAGE, paginate, reads


@bp.app_template_global("unread_notifications")
def unread_notifications() -> int:
    """The navbar's count (0 for anonymous visitors, without a query)."""
    if not current_user or not current_user.is_authenticated:
        return 0
    return queries.unread_count(current_user.id)


@bp.route("/")
@allow(*EVERYONE)
@reads(PAGE)
def index():
    page = paginate(queries.notification_list(current_user.id))
    return render_template("notifications/index.html", page=page, form=MarkReadForm(), safe_link=safe_next)


@bp.route("/read", methods=["POST"])
@allow(*EVERYONE)
def mark_read():
    form = MarkReadForm()
    if not form.validate_on_submit():
        abort(400)
    notification_id = form.notification_id.data
    if notification_id is not None:
        # Someone else's notification: refused, answered as if it did not exist.
        load_in_scope(Notification, notification_id, Notification.user_id == current_user.id, live=False)
    operations.mark_read(current_user, notification_id)
    db.session.commit()
    if notification_id is None:
        flash(_("All notifications are marked as read."), "success")
    return redirect(url_for(".index"))
