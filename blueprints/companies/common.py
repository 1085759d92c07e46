"""The confirm-then-delete flow the rows of a company's dossier share."""

from collections.abc import Callable

from flask import flash, redirect, render_template

from blueprints.companies.forms import ActionForm
from portal.companies.models import Company
from portal.extensions import db


def confirm_delete(
    company: Company,
    *,
    what: str,
    back: str,
    delete: Callable[[], None],
    done: str,
    warning: str | None = None,
):
    """GET: the page that asks to confirm deleting `what`. POST (with a valid CSRF token): run
    `delete`, commit once, flash `done` and go `back`."""
    form = ActionForm()
    if form.validate_on_submit():
        delete()
        db.session.commit()
        flash(done, "success")
        return redirect(back)
    return render_template(
        "companies/confirm_delete.html", form=form, company=company, what=what, back=back, warning=warning
    )
