"""Loading a company (and rows of its dossier) for a request, with the access checks: the
company pages, agreements and the pipeline all start from one."""

from flask import abort, flash, redirect
from flask_login import current_user
from sqlalchemy import select
from sqlalchemy.orm import joinedload

from portal.auth.policy import load_in_scope, refuse
from portal.companies.access import may_change, sees_in_full
from portal.companies.models import Company
from portal.extensions import db
from portal.org.models import SalesOffice


def load_company(company_id: int, *, change: bool = False) -> Company:
    """The company (404 if unknown); refused (403 staff, 404 booker) unless the user sees it in
    full, and, with `change`, may change it."""
    company = db.session.scalar(
        select(Company)
        .where(Company.id == company_id)
        .options(joinedload(Company.office).joinedload(SalesOffice.branch), joinedload(Company.manager))
    )
    if company is None:
        abort(404)
    if not sees_in_full(current_user, company):
        refuse("company outside the user's scope", company_id=company.id)
    if change and not may_change(current_user, company):
        refuse("may not change the company's dossier", company_id=company.id)
    return company


def company_to_change(company_id: int | None, *, hint: str, back: str) -> Company:
    """The company a new record is for (`company_id` from the query string), loaded to change.
    Without one the page was opened from nowhere: flash `hint` and go to `back` instead."""
    if company_id is None:
        flash(hint, "info")
        abort(redirect(back))
    return load_company(company_id, change=True)


def load_row(model, row_id: int, company: Company, *, live: bool = True):
    """A row of the company's dossier by id; 404 when unknown or, for soft-deleted rows, when
    deleted; another company's row (an id smuggled into this company's URL) is a refusal."""
    return load_in_scope(model, row_id, model.company_id == company.id, live=live)
