"""Start page, /health and the language switch."""

from flask import current_app, jsonify, redirect, session, url_for
from flask_login import current_user
from sqlalchemy import text

from blueprints.auth.routes import safe_next
from blueprints.main import bp
from portal.auth.policy import public
from portal.extensions import db
from portal.web.query import NEXT, arg, reads


@bp.route("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "booker":
        return redirect(url_for("selfservice.home"))
    return redirect(url_for("companies.index"))


@bp.route("/health")
@public
def health():
    try:
        db.session.execute(text("SELECT 1"))
        database = "ok"
    except Exception:  # any failure to reach the database is what this reports
        current_app.logger.exception("health check: database unreachable")
        database = "unreachable"
    ok = database == "ok"
    return jsonify(status="ok" if ok else "degraded", database=database), 200 if ok else 503


@bp.route("/lang/<code>")
@public
@reads(NEXT)
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(arg("next")) or url_for("main.index"))
