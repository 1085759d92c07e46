"""Declarative base with a naming convention, shared column helpers and SQLite tuning."""

import contextvars
import re
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, date, datetime
from math import ceil

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.engine import Engine
from sqlalchemy.orm import DeclarativeBase, Mapped, Session, mapped_column

from portal.timeutil import next_month

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class Base(DeclarativeBase):
    """Every model's base: one MetaData with stable constraint names for migrations."""

    metadata = sa.MetaData(naming_convention=NAMING_CONVENTION)


def utcnow() -> datetime:
    """Naive UTC now: the database keeps UTC without zone; pages convert to PORTAL_TIMEZONE."""
    return datetime.now(UTC).replace(tzinfo=None)


def choice(*values: str, name: str) -> sa.Enum:
    """A string column limited to `values` by a CHECK constraint (portable, no native enum)."""
    return sa.Enum(
        *values,
        name=name,
        native_enum=False,
        create_constraint=True,
        length=max(len(v) for v in values),
        validate_strings=True,
    )


def partial_index(name: str, *columns: str, where: str, unique: bool = False) -> sa.Index:
    """An index of only the rows that meet `where` (SQL), on SQLite and PostgreSQL alike."""
    return sa.Index(
        name, *columns, unique=unique, sqlite_where=sa.text(where), postgresql_where=sa.text(where)
    )


class TimestampMixin:
    """created_at / updated_at kept by the ORM."""

    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


def claim_row(session: Session, model: type, row_id: int, **expected) -> bool:
    """Whether the row still held `expected` (column=value) and is now claimed: a conditional
    UPDATE of its updated_at, so of two concurrent requests that read the same row only one
    matches (PostgreSQL re-checks the WHERE after the first commits; SQLite writers are serial)."""
    table = model.__table__
    matches = [table.c[column] == value for column, value in expected.items()]
    claimed = session.execute(
        sa.update(table).where(table.c.id == row_id, *matches).values(updated_at=utcnow())
    ).rowcount
    return claimed == 1


# SQLite: concurrent writers need WAL, a busy timeout and write transactions that take the
# write lock when they begin (BEGIN IMMEDIATE); a deferred transaction that later writes can
# fail at once with "database is locked". Read-only requests begin deferred so they never
# queue behind writers.
_sqlite_begin = contextvars.ContextVar("sqlite_begin", default="BEGIN IMMEDIATE")


@contextmanager
def holding(variable: contextvars.ContextVar, value):
    """Within the block, the context variable holds `value`; afterwards what it held before."""
    token = variable.set(value)
    try:
        yield
    finally:
        variable.reset(token)


def sqlite_begin(statement: str):
    """Within the block, SQLite transactions begin with `statement` (BEGIN or BEGIN IMMEDIATE)."""
    return holding(_sqlite_begin, statement)


def set_sqlite_begin(statement: str) -> None:
    """Set how SQLite transactions begin for the rest of this context (a request)."""
    _sqlite_begin.set(statement)


@event.listens_for(Engine, "connect")
def _sqlite_on_connect(dbapi_connection, connection_record):
    if type(dbapi_connection).__module__ != "sqlite3":
        return
    # Take transaction control away from pysqlite so our BEGIN is the one that runs.
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=10000")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


@event.listens_for(Engine, "begin")
def _on_begin(connection):
    connection.info["wrote"] = False
    if connection.dialect.name != "sqlite":
        return
    # An AUTOCOMMIT connection must not get a BEGIN: nothing would ever commit it.
    if connection.get_execution_options().get("isolation_level") == "AUTOCOMMIT":
        return
    connection.exec_driver_sql(_sqlite_begin.get())


# A read-only transaction may end in COMMIT as well as ROLLBACK, and on PostgreSQL that
# matters: psycopg forgets its prepared statements on every ROLLBACK, so pages whose reads
# were rolled back had every statement parsed and planned again on the next request.
# Anything but a SELECT (or our own BEGIN) counts as a write, so a transaction that wrote
# anything, even by mistake on a GET, is never committed by `commit_if_only_read`.
_READ = re.compile(r"\s*(SELECT|BEGIN)\b", re.IGNORECASE).match


@event.listens_for(Engine, "before_cursor_execute")
def _note_writes(conn, cursor, statement, parameters, context, executemany):
    if not _READ(statement):
        conn.info["wrote"] = True


def commit_if_only_read(session: Session) -> bool:
    """End the session's transaction with COMMIT if it ran only SELECTs and holds no pending
    change (the same outcome as a rollback, but PostgreSQL keeps its prepared statements).
    Returns whether it committed."""
    if session.get_transaction() is None or session.new or session.dirty or session.deleted:
        return False
    if session.connection().info.get("wrote", True):
        return False
    session.commit()
    return True


def reads_in_autocommit(session: Session) -> None:
    """On PostgreSQL, run the session's statements in the driver's autocommit until it commits or
    rolls back: an API read, whose only write is its audit row, then costs no BEGIN and COMMIT
    round trips, and each statement sees its own snapshot. A session already in a transaction,
    or bound to a connection with one (the tests' outer transaction), keeps it."""
    bind = session.get_bind()
    if session.get_transaction() is None and isinstance(bind, Engine) and bind.dialect.name == "postgresql":
        session.connection(execution_options={"isolation_level": "AUTOCOMMIT"})


def read_rows(session: Session, statement: sa.Executable, params: dict | None = None) -> sa.CursorResult:
    """Run a select of columns (no ORM objects) on the session's connection: the rows
    session.execute would give, without the ORM's work around each statement (about 25 µs),
    for the reads every page view makes. Pending changes are flushed first, as
    session.execute would."""
    if session.autoflush:
        session.flush()
    return session.connection().execute(statement, params)


class Page:
    """One page of a list: its items, the total across all pages and the page numbers the
    pagination macro shows (the attributes of Flask-SQLAlchemy's pagination that templates
    use, for lists that are not a select of ORM objects)."""

    def __init__(self, items: list, total: int, *, page: int, per_page: int) -> None:
        self.items = items
        self.total = total
        self.page = page
        self.per_page = per_page

    def __iter__(self):
        return iter(self.items)

    @property
    def pages(self) -> int:
        return ceil(self.total / self.per_page) if self.total else 0

    @property
    def first(self) -> int:
        """The number of the page's first item, from 1 (0 when it has none)."""
        return (self.page - 1) * self.per_page + 1 if self.items else 0

    @property
    def last(self) -> int:
        return max(self.first, self.first + len(self.items) - 1)

    @property
    def has_prev(self) -> bool:
        return self.page > 1

    @property
    def prev_num(self) -> int | None:
        return self.page - 1 if self.has_prev else None

    @property
    def has_next(self) -> bool:
        return self.page < self.pages

    @property
    def next_num(self) -> int | None:
        return self.page + 1 if self.has_next else None

    def iter_pages(
        self, *, left_edge: int = 2, left_current: int = 2, right_current: int = 4, right_edge: int = 2
    ) -> Iterator[int | None]:
        """Page numbers for the pagination bar: the edges and the pages around this one, None
        for each gap (with 20 pages, on page 7: 1, 2, None, 5 ... 11, None, 19, 20)."""
        pages_end = self.pages + 1
        if pages_end == 1:
            return
        left_end = min(1 + left_edge, pages_end)
        yield from range(1, left_end)
        if left_end == pages_end:
            return
        mid_start = max(left_end, self.page - left_current)
        mid_end = min(self.page + right_current + 1, pages_end)
        if mid_start > left_end:
            yield None
        yield from range(mid_start, mid_end)
        if mid_end == pages_end:
            return
        right_start = max(mid_end, pages_end - right_edge)
        if right_start > mid_end:
            yield None
        yield from range(right_start, pages_end)


def paginate_rows(session: Session, select: sa.Select, count: sa.Select, *, page: int, per_page: int) -> Page:
    """Page `page` of `select`'s rows (lists that show columns, not ORM objects); `count` counts
    them all, a lean statement of its own (Flask-SQLAlchemy's pagination loads ORM objects and
    counts a subquery of the whole select, which costs more than the page itself on a long
    list). Like the portal's other lists, a page past the end is empty rather than a 404."""
    page = max(page, 1)
    per_page = min(per_page, 100) if per_page >= 1 else 20
    items = list(session.execute(select.limit(per_page).offset((page - 1) * per_page)))
    return Page(items, session.scalar(count), page=page, per_page=per_page)


def where_given(stmt: sa.Select, *filters: tuple) -> sa.Select:
    """`stmt` narrowed to `column == value` for each (column, value) of a list's filters whose
    value is given: a filter left blank narrows nothing."""
    for column, value in filters:
        if value:
            stmt = stmt.where(column == value)
    return stmt


def grouped(session: Session, key, value, *conditions) -> dict:
    """{key: value} over the rows that meet `conditions`, grouped by `key` (`value` an
    aggregate such as func.count(...) or func.max(...))."""
    return dict(session.execute(sa.select(key, value).where(*conditions).group_by(key)).all())


def in_month(column, month: date) -> sa.ColumnElement[bool]:
    """The date `column` falls in the month that starts on `month`."""
    return sa.and_(column >= month, column < next_month(month))


INSERT_BATCH = 500  # rows per INSERT (within SQLite's limit on bound parameters)


def insert_missing(session: Session, model, rows: list[dict], unique: list[str]) -> int:
    """Insert `rows` (all with the same keys), skipping those whose `unique` key exists; how many
    were new. One INSERT per INSERT_BATCH rows, whatever the number of rows."""
    if not rows:
        return 0
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    new = 0
    for start in range(0, len(rows), INSERT_BATCH):
        stmt = (
            insert(model)
            .values(rows[start : start + INSERT_BATCH])
            .on_conflict_do_nothing(index_elements=unique)
            .returning(model.id)
        )
        new += len(session.execute(stmt).all())
    return new
