"""Loading the rows of a company's dossier for a request, with the access check, and the
confirm-then-delete flow they share (the company itself: portal.web.loaders.load_company)."""

from collections.abc import Callable

from flask import flash, redirect, render_template

from blueprints.companies.forms import ActionForm
from portal.auth.policy import load_in_scope
from portal.companies.models import Company
from portal.extensions import db


def load_row(model, row_id: int, company: Company, *, live: bool = True):
    """A row of the company's dossier by id; 404 when unknown or, for soft-deleted rows, when
    deleted; another company's row (an id smuggled into this company's URL) is a refusal."""
    return load_in_scope(model, row_id, model.company_id == company.id, live=live)


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
