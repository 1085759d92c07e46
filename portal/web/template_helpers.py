"""Filters and globals for templates: money, times in the portal's zone, labels, URLs."""

from datetime import UTC, date, datetime

from flask import Flask, request, url_for
from flask_babel import format_date, format_datetime, get_locale
from flask_login import current_user

from portal import labels
from portal.alerts import display as alert_display
from portal.auth.policy import may_open
from portal.auth.roles import sees_every_branch
from portal.i18n import once_per_language

# One formatting of money and percentages for pages and PDFs alike (the portal's two languages
# both write 12,345.67).
from portal.pdf import money, percent, whole_money
from portal.scoring.access import may_manage_scoring


def local_datetime(value: datetime | None, fmt: str = "medium") -> str:
    """A naive-UTC datetime from the database, shown in the portal's time zone."""
    if value is None:
        return "–"
    return _formatted(format_datetime, value.replace(tzinfo=UTC), fmt)


def local_date(value: date | None, fmt: str = "medium") -> str:
    """A date in the user's language."""
    if value is None:
        return "–"
    return _formatted(format_date, value, fmt)


FORMATTED_KEPT = 10_000


def _formatted(format_with, value: date, fmt: str) -> str:
    """Babel's text for `value` in the current language and the portal's zone, kept per app
    and language: Babel spends about 20 µs on each, and pages show the same dates again and
    again (due dates, agreement years, the days of a month). The zone is the app's own
    (select_timezone), so the language is the only thing that varies."""
    kept = once_per_language("formatted-dates", dict)
    key = (format_with, value, fmt)
    text = kept.get(key)
    if text is None:
        if len(kept) >= FORMATTED_KEPT:
            kept.clear()  # a bound, not a policy: it fills again with what pages show
        text = kept[key] = format_with(value, fmt)
    return text


def url_with(**changes) -> str:
    """The current page's URL with some query arguments changed (for sort and paging links)."""
    args = request.args.to_dict()
    args.update({k: v for k, v in changes.items() if v is not None})
    for key in [k for k, v in changes.items() if v is None]:
        args.pop(key, None)
    return url_for(request.endpoint, **(request.view_args or {}), **args)


def register(app: Flask) -> None:
    """Make the helpers available to every template."""
    app.add_template_filter(money)
    app.add_template_filter(whole_money)
    app.add_template_filter(percent)
    app.add_template_filter(local_datetime)
    app.add_template_filter(local_date)
    app.add_template_filter(labels.label)
    app.add_template_global(url_with)
    app.add_template_global(labels.label)
    app.add_template_global(get_locale)
    app.add_template_global(alert_display.reasons, "alert_reasons")
    # Who may do what: pages ask the predicates the routes and services use.
    app.add_template_global(may_open)
    app.add_template_global(sees_every_branch)
    app.add_template_global(may_manage_scoring)

    @app.context_processor
    def _navigation():
        from portal.web.navigation import items_for

        user = current_user if current_user and current_user.is_authenticated else None
        return {"nav_items": items_for(user)}
