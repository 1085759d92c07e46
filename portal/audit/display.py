"""The one formatter of audit events for people: field labels, coded values translated, secrets
masked, long values cut. The dossier's audit tab, the audit viewer and its CSV export use it."""

from dataclasses import dataclass

from flask import url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy import literal, select, union_all

from portal.audit.models import AuditEvent
from portal.audit.trail import NOT_AUDITED, SECRET_COLUMNS
from portal.auth.models import User
from portal.companies.models import Company
from portal.db import Base
from portal.extensions import db
from portal.labels import LABELS, label
from portal.org.models import Branch, SalesOffice

NOISE = {"id", "company_id", "created_at", "updated_at"}
VALUE_CHARS = 120

FIELD_LABELS = {
    "name": _l("Name"),
    "name_zh": _l("Chinese name"),
    "name_en": _l("English name"),
    "code": _l("Code"),
    "city": _l("City"),
    "address": _l("Address"),
    "credit_code": _l("Credit code"),
    "industry": _l("Industry"),
    "headcount_band": _l("Headcount"),
    "office_id": _l("Sales office"),
    "branch_id": _l("Branch"),
    "manager_id": _l("Account manager"),
    "parent_id": _l("Parent company"),
    "status": _l("Status"),
    "tier": _l("Tier"),
    "activity_status": _l("Activity"),
    "email": _l("Email"),
    "role": _l("Role"),
    "phone": _l("Phone"),
    "title": _l("Title"),
    "is_enabled": _l("Enabled"),
    "password_hash": _l("Password"),
    "session_version": _l("Session version"),
    "closed_at": _l("Closed at"),
    "deleted_at": _l("Deleted at"),
    "kind": _l("Kind"),
    "stage": _l("Stage"),
    "lost_reason": _l("Reason lost"),
    "owner_id": _l("Owner"),
    "assignee_id": _l("Assignee"),
    "due_on": _l("Due on"),
    "due_at": _l("Due at"),
    "summary": _l("Summary"),
    "outcome": _l("Outcome"),
    "next_step": _l("Next step"),
    "complaint_status": _l("Complaint status"),
    "member_tier": _l("Member tier"),
    "seat_preference": _l("Seat preference"),
    "meal_preference": _l("Meal preference"),
    "ff_number": _l("Frequent-flyer number"),
    "id_document_type": _l("Identity document"),
    "id_document_masked": _l("Document number"),
    "id_document_encrypted": _l("Document number (encrypted)"),
    "notes": _l("Notes"),
    "note": _l("Note"),
    "valid_from": _l("Valid from"),
    "valid_to": _l("Valid to"),
    "expected_revenue_fen": _l("Expected revenue (fen)"),
    "probability": _l("Probability"),
    "close_date": _l("Close date"),
    "cabin": _l("Cabin"),
    "scope": _l("Scope"),
    "reason": _l("Reason"),
    "field": _l("Field"),
    "type": _l("Type"),
    "companies": _l("Companies"),
    "managers": _l("New managers"),
    "from_office_id": _l("From office"),
    "ended_at": _l("Ended at"),
    "started_at": _l("Started at"),
    "author_id": _l("Author"),
    "assigned_by_id": _l("Assigned by"),
    "user_id": _l("User"),
}

# Columns holding the id of a row people know by name: shown as "name (#id)".
REFERENCES = {
    "office_id": SalesOffice,
    "from_office_id": SalesOffice,
    "branch_id": Branch,
    "manager_id": User,
    "owner_id": User,
    "assignee_id": User,
    "author_id": User,
    "assigned_by_id": User,
    "user_id": User,
    "parent_id": Company,
}
NAME_COLUMN = {
    SalesOffice: SalesOffice.name_zh,
    Branch: Branch.name_zh,
    User: User.name,
    Company: Company.name_zh,
}

# Columns whose stored codes have labels; (entity, column) first, then the column alone.
VALUE_KINDS = {
    ("company", "status"): "company_status",
    ("agreement", "status"): "agreement_status",
    ("priority_request", "status"): "request_status",
    ("review", "status"): "review_status",
    ("interaction", "kind"): "interaction_kind",
    ("opportunity", "kind"): "opportunity_kind",
    ("reminder", "kind"): "reminder_kind",
    ("document", "kind"): "document_kind",
    ("notification", "kind"): "notification_kind",
    "role": "role",
    "tier": "tier",
    "activity_status": "activity_status",
    "industry": "industry",
    "headcount_band": "headcount_band",
    "cabin": "cabin",
    "member_tier": "member_tier",
    "seat_preference": "seat_preference",
    "meal_preference": "meal_preference",
    "complaint_status": "complaint_status",
    "stage": "opportunity_stage",
    "from_stage": "opportunity_stage",
    "to_stage": "opportunity_stage",
    "lost_reason": "lost_reason",
    "id_document_type": "id_document_type",
    "scope": "discount_scope",
}


@dataclass
class Change:
    """One field of an event: its key, its label, and the values before and after."""

    key: str
    label: str
    old: str | None
    new: str | None


@dataclass
class AuditLine:
    """An audit event as people read it: who, what, when, and each field before → after."""

    event: AuditEvent
    changes: list[Change]

    @property
    def action(self) -> str:
        return label(self.event.action, "audit_action")

    @property
    def entity(self) -> str:
        return label(self.event.entity, "audit_entity")


def entity_choices() -> list[tuple[str, str]]:
    """(entity, label) for every kind of record the trail holds, labelled ones first."""
    audited = {t for t in Base.metadata.tables if t not in NOT_AUDITED} | {"request"}
    labelled = [(k, str(v)) for k, v in LABELS["audit_entity"].items() if k in audited]
    return labelled + [(t, t) for t in sorted(audited - set(LABELS["audit_entity"]))]


def field_label(key: str) -> str:
    """The field's label; the column name when it has none."""
    text = FIELD_LABELS.get(key)
    return str(text) if text is not None else key


Names = dict[tuple[type, int], str]


def _references(value, key: str, found: dict[type, set[int]]) -> None:
    """Collect the ids `value` refers to (a list of {"id", ...} rows names companies)."""
    if isinstance(value, list):
        for item in value:
            if isinstance(item, dict):
                if isinstance(item.get("id"), int):
                    found.setdefault(Company, set()).add(item["id"])
                for inner_key, inner in item.items():
                    _references(inner, inner_key, found)
    elif key in REFERENCES and isinstance(value, int) and not isinstance(value, bool):
        found.setdefault(REFERENCES[key], set()).add(value)


def names_for(events) -> Names:
    """The names of every row the events refer to by id, in one statement whatever they refer
    to (a page of the trail costs the same however its events are made up)."""
    found: dict[type, set[int]] = {}
    for event in events:
        for values in (event.before, event.after):
            if isinstance(values, dict):
                for key, value in values.items():
                    _references(value, key, found)
    if not found:
        return {}
    models = list(NAME_COLUMN)
    parts = [
        select(literal(position), model.id, NAME_COLUMN[model]).where(
            model.id.in_(sorted(i for i in found.get(model, ()) if 0 < i < 2**31))
        )
        for position, model in enumerate(models)
    ]
    rows = db.session.execute(union_all(*parts))
    return {(models[position], row_id): name for position, row_id, name in rows}


def _named(model: type, row_id: int, names: Names) -> str:
    name = names.get((model, row_id))
    return f"{name} (#{row_id})" if name else f"#{row_id}"


def shown_value(entity: str, key: str, value, names: Names | None = None) -> str | None:
    """A stored value as people read it: codes translated, ids named, secrets masked, long
    text cut."""
    if value is None:
        return None
    if key in SECRET_COLUMNS or "password" in key or "encrypted" in key:
        return "***"  # the trail masks these already; never trust one layer alone
    if isinstance(value, bool):
        return _("Yes") if value else _("No")
    names = names or {}
    if key in REFERENCES and isinstance(value, int):
        return _named(REFERENCES[key], value, names)
    if isinstance(value, list) and all(isinstance(item, dict) for item in value):
        text = "; ".join(_row_text(entity, item, names) for item in value)
    else:
        kind = VALUE_KINDS.get((entity, key)) or VALUE_KINDS.get(key)
        if kind is not None and isinstance(value, str) and value in LABELS[kind]:
            return label(value, kind)
        text = value if isinstance(value, str) else str(value)
    return text if len(text) <= VALUE_CHARS else text[: VALUE_CHARS - 1] + "…"


def _row_text(entity: str, item: dict, names: Names) -> str:
    """One row of a bulk change (e.g. a moved company): its name, then its other fields."""
    head = _named(Company, item["id"], names) if isinstance(item.get("id"), int) else ""
    rest = [f"{field_label(k)} {shown_value(entity, k, v, names)}" for k, v in item.items() if k != "id"]
    return ", ".join(filter(None, [head, *rest]))


def audit_line(event: AuditEvent, names: Names | None = None) -> AuditLine:
    """The event with its changed fields labelled, ids named, secrets masked and long values
    cut (`names` from `names_for`; without it ids show as numbers)."""
    before = event.before if isinstance(event.before, dict) else {}
    after = event.after if isinstance(event.after, dict) else {}
    changes = []
    for key in dict.fromkeys([*after.keys(), *before.keys()]):
        if key in NOISE:
            continue
        old = shown_value(event.entity, key, before.get(key), names)
        new = shown_value(event.entity, key, after.get(key), names)
        if event.action == "create" and new is None:
            continue
        changes.append(Change(key, field_label(key), old, new))
    return AuditLine(event, changes)


def audit_lines(events) -> list[AuditLine]:
    """`audit_line` for a page of events, the rows they refer to named in one go."""
    names = names_for(events)
    return [audit_line(event, names) for event in events]


def trail_batch_url(batch: str) -> str:
    """The audit viewer's page of every event of one change."""
    return url_for("audit.index", batch=batch)
