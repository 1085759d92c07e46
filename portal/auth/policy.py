"""The access policy: every endpoint declares who may call it; anything undeclared is refused.

Views are marked with `@allow(...)` or `@public`; `enforce()` runs before every request.
Bookers (and station staff) are answered 404 for anything that is not theirs, so they learn
nothing of it; sales staff are answered 403.
"""

import logging
from typing import NoReturn

from flask import abort, current_app, request
from flask_login import current_user
from sqlalchemy import select

from portal.auth.models import ROLES, STAFF_ROLES
from portal.extensions import db

log = logging.getLogger(__name__)

PUBLIC = "public"
API_TOKEN = "api_token"  # the JSON API: a client's bearer token, checked by the API itself
STAFF = STAFF_ROLES
EVERYONE = ROLES


def allow(*roles: str):
    """Let signed-in users with one of `roles` call the view."""
    unknown = set(roles) - set(ROLES)
    if unknown:
        raise ValueError(f"unknown roles {unknown}")

    def mark(view):
        view.access = frozenset(roles)
        return view

    return mark


def public(view):
    """Let anyone, signed in or not, call the view."""
    view.access = frozenset({PUBLIC})
    return view


def api_token(view):
    """Let the JSON API's own bearer-token check decide who may call the view."""
    view.access = frozenset({API_TOKEN})
    return view


def access_of(endpoint: str) -> frozenset[str] | None:
    """The roles (or PUBLIC) allowed on an endpoint; None when it declares nothing."""
    if endpoint == "static":
        return frozenset({PUBLIC})
    view = current_app.view_functions.get(endpoint)
    return getattr(view, "access", None)


def role_may_open(role: str, endpoint: str) -> bool:
    """Whether the endpoint's rule lets signed-in users of `role` call it."""
    return role in (access_of(endpoint) or ())


def may_open(user, endpoint: str) -> bool:
    """Whether `user` may call the endpoint: links and forms to a page show only where its
    `@allow(...)` rule lets the user in."""
    return user.is_authenticated and role_may_open(user.role, endpoint)


def enforce():
    """Before each request: refuse what the endpoint's rule does not allow (fail closed)."""
    if request.endpoint is None:
        return None  # no route: the 404 handler answers
    access = access_of(request.endpoint)
    if access is None:
        log.error("endpoint %s has no access rule; refused", request.endpoint)
        refuse("no access rule")
    if PUBLIC in access or API_TOKEN in access:
        return None
    if not current_user.is_authenticated:
        return current_app.login_manager.unauthorized()
    if current_user.role not in access:
        refuse(f"role {current_user.role} not allowed")
    return None


def refuse(reason: str, *, company_id: int | None = None, hide: bool = False) -> NoReturn:
    """Record a refused access and answer 404 to bookers, station staff (and anonymous), 403 to
    sales staff (`User.is_staff`); with
    `hide`, 404 to everyone (a row outside the user's scope is answered as if it did not exist)."""
    from portal.audit.trail import refusal_event

    event = refusal_event(reason, company_id=company_id)
    db.session.rollback()  # nothing the refused request wrote is kept...
    db.session.add(event)
    db.session.commit()  # ...but its refusal is, though the request ends in an error
    if not hide and current_user.is_authenticated and current_user.is_staff:
        abort(403)
    abort(404)


def load_in_scope(model, row_id: int, *scope, live: bool = True):
    """The row of `model` with `row_id` that meets the `scope` conditions (its parent, its
    owner). Unknown, or soft-deleted with `live`: 404. A row that exists outside the scope (an id
    smuggled into a URL or form): a refusal, recorded and answered 404."""
    row = db.session.scalar(select(model).where(model.id == row_id, *scope))
    if row is None:
        probed = db.session.get(model, row_id)
        if probed is not None:
            refuse(
                f"{model.__tablename__} {row_id} outside the user's scope",
                company_id=getattr(probed, "company_id", None),
                hide=True,
            )
        abort(404)
    if live and getattr(row, "deleted_at", None) is not None:
        abort(404)
    return row
