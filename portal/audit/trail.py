"""One mechanism for the audit trail: a flush hook writes an AuditEvent for every change.

Every mapped row is audited except the tables listed in NOT_AUDITED (the trail itself and
high-volume technical rows). Sensitive columns are written as "***".
"""

import contextvars
import uuid
from contextlib import contextmanager
from datetime import date, datetime
from decimal import Decimal

from flask import has_request_context, request
from flask_login import current_user
from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session

from portal.db import holding, utcnow

NOT_AUDITED = {
    "audit_event",
    "login_attempt",
    "job_run",
    "job_lock",
    "segment",
    "notification",
    "webhook_delivery",
}
SECRET_COLUMNS = {"password_hash", "id_document_encrypted", "token_hash", "secret_encrypted"}

_system_actor = contextvars.ContextVar("audit_system_actor", default=None)
_batch = contextvars.ContextVar("audit_batch", default=None)
_user_actor = contextvars.ContextVar("audit_user_actor", default=None)


def acting_as(label: str):
    """Attribute changes in the block to a non-human actor, e.g. "system:seed"."""
    return holding(_system_actor, label)


def acting_for(user_id: int, email: str):
    """Attribute changes in the block to a person outside their request (a task they queued)."""
    return holding(_user_actor, (user_id, email))


@contextmanager
def one_change():
    """Mark every event written in the block with one batch id (yielded): a bulk change, such
    as moving companies to another office, reads back as one change. Nested blocks join the
    outer batch."""
    outer = _batch.get()
    if outer:
        yield outer
        return
    batch = uuid.uuid4().hex
    with holding(_batch, batch):
        yield batch


def _actor() -> tuple[int | None, str]:
    label = _system_actor.get()
    if label:
        return None, label
    if _user_actor.get():
        return _user_actor.get()
    if has_request_context() and current_user and current_user.is_authenticated:
        return current_user.id, current_user.email
    return None, "anonymous" if has_request_context() else "system"


def _where() -> tuple[str | None, str | None]:
    if has_request_context():
        return (request.remote_addr or None), request.path[:500]
    return None, None


def _context() -> dict:
    """Who made the change, from where (the request's address and path) and in which batch: the
    columns every audit row fills the same way."""
    actor_id, actor_label = _actor()
    ip, path = _where()
    return dict(actor_id=actor_id, actor_label=actor_label, ip=ip, path=path, batch=_batch.get())


def _plain(value):
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _row_values(obj, keys) -> dict:
    mapper = inspect(obj).mapper
    values = {}
    for attr in mapper.column_attrs:
        if keys is not None and attr.key not in keys:
            continue
        value = getattr(obj, attr.key)
        values[attr.key] = "***" if attr.key in SECRET_COLUMNS and value is not None else _plain(value)
    return values


def _company_id(obj) -> int | None:
    if obj.__tablename__ == "company":
        return obj.id
    return getattr(obj, "company_id", None)


def _changes(obj) -> tuple[dict, dict]:
    before, after = {}, {}
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        old = history.deleted[0] if history.deleted else None
        new = history.added[0] if history.added else None
        if old == new:
            continue
        secret = attr.key in SECRET_COLUMNS
        before[attr.key] = "***" if secret and old is not None else _plain(old)
        after[attr.key] = "***" if secret and new is not None else _plain(new)
    return before, after


def _collect(session: Session) -> list[dict]:
    context = _context()
    now = utcnow()
    rows = []

    def add(obj, action, before, after):
        rows.append(
            dict(
                at=now,
                action=action,
                entity=obj.__tablename__,
                entity_id=getattr(obj, "id", None),
                company_id=_company_id(obj),
                before=before,
                after=after,
                **context,
            )
        )

    for obj in session.new:
        if obj.__tablename__ not in NOT_AUDITED:
            add(obj, "create", None, _row_values(obj, None))
    for obj in session.dirty:
        if obj.__tablename__ in NOT_AUDITED or not session.is_modified(obj, include_collections=False):
            continue
        before, after = _changes(obj)
        if after:
            action = "delete" if "deleted_at" in after and after["deleted_at"] else "update"
            add(obj, action, before, after)
    for obj in session.deleted:
        if obj.__tablename__ not in NOT_AUDITED:
            add(obj, "delete", _row_values(obj, None), None)
    return rows


def install(db) -> None:
    """Hook the trail into every session (idempotent)."""
    if event.contains(Session, "after_flush", _after_flush):
        return
    event.listen(Session, "after_flush", _after_flush)


def _after_flush(session: Session, flush_context) -> None:
    # After the flush new rows have their ids, while new/dirty/deleted and attribute
    # history still show what the flush wrote: everything the trail needs.
    rows = _collect(session)
    if rows:
        from portal.audit.models import AuditEvent

        session.connection().execute(insert(AuditEvent.__table__), rows)


def refusal_event(reason: str, *, company_id: int | None = None):
    """The trail's row of a refused access by the current actor (not added to any session: the
    refusing edge, portal.auth.policy.refuse, records it alone)."""
    from portal.audit.models import AuditEvent

    actor_id, actor_label = _actor()
    ip, path = _where()
    return AuditEvent(
        actor_id=actor_id,
        actor_label=actor_label,
        action="refused",
        entity="request",
        company_id=company_id,
        after={"reason": reason},
        ip=ip,
        path=path,
    )


def record_bulk(entity: str, changes: list[tuple[int, int | None, dict | None, dict | None]]) -> None:
    """Audit rows for changes written in bulk (Core statements bypass the flush hook).

    `changes` holds (entity_id, company_id, before, after) per changed row.
    """
    if not changes:
        return
    from portal.audit.models import AuditEvent
    from portal.extensions import db

    context = _context()
    now = utcnow()
    rows = [
        dict(
            at=now,
            action="update",
            entity=entity,
            entity_id=entity_id,
            company_id=company_id,
            before=before,
            after=after,
            **context,
        )
        for entity_id, company_id, before, after in changes
    ]
    db.session.execute(insert(AuditEvent.__table__), rows)


def record_event(
    action: str,
    entity: str,
    entity_id: int | None,
    *,
    company_id: int | None = None,
    after: dict | None = None,
) -> None:
    """Audit something that is not a row change (e.g. "reveal": a sensitive value was shown).

    The row joins the session's transaction; the caller commits. Never put a secret in `after`.
    """
    from portal.audit.models import AuditEvent
    from portal.extensions import db

    context = _context()
    db.session.flush()  # pending changes first, then the event: a statement, not an ORM object
    # The values as parameters, not .values(): no bound parameter is built for each value.
    db.session.connection().execute(
        insert(AuditEvent.__table__),
        dict(
            action=action, entity=entity, entity_id=entity_id, company_id=company_id, after=after, **context
        ),
    )
