"""Bearer-token authentication, scopes, the call's audit row and the commit at the API's edge."""

import functools
import hashlib
import logging

from flask import g, request
from flask_smorest import abort
from sqlalchemy.exc import IntegrityError, SQLAlchemyError

from portal.api.clients import ApiPrincipal, authenticate, touch
from portal.audit.trail import acting_as, record_event
from portal.auth.policy import api_token, refuse
from portal.companies.models import Company
from portal.db import commit_if_only_read, reads_in_autocommit, sqlite_begin
from portal.extensions import db
from portal.web.hooks import SAFE_METHODS
from portal.web.problems import problem_response

log = logging.getLogger(__name__)
BEARER = "bearer "


def _token() -> str:
    header = request.headers.get("Authorization", "")
    return header[len(BEARER) :].strip() if header.lower().startswith(BEARER) else ""


def rate_limit_key() -> str:
    """Requests are counted per token (per address without one), never per process."""
    token = _token()
    if token:
        return "api-token:" + hashlib.sha256(token.encode()).hexdigest()[:24]
    return "api-addr:" + (request.remote_addr or "unknown")


def principal() -> ApiPrincipal:
    """Who the current call acts as (set by `scoped`)."""
    return g.api_principal


def scoped(scope: str | None):
    """The view needs a live client's bearer token that carries `scope` (401, then 403);
    `None`: any live client (its own webhooks)."""

    def decorate(view):
        @functools.wraps(view)
        def wrapper(*args, **kwargs):
            if request.method in SAFE_METHODS:
                reads_in_autocommit(db.session())
            who = authenticate(_token())
            if who is None:
                abort(
                    401,
                    message="A valid bearer token is required (unknown, expired or revoked).",
                    headers={"WWW-Authenticate": 'Bearer realm="api"'},
                )
            g.api_principal = who
            if scope is not None and scope not in who.scopes:
                abort(403, message=f"This client lacks the scope {scope}.")
            with acting_as(principal().email):
                if "company_id" in kwargs:
                    company_in_reach(kwargs["company_id"])  # 404 before the body is even read
                return view(*args, **kwargs)

        return api_token(wrapper)

    return decorate


def company_in_reach(company_id: int) -> Company:
    """The company, if the client may see it: a company-bound client sees only its own (404)."""
    bound = principal().company_id
    company = db.session.get(Company, company_id) if company_id < 2**31 else None
    if company is None:
        abort(404, message="No such company.")
    if bound is not None and company.id != bound:
        refuse(f"company {company.id} outside the client's company", company_id=company.id, hide=True)
    return company


def finish_call(response):
    """The edge of every API call: audit it (client, method, path, status), note the client's
    last use, and commit the call's changes with it in one transaction (a failed call's
    changes are rolled back first). A read (GET) has no transaction to join: on PostgreSQL its
    statements ran in autocommit (`scoped`), so the audit row commits as it is written; on
    SQLite it ends its read-only transaction first and writes the audit row in a short one of
    its own, so the write lock is held for that row only and reads do not queue behind each
    other."""
    who = g.get("api_principal")
    if response.status_code >= 400:
        db.session.rollback()
    elif request.method in SAFE_METHODS and db.session.get_bind().dialect.name == "sqlite":
        commit_if_only_read(db.session())  # a read that wrote keeps its transaction for the audit
    try:
        with sqlite_begin("BEGIN IMMEDIATE"):
            if response.status_code == 429:  # refused before the view: the token's client all the same
                who = authenticate(_token())
            _audit_call(who, response.status_code)
            db.session.commit()
    except IntegrityError:
        db.session.rollback()
        return problem_response(409, "The change conflicts with data changed meanwhile; try again.")
    except SQLAlchemyError:
        db.session.rollback()
        log.exception("finishing an API call failed")
        return problem_response(503, "The database is not available; try again.")
    return response


def _audit_call(who: ApiPrincipal | None, status: int) -> None:
    """The call's audit row, and the client's last use."""
    with acting_as(who.email if who else "api:anonymous"):
        record_event(
            "api_call",
            "api_client",
            who.client_id if who else None,
            company_id=who.company_id if who else None,
            after={"method": request.method, "path": request.full_path.rstrip("?")[:400], "status": status},
        )
    if who:
        touch(who.client_id, who.last_used_at)
