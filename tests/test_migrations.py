"""The migrations build the schema on both databases, and agree with the models."""

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from portal.extensions import db
from portal.search import ddl as search_ddl
from tests.conftest import drop_pg_database, make_app, make_database_url


@pytest.fixture(params=["sqlite", "postgresql"])
def fresh_app(request, tmp_path_factory):
    url = make_database_url(request.param, tmp_path_factory)
    app = make_app(url, tmp_path_factory.mktemp("data"))
    yield app
    with app.app_context():
        db.engine.dispose()
    if url.startswith("postgresql"):
        drop_pg_database(url)


def _differences(app):
    with app.app_context(), db.engine.connect() as connection:
        context = MigrationContext.configure(
            connection,
            opts={
                "compare_type": True,
                # as migrations/env.py: the search index is database-specific raw SQL
                "include_name": search_ddl.include_name,
                "include_object": search_ddl.include_object,
            },
        )
        return compare_metadata(context, db.metadata)


def test_models_and_migrations_agree(fresh_app):
    assert _differences(fresh_app) == []


def test_downgrade_to_base_and_upgrade_again(fresh_app):
    with fresh_app.app_context():
        downgrade(revision="base")
        upgrade()
    assert _differences(fresh_app) == []
