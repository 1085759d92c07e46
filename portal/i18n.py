"""Locale and time zone selection: Simplified Chinese by default, English on request."""

from collections.abc import Callable
from typing import TypeVar

from babel.support import NullTranslations, Translations
from flask import Flask, current_app, g, has_app_context, has_request_context, request, session
from flask_babel import get_locale, get_translations
from jinja2 import pass_eval_context
from markupsafe import Markup

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
    "en"); None outside an app context.

    Labels ask for it hundreds of times a page and `get_locale()` looks the context up through
    several proxies each time, so this reads Flask-Babel's per-context locale (which
    force_locale also sets) directly, and falls back to get_locale() when it is not there yet."""
    if not has_app_context():
        return None
    locale = getattr(g.get("_flask_babel"), "babel_locale", None) or get_locale()
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
    """Templates translate through `translations()`: the render's own catalogue for the page's
    templates (template_gettext) and, for imported macros, which see only the environment's
    globals, callables that replace Flask-Babel's (same newstyle behaviour, cheaper lookup)."""
    app.jinja_env.install_gettext_callables(
        gettext=lambda s: translations().ugettext(s),
        ngettext=lambda s, p, n: translations().ungettext(s, p, n),
        pgettext=lambda c, s: translations().upgettext(c, s),
        npgettext=lambda c, s, p, n: translations().unpgettext(c, s, p, n),
        newstyle=True,
    )
    app.context_processor(template_gettext)


def template_gettext() -> dict:
    """gettext and ngettext for one template render, bound to this request's translations.

    A page has a hundred strings or more; these look the catalogue up once per render, which
    still follows force_locale (a render inside it gets its catalogue). Same newstyle
    behaviour as Jinja's: Markup under autoescape, variables always %-formatted. A string
    without variables comes out the same every time, so its escaped translation is kept per
    language (templates pass literals: the number of such strings is bounded by the code)."""
    catalogue = translations()
    plain = once_per_language("template-strings", dict)

    @pass_eval_context
    def gettext(eval_ctx, string: str, **variables) -> str:
        if eval_ctx.autoescape and not variables:
            text = plain.get(string)
            if text is None:
                text = plain[string] = Markup(catalogue.ugettext(string)) % variables
            return text
        text = catalogue.ugettext(string)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    @pass_eval_context
    def ngettext(eval_ctx, singular: str, plural: str, num: int, **variables) -> str:
        variables.setdefault("num", num)
        text = catalogue.ungettext(singular, plural, num)
        return (Markup(text) if eval_ctx.autoescape else text) % variables

    return {"gettext": gettext, "_": gettext, "ngettext": ngettext}
