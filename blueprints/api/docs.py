"""The OpenAPI document and its reference page for people (ReDoc, vendored under static/)."""

from flask import current_app, jsonify, render_template

from blueprints.api import docs_bp
from portal.auth.policy import public
from portal.web.problems import PROBLEM_TYPE

HTTP_METHODS = {"get", "put", "post", "delete", "patch"}
# The reference page runs ReDoc, which styles itself with inline styles and a blob: worker.
REFERENCE_PAGE_POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; font-src 'self'; worker-src 'self' blob:; object-src 'none'; "
    "base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)


def openapi_document() -> dict:
    """The API's OpenAPI 3.1 document, generated from the routes and schemas, with error
    responses typed as problem documents (they are sent as application/problem+json)."""
    spec = current_app.extensions["portal_api"].spec.to_dict()
    for response in spec.get("components", {}).get("responses", {}).values():
        _as_problem(response)
    for path in spec.get("paths", {}).values():
        for method in HTTP_METHODS & path.keys():
            for status, response in path[method].get("responses", {}).items():
                if status == "default" or int(status) >= 400:
                    _as_problem(response)
    return spec


def _as_problem(response: dict) -> None:
    content = response.get("content") or {}
    if "application/json" in content:
        content[PROBLEM_TYPE] = content.pop("application/json")


@docs_bp.route("/openapi.json")
@public
def openapi_json():
    """The OpenAPI document."""
    return jsonify(openapi_document())


@docs_bp.route("/docs")
@public
def reference():
    """The API reference for people."""
    response = current_app.make_response(render_template("api/reference.html"))
    response.headers["Content-Security-Policy"] = REFERENCE_PAGE_POLICY
    return response
