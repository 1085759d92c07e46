"""Error pages: HTML for people, JSON for /health and other JSON clients."""

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from portal.extensions import db

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path == "/health"


def register(app: Flask) -> None:
    """Answer HTTP errors with the portal's pages, never a stack trace."""

    def render(status: int, description: str | None = None):
        if _wants_json():
            return jsonify(error=status, description=description), status
        return render_template("errors/error.html", status=status, description=description), status

    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(
            status, lambda e, s=status: render(s, getattr(e, "description", None) if s == 400 else None)
        )

    @app.errorhandler(429)
    def _too_many(e):
        body, status = render(429, e.description)
        retry_after = getattr(e, "retry_after", None)
        headers = {"Retry-After": str(retry_after)} if isinstance(retry_after, int) else {}
        return body, status, headers

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return render(400, e.description)

    @app.errorhandler(500)
    def _server_error(e):
        db.session.rollback()
        log.exception("unhandled error on %s", request.path)
        return render(500)
