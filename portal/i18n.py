"""Locale and time zone selection: Simplified Chinese by default, English on request."""

from collections.abc import Callable
from typing import TypeVar

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from jinja2.runtime import Context

T = TypeVar("T")


def select_locale() -> str:
    """The language the user chose (API clients: by Accept-Language), else the default (zh);
    jobs and commands (no request) get the default."""
    lang = None
    if has_request_context():
        if request.path.startswith("/api/"):
            lang = request.accept_languages.best_match(current_app.config["LANGUAGES"])
        else:
            lang = session.get("lang")
    if lang in current_app.config["LANGUAGES"]:
        return lang
    return current_app.config["BABEL_DEFAULT_LOCALE"]


def current_language() -> str | None:
    """The language of this request, or of the `force_locale` block around the caller ("zh" or
    "en"); None outside an app context."""
    if not has_app_context():
        return None
    locale = get_locale()
    return locale.language if locale is not None else None


def select_timezone() -> str:
    """Everyone sees times in the portal's time zone (Asia/Shanghai)."""
    return current_app.config["PORTAL_TIMEZONE"]


def once_per_language(key, build: Callable[[], T]) -> T:
    """`build()` in the current language, made once per app, language and `key` and kept: for
    what every page shows in translation and that does not change while the app runs (the
    catalogue itself, the navbar, the dossier's tabs). Outside an app context it is built
    each time."""
    language = current_language()
    if language is None:
        return build()
    cache = current_app.extensions.setdefault("portal.per_language", {})
    value = cache.get((key, language), _MISSING)
    if value is _MISSING:
        value = cache[key, language] = build()
    return value


_MISSING = object()


def translations() -> Translations | NullTranslations:
    """The catalogue of the current language: Flask-Babel's, looked up once per app and
    language instead of through its context proxies on every string."""
    return once_per_language("catalogue", get_translations)


def install_template_gettext(app: Flask) -> None:
    """Templates translate with Jinja's newstyle gettext (Markup under autoescape, variables
    always %-formatted) on the render's catalogue, in place of Flask-Babel's callables, which
    look the catalogue up through its context proxies on every string."""
    app.context_processor(lambda: {RENDER_CATALOGUE: translations()})
    app.jinja_env.install_gettext_callables(
        gettext=pass_context(lambda ctx, s: render_catalogue(ctx).ugettext(s)),
        ngettext=pass_context(lambda ctx, s, p, n: render_catalogue(ctx).ungettext(s, p, n)),
        pgettext=pass_context(lambda ctx, c, s: render_catalogue(ctx).upgettext(c, s)),
        npgettext=pass_context(lambda ctx, c, s, p, n: render_catalogue(ctx).unpgettext(c, s, p, n)),
        newstyle=True,
    )
    # `_` is that gettext itself: the i18n extension's `_` looks `gettext` up and calls it
    # through the context again on every string.
    app.jinja_env.globals["_"] = app.jinja_env.globals["gettext"]


RENDER_CATALOGUE = "portal_catalogue"


def render_catalogue(context: Context) -> Translations | NullTranslations:
    """The catalogue a context processor put in this render's context, looked up once per
    render (a render inside force_locale gets that language's); macros imported without
    context see only the globals and look it up themselves."""
    catalogue = context.get(RENDER_CATALOGUE)
    return translations() if catalogue is None else catalogue
