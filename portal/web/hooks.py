"""Hooks around every request: SQLite transaction mode, access policy, security headers,
and the end of read-only transactions."""

import logging

from flask import Flask, request
from sqlalchemy.exc import SQLAlchemyError

from portal.auth import policy
from portal.db import commit_if_only_read, set_sqlite_begin
from portal.extensions import db
from portal.web import query

# No inline script anywhere; styles only from our own files.
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
    "frame-ancestors 'none'"
)

SAFE_METHODS = {"GET", "HEAD", "OPTIONS"}

log = logging.getLogger(__name__)


def register(app: Flask) -> None:
    """Install the hooks on the app."""

    @app.before_request
    def _transaction_mode():
        # Reads begin deferred so they never queue behind a writer (SQLite only); changes take
        # the write lock from the start, since a read transaction that later writes fails at
        # once when another writer came first. An API read ends its transaction before its
        # audit row is written by a short one of its own (blueprints.api.auth.finish_call).
        reads_only = request.method in SAFE_METHODS
        set_sqlite_begin("BEGIN" if reads_only else "BEGIN IMMEDIATE")

    app.before_request(policy.enforce)
    # After the access check: the declared query parameters, parsed and bounded (portal.web.query).
    app.before_request(query.parse_declared)

    @app.teardown_request
    def _end_reads(exc):
        # A page that only read ends in COMMIT, which keeps PostgreSQL's prepared statements
        # for the next request (see portal.db); anything else is rolled back as before.
        # Requests that never used the database (static files, the baseline) make no session.
        if exc is None and request.method in SAFE_METHODS and db.session.registry.has():
            session = db.session()
            try:
                commit_if_only_read(session)
            except SQLAlchemyError:
                # The answer has been made; a lost connection must not turn it into an error.
                log.warning("ending a read-only transaction failed", exc_info=True)
                session.rollback()

    @app.after_request
    def _security_headers(response):
        headers = response.headers
        headers.setdefault("Content-Security-Policy", CONTENT_SECURITY_POLICY)
        headers.setdefault("X-Content-Type-Options", "nosniff")
        headers.setdefault("X-Frame-Options", "DENY")
        headers.setdefault("Referrer-Policy", "same-origin")
        if app.config.get("SESSION_COOKIE_SECURE"):
            headers.setdefault("Strict-Transport-Security", "max-age=31536000")
        if request.endpoint != "static":
            headers.setdefault("Cache-Control", "no-store")
        return response
