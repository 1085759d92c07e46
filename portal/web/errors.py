"""Error pages: HTML for people, JSON for /health and other JSON clients."""

import logging

from flask import Flask, jsonify, render_template, request
from flask_wtf.csrf import CSRFError

from portal.extensions import db
from portal.web.problems import is_api_request, problem_response

log = logging.getLogger(__name__)


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json" or request.path == "/health"


def error_page(status: int, description: str | None = None):
    """The answer to an HTTP error: a problem document for the API, JSON for JSON clients, else
    the portal's error page."""
    if is_api_request():
        return problem_response(status, description)
    if _wants_json():
        return jsonify(error=status, description=description), status
    return render_template("errors/error.html", status=status, description=description), status


def _shown_description(status: int, error) -> str | None:
    # Pages show only a bad request's reason; API clients get every error's.
    if is_api_request():
        data = getattr(error, "data", None) or {}
        return data.get("message") or getattr(error, "description", None)
    if status == 400:
        return getattr(error, "description", None)
    return None


def register(app: Flask) -> None:
    """Answer HTTP errors with the portal's pages, never a stack trace."""
    for status in (400, 403, 404, 405, 413):
        app.register_error_handler(status, lambda e, s=status: error_page(s, _shown_description(s, e)))

    @app.errorhandler(429)
    def _too_many(e):
        response = app.make_response(error_page(429, e.description))
        retry_after = getattr(e, "retry_after", None)
        if isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)
        return response

    @app.errorhandler(CSRFError)
    def _csrf(e):
        return error_page(400, e.description)

    @app.errorhandler(500)
    def _server_error(e):
        db.session.rollback()
        log.exception("unhandled error on %s", request.path)
        return error_page(500)
