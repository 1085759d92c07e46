"""Re-authentication: enter the password again before a sensitive action (a fresh sign-in)."""

from flask import redirect, render_template, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user

from blueprints.auth import bp
from blueprints.auth.forms import ReauthForm
from portal.auth import operations
from portal.auth.policy import EVERYONE, allow
from portal.auth.sessions import client_ip
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.web.links import safe_next
from portal.web.query import NEXT, arg, reads


@bp.route("/reauth", methods=["GET", "POST"])
@allow(*EVERYONE)
@reads(NEXT)
def reauth():
    """Ask the signed-in user's password again; throttled and recorded like a sign-in."""
    form = ReauthForm()
    target = safe_next(arg("next"))
    if form.validate_on_submit():
        try:
            user = operations.sign_in(current_user.email, form.password.data, client_ip())
        except NotAllowed as e:
            db.session.commit()
            form.form_errors.append(str(e))
            return render_template("auth/reauth.html", form=form), 429
        except ValidationFailed:
            db.session.commit()  # the failed attempt counts towards the sign-in limit
            form.password.errors = [_("The password is wrong.")]
            return render_template("auth/reauth.html", form=form), 401
        db.session.commit()
        login_user(user, fresh=True)
        return redirect(target or url_for("main.index"))
    return render_template("auth/reauth.html", form=form)
