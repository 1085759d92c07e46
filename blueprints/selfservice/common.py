"""What every self-service page shares: the booker's own company and rows of it."""

from flask import abort
from flask_login import current_user
from sqlalchemy import select

from portal.auth.policy import refuse
from portal.companies.models import Company
from portal.extensions import db


def own_company() -> Company:
    """The signed-in booker's company: always from the account, never from the request."""
    company = db.session.get(Company, current_user.company_id) if current_user.company_id else None
    if company is None:
        abort(404)
    return company


def own_row(model, row_id: int, *, live: bool = True):
    """A row of the booker's company by id; another company's id (or a removed row) is 404,
    and the probe is recorded as a refused access."""
    stmt = select(model).where(model.id == row_id, model.company_id == current_user.company_id)
    if live and hasattr(model, "deleted_at"):
        stmt = stmt.where(model.deleted_at.is_(None))
    row = db.session.scalar(stmt)
    if row is None:
        refuse(f"{model.__tablename__} {row_id} is not the booker's company's")  # 404 to bookers
    return row
