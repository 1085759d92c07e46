"""The main navigation: derived from the access policy, so a link shows only when allowed."""

from flask import current_app, url_for
from flask_babel import lazy_gettext as _l

from portal.auth.policy import access_of

# (endpoint, label) in display order; areas that do not exist yet are simply absent.
NAV = (
    ("selfservice.home", _l("My company")),
    ("main.dashboard", _l("Home")),
    ("companies.index", _l("Companies")),
    ("rankings.index", _l("Rankings")),
    ("agreements.index", _l("Agreements")),
    ("pipeline.index", _l("Pipeline")),
    ("reminders.index", _l("Reminders")),
    ("reviews.index", _l("Reviews")),
    ("admin.users", _l("Administration")),
)


def items_for(user) -> list[dict]:
    """Links the user may follow, in order."""
    if user is None:
        return []
    items = []
    for endpoint, text in NAV:
        if endpoint not in current_app.view_functions:
            continue
        access = access_of(endpoint) or frozenset()
        if user.role in access:
            items.append({"endpoint": endpoint, "url": url_for(endpoint), "label": text})
    return items
