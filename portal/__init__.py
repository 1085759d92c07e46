"""The key-account portal: application factory."""

import os
import secrets

from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from config import CONFIGS


def create_app(config_name: str | None = None, **overrides) -> Flask:
    """Build the app: configuration, extensions, blueprints, errors, commands."""
    app = Flask(
        __name__,
        template_folder="../templates",
        static_folder="../static",
        instance_relative_config=True,
    )
    config_name = config_name or os.environ.get("PORTAL_ENV", "development")
    app.config.from_object(CONFIGS[config_name])
    app.config["PORTAL_ENV"] = config_name
    app.config.update(overrides)
    os.makedirs(app.instance_path, exist_ok=True)
    register_logging(app)
    if not app.config.get("SECRET_KEY"):
        if config_name != "development":
            raise RuntimeError("SECRET_KEY must be set in the environment.")
        app.config["SECRET_KEY"] = _instance_secret(app.instance_path)
    if not app.config.get("PORTAL_FIELD_KEY"):
        if config_name != "development":
            raise RuntimeError("PORTAL_FIELD_KEY must be set in the environment.")
        app.config["PORTAL_FIELD_KEY"] = _instance_field_key(app.instance_path)
    _configure_engine(app)
    _trust_proxies(app)
    register_extensions(app)
    register_blueprints(app)
    register_errorhandlers(app)
    register_request_hooks(app)
    register_template_helpers(app)
    register_commands(app)
    return app


def register_logging(app: Flask) -> None:
    """Logs as text or JSON lines, each record with its request id (first, so every later hook's
    records carry it)."""
    from portal import logs
    from portal.web import request_id

    request_id.register(app)
    logs.configure(app)


def _instance_secret(instance_path: str) -> str:
    """Development only: a random key kept in instance/ (never in the repository)."""
    path = os.path.join(instance_path, "secret_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(secrets.token_hex(32))
    with open(path) as f:
        return f.read().strip()


def _instance_field_key(instance_path: str) -> str:
    """Development only: a Fernet key for sensitive fields kept in instance/field_key."""
    from cryptography.fernet import Fernet

    path = os.path.join(instance_path, "field_key")
    if not os.path.exists(path):
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as f:
            f.write(Fernet.generate_key().decode())
    with open(path) as f:
        return f.read().strip()


def _trust_proxies(app: Flask) -> None:
    """Behind PORTAL_TRUSTED_PROXIES reverse proxies, take the client's address, scheme and host
    from the headers those proxies set (only their hops: an entry a client forged is ignored),
    so throttling, the audit trail and the logs see the client, not the proxy."""
    hops = int(app.config.get("PORTAL_TRUSTED_PROXIES") or 0)
    if hops < 0:
        raise RuntimeError("PORTAL_TRUSTED_PROXIES must be 0 or more.")
    if hops:
        app.wsgi_app = ProxyFix(app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops)


def _configure_engine(app: Flask) -> None:
    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    options = dict(app.config.get("SQLALCHEMY_ENGINE_OPTIONS") or {})
    if uri.startswith("sqlite"):
        options.setdefault("connect_args", {"timeout": 10})
    else:
        options.setdefault("pool_pre_ping", True)
    app.config["SQLALCHEMY_ENGINE_OPTIONS"] = options


def register_extensions(app: Flask) -> None:
    """Bind the unbound extensions to this app."""
    from portal import models  # noqa: F401  (the whole metadata, for migrations)
    from portal.auth import sessions
    from portal.extensions import babel, csrf, db, limiter, login_manager, migrate
    from portal.i18n import install_template_gettext, select_locale, select_timezone

    db.init_app(app)
    migrate.init_app(app, db, directory=os.path.join(os.path.dirname(app.root_path), "migrations"))
    csrf.init_app(app)
    limiter.init_app(app)
    babel.init_app(app, locale_selector=select_locale, timezone_selector=select_timezone)
    install_template_gettext(app)
    sessions.init_login_manager(login_manager)
    login_manager.init_app(app)
    from portal import tasks
    from portal.audit import trail
    from portal.segments import rollup

    trail.install(db)
    rollup.install()
    tasks.init_app(app)


def register_blueprints(app: Flask) -> None:
    """Import and register one blueprint per area (imports stay inside: portal never imports
    blueprints at module level)."""
    from blueprints.admin import bp as admin_bp
    from blueprints.agreements import bp as agreements_bp
    from blueprints.api.setup import init_api
    from blueprints.audit import bp as audit_bp
    from blueprints.auth import bp as auth_bp
    from blueprints.companies import bp as companies_bp
    from blueprints.main import bp as main_bp
    from blueprints.notifications import bp as notifications_bp
    from blueprints.org import bp as org_bp
    from blueprints.pipeline import bp as pipeline_bp
    from blueprints.quotas import bp as quotas_bp
    from blueprints.rankings import bp as rankings_bp
    from blueprints.reminders import bp as reminders_bp
    from blueprints.reviews import bp as reviews_bp
    from blueprints.scoring import bp as scoring_bp
    from blueprints.search import bp as search_bp
    from blueprints.selfservice import bp as self_bp
    from blueprints.stations import bp as stations_bp
    from blueprints.surveys import bp as surveys_bp

    app.register_blueprint(main_bp)
    app.register_blueprint(auth_bp)
    app.register_blueprint(companies_bp, url_prefix="/companies")
    app.register_blueprint(self_bp, url_prefix="/self")
    app.register_blueprint(admin_bp, url_prefix="/admin")
    app.register_blueprint(agreements_bp, url_prefix="/agreements")
    app.register_blueprint(rankings_bp, url_prefix="/rankings")
    app.register_blueprint(scoring_bp, url_prefix="/scoring")
    app.register_blueprint(notifications_bp, url_prefix="/notifications")
    app.register_blueprint(search_bp, url_prefix="/search")
    app.register_blueprint(quotas_bp, url_prefix="/quotas")
    app.register_blueprint(pipeline_bp, url_prefix="/pipeline")
    app.register_blueprint(reminders_bp, url_prefix="/reminders")
    app.register_blueprint(reviews_bp, url_prefix="/reviews")
    app.register_blueprint(audit_bp, url_prefix="/audit")
    app.register_blueprint(org_bp, url_prefix="/org")
    app.register_blueprint(stations_bp, url_prefix="/stations")
    app.register_blueprint(surveys_bp)
    init_api(app)


def register_errorhandlers(app: Flask) -> None:
    """HTML error pages for 400, 403, 404, 405, 413 and 500."""
    from portal.web import errors

    errors.register(app)


def register_request_hooks(app: Flask) -> None:
    """Access policy, SQLite transaction mode, security headers."""
    from portal.web import hooks

    hooks.register(app)


def register_template_helpers(app: Flask) -> None:
    """Filters and globals the templates share."""
    from portal.web import template_helpers

    template_helpers.register(app)


def register_commands(app: Flask) -> None:
    """The `flask` commands of DESIGN §6."""
    from portal import cli

    cli.register(app)
