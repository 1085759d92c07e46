"""Render slots: at most N renders of a pool at once, across every process and worker.

A render takes one of its pool's numbered slots by inserting a RenderSlot row; the unique
(pool, slot) key is what makes the limit hold when several gunicorn workers race (no count is
read and then acted on). The row is deleted when the render ends; a row left by a process that
died expires after `stale_after`. Each take and release is its own short committed transaction,
so no transaction stays open during the render itself.
"""

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import delete, func, insert, select
from sqlalchemy.exc import IntegrityError

from portal.db import sqlite_begin, utcnow
from portal.errors import DomainError
from portal.extensions import db
from portal.rendering.models import RenderSlot


class SlotsBusy(DomainError):
    """Every slot of the pool is held by a running render."""


def take(pool: str, limit: int, *, stale_after: timedelta) -> int | None:
    """Take a free slot of `pool` (one of 1..limit); commits. The slot row's id, or None when
    all are held."""
    with sqlite_begin("BEGIN IMMEDIATE"):
        db.session.execute(
            delete(RenderSlot).where(RenderSlot.pool == pool, RenderSlot.started_at < utcnow() - stale_after)
        )
        for number in range(1, limit + 1):
            try:
                with db.session.begin_nested():
                    slot_id = db.session.scalar(
                        insert(RenderSlot)
                        .values(pool=pool, slot=number, started_at=utcnow())
                        .returning(RenderSlot.id)
                    )
            except IntegrityError:
                continue  # held by another render: try the next number
            db.session.commit()
            return slot_id
        db.session.commit()
    return None


def all_held(pool: str, limit: int, stale_after: timedelta) -> bool:
    """Whether every slot of `pool` is held by a live render (a check before queuing work that
    would only wait; the slot itself is still taken by `take`)."""
    held = db.session.scalar(
        select(func.count(RenderSlot.id)).where(
            RenderSlot.pool == pool, RenderSlot.started_at >= utcnow() - stale_after
        )
    )
    return held >= limit


def release(slot_id: int) -> None:
    """Give a slot back; commits."""
    with sqlite_begin("BEGIN IMMEDIATE"):
        db.session.execute(delete(RenderSlot).where(RenderSlot.id == slot_id))
        db.session.commit()


@contextmanager
def render_slot(pool: str, limit: int, *, stale_after: timedelta) -> Iterator[None]:
    """Hold a slot of `pool` for the block; raises SlotsBusy when all `limit` are held.
    Call it with no transaction open that should not be committed."""
    slot_id = take(pool, limit, stale_after=stale_after)
    if slot_id is None:
        raise SlotsBusy(pool)
    try:
        yield
    finally:
        release(slot_id)
