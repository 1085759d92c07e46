"""Sign-in, sign-out and password change routes."""

from flask import flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_login import current_user, login_user, logout_user

from blueprints.auth import bp
from blueprints.auth.forms import ChangePasswordForm, LoginForm, LogoutForm
from portal.auth import operations
from portal.auth.policy import EVERYONE, allow, public
from portal.auth.sessions import client_ip
from portal.errors import NotAllowed, ValidationFailed
from portal.extensions import db
from portal.web.links import safe_next
from portal.web.query import NEXT, arg, reads


@bp.route("/login", methods=["GET", "POST"])
@public
@reads(NEXT)
def login():
    if current_user.is_authenticated:
        return redirect(url_for("main.index"))
    form = LoginForm()
    if form.validate_on_submit():
        try:
            user = operations.sign_in(form.email.data, form.password.data, client_ip())
        except NotAllowed as e:
            db.session.commit()
            form.form_errors.append(str(e))
            return render_template("auth/login.html", form=form), 429
        except ValidationFailed as e:
            db.session.commit()  # the failed attempt counts
            form.populate_errors(e.reasons)
            return render_template("auth/login.html", form=form), 401
        db.session.commit()
        login_user(user, remember=form.remember.data)
        return redirect(safe_next(arg("next")) or url_for("main.index"))
    return render_template("auth/login.html", form=form)


@bp.route("/logout", methods=["GET", "POST"])
@public
def logout():
    form = LogoutForm()
    if request.method == "POST" and form.validate_on_submit():
        if current_user.is_authenticated:
            operations.end_all_sessions(current_user)
            db.session.commit()
        logout_user()
        flash(_("You have signed out."), "info")
        return redirect(url_for("auth.login"))
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    return render_template("auth/logout.html", form=form)


@bp.route("/account/password", methods=["GET", "POST"])
@allow(*EVERYONE)
def change_password():
    form = ChangePasswordForm()
    if form.validate_on_submit():
        try:
            operations.change_password(
                current_user, form.current_password.data, form.new_password.data, client_ip()
            )
        except NotAllowed as e:
            db.session.commit()
            form.form_errors.append(str(e))
            return render_template("auth/password.html", form=form), 429
        except ValidationFailed as e:
            db.session.commit()  # the checked current password counts towards the sign-in limit
            form.populate_errors(e.reasons)
        else:
            db.session.commit()
            # Other sessions ended with the version bump; this one carries on with the new one.
            login_user(current_user, fresh=True)
            flash(_("Your password has been changed. Other sessions were signed out."), "success")
            return redirect(url_for("main.index"))
    return render_template("auth/password.html", form=form)
