"""The main navigation: derived from the access policy, so a link shows only when allowed."""

from flask import current_app, request, url_for
from flask_babel import lazy_gettext as _l

from portal.auth.policy import role_may_open
from portal.i18n import once_per_language

# (endpoint, label) in display order; areas that do not exist yet are simply absent.
NAV = (
    ("selfservice.home", _l("My company")),
    ("stations.index", _l("My station")),
    ("main.home", _l("My day")),
    ("companies.index", _l("Companies")),
    ("rankings.index", _l("Rankings")),
    ("rankings.portfolio", _l("Portfolio")),
    ("scoring.config", _l("Scoring")),
    ("agreements.index", _l("Agreements")),
    ("pipeline.index", _l("Pipeline")),
    ("reminders.index", _l("Reminders")),
    ("reviews.index", _l("Reviews")),
    ("audit.index", _l("Audit trail")),
    ("admin.users", _l("Administration")),
)


def items_for(user) -> list[dict]:
    """Links the user may follow, in order, the current page's marked active."""
    if user is None:
        return []
    items = [dict(link, active=False) for link in _links(user.role)]
    _mark_active(items, request.endpoint or "")
    return items


def _links(role: str) -> list[dict]:
    """The role's links, built once per app, language and mount point: every signed-in page
    shows them, and the access rules, URLs and labels they come from do not change."""
    return once_per_language(
        ("navigation", role, request.script_root),
        lambda: [
            {"endpoint": endpoint, "url": url_for(endpoint), "label": str(text)}
            for endpoint, text in NAV
            if endpoint in current_app.view_functions and role_may_open(role, endpoint)
        ],
    )


def _mark_active(items: list[dict], current: str) -> None:
    """The link of the current page is active; else the first link of the same area."""
    for item in items:
        if item["endpoint"] == current:
            item["active"] = True
            return
    area = current.split(".")[0]
    for item in items:
        if item["endpoint"].split(".")[0] == area:
            item["active"] = True
            return
