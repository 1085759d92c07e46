"""Alembic environment: runs inside the Flask app (`flask --app wsgi db upgrade`)."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

from portal.search import ddl as search_ddl

config = context.config
if config.config_file_name and not config.attributes.get("skip_logging_config"):
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

db = current_app.extensions["migrate"].db
target_metadata = db.metadata


def _options(dialect_name: str) -> dict:
    # SQLite cannot ALTER most things: batch mode copies the table instead.
    return {
        "target_metadata": target_metadata,
        "compare_type": True,
        "render_as_batch": dialect_name == "sqlite",
        # The search index (FTS5 table, pg_trgm indexes) is database-specific raw SQL.
        "include_name": search_ddl.include_name,
        "include_object": search_ddl.include_object,
    }


def run_migrations_offline() -> None:
    url = db.engine.url
    context.configure(url=url, literal_binds=True, **_options(url.get_backend_name()))
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    connection = config.attributes.get("connection")
    if connection is not None:  # handed in by a test
        context.configure(connection=connection, **_options(connection.dialect.name))
        with context.begin_transaction():
            context.run_migrations()
        return
    with db.engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            # Batch mode rebuilds tables that other rows reference. SQLite's documented way is to
            # turn foreign keys off outside the transaction, then check every reference at the
            # end; a deferred check would count each rebuilt table's rows as violations.
            _sqlite_pragma(connection, "PRAGMA foreign_keys = OFF")
        try:
            context.configure(connection=connection, **_options(connection.dialect.name))
            with context.begin_transaction():
                context.run_migrations()
            if sqlite:
                broken = _sqlite_pragma(connection, "PRAGMA foreign_key_check")
                if broken:
                    raise RuntimeError(f"the migration broke foreign keys: {broken[:5]}")
        finally:
            if sqlite:
                _sqlite_pragma(connection, "PRAGMA foreign_keys = ON")


def _sqlite_pragma(connection, statement: str) -> list:
    """Run a PRAGMA on the driver's connection itself: outside any transaction, where SQLite
    honours `foreign_keys` (inside one it is silently ignored)."""
    return connection.connection.driver_connection.execute(statement).fetchall()


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
