"""The migrations build the schema on both databases, and agree with the models."""

from datetime import date

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade
from sqlalchemy import column, insert, select, table

from portal.companies.pinyin import name_keys
from portal.extensions import db
from portal.search import ddl as search_ddl
from portal.segments.models import Segment
from tests import factories
from tests.conftest import drop_pg_database, make_app, make_database_url
from tests.segments.reference import assert_rollup_is_fresh, stored


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


def test_segment_month_upgrade_sums_the_existing_segments(fresh_app):
    with fresh_app.app_context():
        # The world is made with today's models, then the schema goes back to before the
        # rollup (the segment table is the same in both).
        w = factories.small_world(db.session)
        company_a, company_b = w.company_a.id, w.company_b.id
        db.session.commit()
        downgrade(revision="3b8d5f1a9c27")
        rows = [
            (company_a, date(2024, 2, 29), "F", 1_000_00),
            (company_a, date(2024, 2, 1), "Y", 200_00),
            (company_a, date(2024, 3, 1), "C", 300_00),
            (company_b, date(2025, 12, 31), "W", 400_00),
            (None, date(2024, 2, 10), "Y", 500_00),
        ]
        db.session.execute(
            insert(Segment.__table__),
            [
                dict(ticket_number=f"999000000000{i}", coupon_number=1, company_id=company_id,
                     traveller_name="张三", flight_number="CA1501", flight_date=day, origin="PEK",
                     destination="SHA", cabin=cabin, fare_class=cabin, net_revenue_fen=revenue,
                     distance_km=1088)
                for i, (company_id, day, cabin, revenue) in enumerate(rows)
            ],
        )  # fmt: skip
        db.session.commit()
        upgrade()
        assert_rollup_is_fresh(db.session)
        assert len(stored(db.session)) == 3
        db.session.rollback()


def test_pinyin_upgrade_fills_the_keys_of_existing_companies(fresh_app):
    """Companies written before the pinyin columns existed get their keys from the migration,
    the same keys a write computes now."""
    with fresh_app.app_context():
        w = factories.small_world(db.session)
        company_a = w.company_a.id
        names = {company_a: w.company_a.name_zh, w.company_b.id: w.company_b.name_zh}
        db.session.commit()
        downgrade(revision="9d4e6b2c8a15")
        upgrade()
        company = table("company", column("id"), column("name_pinyin"), column("name_initials"))
        keys = {row.id: row for row in db.session.execute(select(company))}
        db.session.rollback()
    for company_id, name_zh in names.items():
        expected = name_keys(name_zh)
        assert keys[company_id].name_pinyin == expected["name_pinyin"]
        assert keys[company_id].name_initials == expected["name_initials"]
    assert keys[company_a].name_pinyin.startswith("beijingxinghehangtian")  # 北京星河航天…
    assert keys[company_a].name_initials.startswith("bjxhht")
