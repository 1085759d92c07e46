"""The dossier's tabs, in order: each its own page under /companies/<id>, sharing the header
(name, tier, status, actions) and the tab bar. The overview is the dossier's front page;
the other tabs load only what they show, so opening a company stays quick however much
history it has."""

from dataclasses import dataclass, replace

from flask import render_template
from flask_babel import lazy_gettext as _l
from flask_login import current_user

from portal.companies.access import may_change
from portal.companies.models import Company
from portal.i18n import once_per_language


@dataclass(frozen=True)
class Tab:
    id: str
    label: str
    endpoint: str


TABS = (
    Tab("overview", _l("Overview"), "companies.detail"),
    Tab("travellers", _l("Key travellers"), "companies.travellers"),
    Tab("score", _l("Score"), "companies.score"),
    Tab("timeline", _l("Timeline"), "companies.timeline_page"),
    Tab("documents", _l("Documents"), "companies.documents"),
    Tab("agreements", _l("Agreements"), "companies.agreements"),
    Tab("quotas", _l("Quotas and requests"), "companies.quotas"),
    Tab("travel", _l("Travel history"), "companies.travel_page"),
    Tab("reviews", _l("Reviews"), "companies.reviews"),
    Tab("audit", _l("Audit trail"), "companies.audit"),
)


def render_tab(tab_id: str, template: str, company: Company, **context) -> str:
    """A dossier tab's page: `template` extends companies/_dossier.html, which draws the
    header and the tab bar with this tab marked. The labels are translated once per language."""
    context.setdefault("can_change", may_change(current_user, company))
    tabs = once_per_language("dossier-tabs", lambda: tuple(replace(t, label=str(t.label)) for t in TABS))
    tab = next(t for t in tabs if t.id == tab_id)
    return render_template(template, company=company, tabs=tabs, tab=tab, **context)
