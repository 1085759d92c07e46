"""The dossier's sections, in page order: each an anchor, a label in the section nav and a
partial template. A section shows only when its template exists, so an area that adds one
(documents, travel history) provides `companies/_<id>.html` and, for the data its template
needs, a `loader`: "module:function" taking the company and returning extra template context
(a fixed number of queries, whatever the company holds)."""

from dataclasses import dataclass

from flask import current_app
from flask_babel import lazy_gettext as _l
from jinja2 import TemplateNotFound
from werkzeug.utils import import_string


@dataclass(frozen=True)
class Section:
    id: str
    label: str
    template: str
    loader: str | None = None


SECTIONS = (
    Section("overview", _l("Overview"), "companies/_overview.html"),
    Section("score", _l("Score"), "companies/_score.html"),
    Section("timeline", _l("Timeline"), "companies/_timeline.html"),
    Section("contacts", _l("Contacts"), "companies/_contacts.html"),
    Section("travellers", _l("Key travellers"), "companies/_travellers.html"),
    Section("documents", _l("Documents"), "companies/_documents.html", "portal.companies.documents:section"),
    Section("agreements", _l("Agreements"), "companies/_agreements.html"),
    Section("quotas", _l("Quotas and requests"), "companies/_quotas.html"),
    Section("travel", _l("Travel history"), "companies/_travel.html", "blueprints.companies.travel:section"),
    Section("reviews", _l("Reviews"), "companies/_reviews.html"),
    Section("audit", _l("Audit trail"), "companies/_audit.html"),
)


def _exists(name: str) -> bool:
    try:
        current_app.jinja_env.get_template(name)
    except TemplateNotFound:
        return False
    return True


def available() -> list[Section]:
    """The sections whose templates exist, in page order."""
    return [s for s in SECTIONS if _exists(s.template)]


def extra_context(sections: list[Section], company) -> dict:
    """What the sections' loaders add to the dossier's template context."""
    context: dict = {}
    for section in sections:
        if section.loader:
            context.update(import_string(section.loader)(company))
    return context
