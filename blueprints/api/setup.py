"""Binding the API to an app: flask-smorest's Api, the bearer scheme, problem documents."""

from flask import Flask
from flask_smorest import Api

from blueprints.api.schemas import ProblemSchema
from portal.web.problems import is_api_request, problem_response


class PortalApi(Api):
    """flask-smorest's Api whose errors are RFC 9457 problem documents."""

    ERROR_SCHEMA = ProblemSchema

    def handle_http_exception(self, error):
        """Problem documents for /api/ calls; the portal's own pages elsewhere."""
        if not is_api_request():
            from portal.web.errors import error_page

            return error_page(error.code or 500)
        data = getattr(error, "data", None) or {}
        errors = data.get("messages")
        if isinstance(errors, dict) and len(errors) == 1:
            errors = next(iter(errors.values()))  # {"json": {...}} -> {...}
        detail = data.get("message") or error.description
        headers = dict(data.get("headers") or {})
        for name, value in error.get_headers():
            if name.lower() not in ("content-type", "content-length"):
                headers.setdefault(name, value)
        return problem_response(error.code or 500, detail, errors=errors, headers=headers)


def init_api(app: Flask) -> PortalApi:
    """Register the API blueprints on `app`, with the bearer token as its security scheme."""
    from blueprints.api import bp, docs_bp

    app.config.setdefault("API_TITLE", "Key-account portal API")
    app.config.setdefault("API_VERSION", "v1")
    app.config.setdefault("OPENAPI_VERSION", "3.1.0")
    api = PortalApi(app, spec_kwargs={"security": [{"bearerAuth": []}]})
    api.spec.components.security_scheme(
        "bearerAuth",
        {"type": "http", "scheme": "bearer", "description": "A client's token (`kap_...`)."},
    )
    api.register_blueprint(bp)
    app.register_blueprint(docs_bp)
    app.extensions["portal_api"] = api
    return api
