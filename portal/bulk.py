"""Bulk writes: many rows into one table inside the caller's transaction, past the ORM.

PostgreSQL (psycopg) gets COPY, many times faster than row inserts; other databases get one
DBAPI executemany of the statement Core compiles. Rows that may already exist go through
`Writer(..., ignore_conflicts_on=keys)`: on PostgreSQL they are COPYed into a temporary
staging table and moved by one INSERT ... SELECT ... ON CONFLICT DO NOTHING, elsewhere the
executemany runs INSERT ... ON CONFLICT DO NOTHING. Nothing here commits.

Rows written in bulk skip the ORM's defaults and listeners: the caller gives every value.
"""

from collections.abc import Iterable, Sequence
from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert

CHUNK = 50_000  # dict rows per executemany: big enough to amortise, small enough for memory


def copies(connection: sa.Connection) -> bool:
    """Whether the connection writes in bulk with COPY (PostgreSQL through psycopg)."""
    dialect = connection.dialect
    return dialect.name == "postgresql" and dialect.driver == "psycopg"


def insert_rows(connection: sa.Connection, table: sa.Table, rows: list[dict]) -> None:
    """Insert dict rows that all have the same keys."""
    if not rows:
        return
    if copies(connection):
        columns = list(rows[0])
        _copy(connection, _copy_sql(connection, table, columns), ([row[c] for c in columns] for row in rows))
        return
    for i in range(0, len(rows), CHUNK):
        connection.execute(sa.insert(table), rows[i : i + CHUNK])


def insert_tuples(
    connection: sa.Connection, table: sa.Table, columns: Sequence[str], rows: list[tuple]
) -> None:
    """Insert tuple rows whose values are in `columns` order."""
    Writer(connection, table, columns).write(rows)


# An INSERT's rowcount is the rows it wrote (conflicts skipped); PostgreSQL's INSERT ... SELECT
# answers -1 unless asked to keep it.
NEW_ROWS = {"preserve_rowcount": True}


class Writer:
    """Writes batches of tuple rows (values in `columns` order, as Python values) into `table`.

    With a positional DBAPI (SQLite) no dict is built per row: the compiled statement runs on
    the driver directly, each value converted by its column type's own bind processor (a date
    becomes SQLite's ISO text). With `ignore_conflicts_on` (the columns of a unique key),
    rows whose key exists are skipped."""

    def __init__(
        self,
        connection: sa.Connection,
        table: sa.Table,
        columns: Sequence[str],
        *,
        ignore_conflicts_on: Sequence[str] = (),
    ):
        self.connection = connection
        self.columns = list(columns)
        self.inserted = 0  # rows written that were new (with ignore_conflicts_on, a row already there is not)
        self.copy_sql = self.move = self.empty = self.sql = self.statement = None
        keys = list(ignore_conflicts_on)
        if copies(connection):
            if not keys:
                self.copy_sql = _copy_sql(connection, table, self.columns)
                return
            # The staging table lives only in this transaction (ON COMMIT DROP).
            preparer = connection.dialect.identifier_preparer
            staging = preparer.quote(f"staging_{table.name}")
            names = ", ".join(preparer.quote(c) for c in self.columns)
            connection.exec_driver_sql(
                f"CREATE TEMPORARY TABLE IF NOT EXISTS {staging} ON COMMIT DROP AS"
                f" SELECT {names} FROM {preparer.format_table(table)} WITH NO DATA"
            )
            self.empty = f"TRUNCATE {staging}"
            connection.exec_driver_sql(self.empty)
            self.copy_sql = f"COPY {staging} ({names}) FROM STDIN"
            source = sa.table(f"staging_{table.name}", *(sa.column(c) for c in self.columns))
            self.move = (
                pg_insert(table)
                .from_select(self.columns, sa.select(source))
                .on_conflict_do_nothing(index_elements=keys)
            )
            return
        statement = _ignoring_insert(connection, table, keys) if keys else sa.insert(table)
        dialect = connection.dialect
        if not dialect.positional:
            self.statement = statement  # executed with dict rows, Core converting the values
            return
        compiled = statement.compile(dialect=dialect, column_keys=self.columns)
        self.sql = str(compiled)
        self.order = [self.columns.index(name) for name in compiled.positiontup]
        processors = [
            table.c[self.columns[i]].type.dialect_impl(dialect).bind_processor(dialect) for i in self.order
        ]
        self.convert = [(position, p) for position, p in enumerate(processors) if p is not None]

    def write(self, rows: list[tuple]) -> None:
        """Insert one batch of rows; `inserted` counts the new ones."""
        if not rows:
            return
        connection = self.connection
        if self.copy_sql is not None:
            _copy(connection, self.copy_sql, rows)
            if self.move is None:
                self.inserted += len(rows)
                return
            self.inserted += connection.execute(self.move, execution_options=NEW_ROWS).rowcount
            connection.exec_driver_sql(self.empty)
            return
        if self.statement is not None:
            columns = self.columns
            dict_rows = [dict(zip(columns, row, strict=True)) for row in rows]
            self.inserted += connection.execute(
                self.statement, dict_rows, execution_options=NEW_ROWS
            ).rowcount
            return
        self.inserted += connection.exec_driver_sql(self.sql, self._driver_values(rows), NEW_ROWS).rowcount

    def _driver_values(self, rows: list[tuple]) -> list:
        order, convert = self.order, self.convert
        if not convert:
            if order == list(range(len(order))):
                return rows
            return [tuple(row[i] for i in order) for row in rows]
        values = []
        append = values.append
        for row in rows:
            value = [row[i] for i in order]
            for position, process in convert:
                value[position] = process(value[position])
            append(tuple(value))
        return values


def _ignoring_insert(connection: sa.Connection, table: sa.Table, keys: list[str]):
    name = connection.dialect.name
    if name == "postgresql":
        return pg_insert(table).on_conflict_do_nothing(index_elements=keys)
    if name == "sqlite":
        return sqlite_insert(table).on_conflict_do_nothing(index_elements=keys)
    raise RuntimeError(f"bulk writes that ignore conflicts do not support the {name} database")


def _copy_sql(connection: sa.Connection, table: sa.Table, columns: Sequence[str]) -> str:
    preparer = connection.dialect.identifier_preparer
    names = ", ".join(preparer.quote(c) for c in columns)
    return f"COPY {preparer.format_table(table)} ({names}) FROM STDIN"


def _copy(connection: sa.Connection, sql: str, rows: Iterable[Sequence]) -> None:
    raw = connection.connection.driver_connection  # the psycopg connection of this transaction
    with raw.cursor() as cursor, cursor.copy(sql) as copy:
        for row in rows:
            copy.write_row(row)


@contextmanager
def indexes_dropped(connection: sa.Connection, table: str):
    """Drop the table's secondary indexes (and on PostgreSQL its foreign keys) for a big load and
    rebuild them from the database's own definitions after: building an index once is several
    times faster than keeping it up to date row by row (PostgreSQL's "Populating a Database").
    Inside the caller's transaction, so a failure restores them."""
    name = connection.dialect.name
    if name == "postgresql":
        foreign_keys = connection.execute(
            sa.text(
                "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint"
                " WHERE conrelid = CAST(:t AS regclass) AND contype = 'f' ORDER BY conname"
            ),
            {"t": table},
        ).all()
        indexes = connection.execute(
            sa.text(
                "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
                " JOIN pg_class c ON c.oid = i.indexrelid"
                " WHERE i.indrelid = CAST(:t AS regclass) AND NOT i.indisprimary"
                " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
                " ORDER BY c.relname"
            ),
            {"t": table},
        ).all()
        for constraint, _ in foreign_keys:
            connection.exec_driver_sql(f'ALTER TABLE {table} DROP CONSTRAINT "{constraint}"')
        for index, _ in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{index}"')
        yield
        connection.exec_driver_sql("SET LOCAL maintenance_work_mem = '256MB'")
        for _, definition in indexes:
            connection.exec_driver_sql(definition)
        for constraint, definition in foreign_keys:
            connection.exec_driver_sql(f'ALTER TABLE {table} ADD CONSTRAINT "{constraint}" {definition}')
    elif name == "sqlite":
        indexes = connection.exec_driver_sql(
            "SELECT name, sql FROM sqlite_master"
            " WHERE type = 'index' AND tbl_name = ? AND sql IS NOT NULL ORDER BY name",
            (table,),
        ).all()
        for index, _ in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{index}"')
        yield
        for _, definition in indexes:
            connection.exec_driver_sql(definition)
    else:
        yield


@contextmanager
def big_cache(connection: sa.Connection):
    """A bigger page cache for a big load on SQLite (the default 2 MB thrashes on the indexes)."""
    if connection.dialect.name != "sqlite":
        yield
        return
    before = connection.exec_driver_sql("PRAGMA cache_size").scalar()
    connection.exec_driver_sql("PRAGMA cache_size = -262144")  # 256 MB
    try:
        yield
    finally:
        connection.exec_driver_sql(f"PRAGMA cache_size = {int(before)}")


def reset_id_sequences(connection: sa.Connection, tables: Iterable[str]) -> None:
    """PostgreSQL: move each table's id sequence past the explicit ids written, for later inserts."""
    if connection.dialect.name != "postgresql":
        return
    preparer = connection.dialect.identifier_preparer
    for name in tables:
        table = preparer.quote(name)
        connection.execute(
            sa.text(
                "SELECT setval(pg_get_serial_sequence(:t, 'id'),"
                f" (SELECT COALESCE(MAX(id), 0) + 1 FROM {table}), false)"
            ),
            {"t": table},
        )
