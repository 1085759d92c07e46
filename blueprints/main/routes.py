"""Start page, a staff member's home, /health, /ready and the language switch."""

from flask import current_app, jsonify, redirect, render_template, session, url_for
from flask_login import current_user
from sqlalchemy import text

from blueprints.main import bp
from portal.auth.policy import STAFF, allow, public
from portal.db import utcnow
from portal.extensions import db
from portal.home import queries as home_queries
from portal.readiness import run_checks
from portal.timeutil import local_today
from portal.web.links import safe_next
from portal.web.query import NEXT, arg, reads


@bp.route("/")
@public
def index():
    if not current_user.is_authenticated:
        return redirect(url_for("auth.login"))
    if current_user.role == "booker":
        return redirect(url_for("selfservice.home"))
    if current_user.role == "station":
        return redirect(url_for("stations.index"))
    if home_queries.starts_at_home(current_user):
        return redirect(url_for("main.home"))
    return redirect(url_for("companies.index"))


@bp.route("/home")
@allow(*STAFF)
def home():
    """The day's work: revisits, complaints, waitlist, pipeline, expiring agreements, news."""
    today = local_today()
    day = home_queries.day_for(current_user, today=today, now=utcnow())
    return render_template("main/home.html", day=day, today=today)


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


@bp.route("/ready")
@public
def ready():
    """Whether this instance can serve: database, data folder and task broker reachable."""
    ok, checks = run_checks()
    if not ok:
        db.session.rollback()  # a failed database check leaves the session unusable
    return jsonify(status="ready" if ok else "not ready", checks=checks), 200 if ok else 503


@bp.route("/lang/<code>")
@public
@reads(NEXT)
def set_language(code: str):
    if code in current_app.config["LANGUAGES"]:
        session["lang"] = code
    return redirect(safe_next(arg("next")) or url_for("main.index"))
