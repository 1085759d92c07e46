"""Locale and time zone selection: Simplified Chinese by default, English on request."""

from flask import current_app, has_request_context, session


def select_locale() -> str:
    """The language the user chose, else the default (zh); jobs and commands (no request) get
    the default."""
    lang = session.get("lang") if has_request_context() else None
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def select_timezone() -> str:
    """Everyone sees times in the portal's time zone (Asia/Shanghai)."""
    return current_app.config["PORTAL_TIMEZONE"]
