"""What every self-service page shares: the booker's own company and rows of it."""

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from portal.auth.policy import load_in_scope
from portal.companies.models import Company, Traveller
from portal.extensions import db


def own_company() -> Company:
    """The signed-in booker's company: always from the account, never from the request."""
    company = db.session.get(Company, current_user.company_id) if current_user.company_id else None
    if company is None:
        abort(404)
    return company


def own_row(model, row_id: int, *, live: bool = True):
    """A row of the booker's company by id; another company's row is a refusal (recorded,
    answered 404), an unknown or removed one a plain 404."""
    return load_in_scope(model, row_id, model.company_id == current_user.company_id, live=live)


def own_travellers(company_id: int) -> list[Traveller]:
    """The company's travellers that are not removed, by name."""
    return list(
        db.session.scalars(
            select(Traveller)
            .where(Traveller.company_id == company_id, Traveller.deleted_at.is_(None))
            .order_by(Traveller.name, Traveller.id)
        )
    )
