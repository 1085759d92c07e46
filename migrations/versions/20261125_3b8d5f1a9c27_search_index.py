"""search index: SQLite FTS5 (trigram) table with sync triggers; PostgreSQL pg_trgm GIN indexes

Revision ID: 3b8d5f1a9c27
Revises: c7e2a9d41f05
Create Date: 2026-11-25 03:30:00.000000

The objects are database-specific and not declared by the models; migrations/env.py and the
migration test ignore them (portal/search/ddl.py). The statements are frozen here so that a
later change of that module does not change what this revision did.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '3b8d5f1a9c27'
down_revision = 'c7e2a9d41f05'
branch_labels = None
depends_on = None

SQLITE_UPGRADE = [
    "CREATE VIRTUAL TABLE search_fts USING fts5(body, tokenize='trigram')",
    'INSERT INTO search_fts(rowid, body) SELECT r.id * 4 + 0, coalesce(r.name_zh, \'\') || \' \' || coalesce(r.name_en, \'\') || \' \' || coalesce(r.credit_code, \'\') FROM "company" AS r',
    'CREATE TRIGGER search_fts_company_ai AFTER INSERT ON "company" BEGIN INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 0, coalesce(new.name_zh, \'\') || \' \' || coalesce(new.name_en, \'\') || \' \' || coalesce(new.credit_code, \'\')); END',
    'CREATE TRIGGER search_fts_company_au AFTER UPDATE OF name_zh, name_en, credit_code ON "company" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 0; INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 0, coalesce(new.name_zh, \'\') || \' \' || coalesce(new.name_en, \'\') || \' \' || coalesce(new.credit_code, \'\')); END',
    'CREATE TRIGGER search_fts_company_ad AFTER DELETE ON "company" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 0; END',
    'INSERT INTO search_fts(rowid, body) SELECT r.id * 4 + 1, coalesce(r.name, \'\') FROM "contact" AS r',
    'CREATE TRIGGER search_fts_contact_ai AFTER INSERT ON "contact" BEGIN INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 1, coalesce(new.name, \'\')); END',
    'CREATE TRIGGER search_fts_contact_au AFTER UPDATE OF name ON "contact" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 1; INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 1, coalesce(new.name, \'\')); END',
    'CREATE TRIGGER search_fts_contact_ad AFTER DELETE ON "contact" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 1; END',
    'INSERT INTO search_fts(rowid, body) SELECT r.id * 4 + 2, coalesce(r.name, \'\') || \' \' || coalesce(r.name_en, \'\') FROM "traveller" AS r',
    'CREATE TRIGGER search_fts_traveller_ai AFTER INSERT ON "traveller" BEGIN INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 2, coalesce(new.name, \'\') || \' \' || coalesce(new.name_en, \'\')); END',
    'CREATE TRIGGER search_fts_traveller_au AFTER UPDATE OF name, name_en ON "traveller" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 2; INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 2, coalesce(new.name, \'\') || \' \' || coalesce(new.name_en, \'\')); END',
    'CREATE TRIGGER search_fts_traveller_ad AFTER DELETE ON "traveller" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 2; END',
    'INSERT INTO search_fts(rowid, body) SELECT r.id * 4 + 3, coalesce(r.summary, \'\') FROM "interaction" AS r',
    'CREATE TRIGGER search_fts_interaction_ai AFTER INSERT ON "interaction" BEGIN INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 3, coalesce(new.summary, \'\')); END',
    'CREATE TRIGGER search_fts_interaction_au AFTER UPDATE OF summary ON "interaction" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 3; INSERT INTO search_fts(rowid, body) VALUES (new.id * 4 + 3, coalesce(new.summary, \'\')); END',
    'CREATE TRIGGER search_fts_interaction_ad AFTER DELETE ON "interaction" BEGIN DELETE FROM search_fts WHERE rowid = old.id * 4 + 3; END',
]

SQLITE_DOWNGRADE = [
    'DROP TRIGGER IF EXISTS search_fts_company_ai',
    'DROP TRIGGER IF EXISTS search_fts_company_au',
    'DROP TRIGGER IF EXISTS search_fts_company_ad',
    'DROP TRIGGER IF EXISTS search_fts_contact_ai',
    'DROP TRIGGER IF EXISTS search_fts_contact_au',
    'DROP TRIGGER IF EXISTS search_fts_contact_ad',
    'DROP TRIGGER IF EXISTS search_fts_traveller_ai',
    'DROP TRIGGER IF EXISTS search_fts_traveller_au',
    'DROP TRIGGER IF EXISTS search_fts_traveller_ad',
    'DROP TRIGGER IF EXISTS search_fts_interaction_ai',
    'DROP TRIGGER IF EXISTS search_fts_interaction_au',
    'DROP TRIGGER IF EXISTS search_fts_interaction_ad',
    'DROP TABLE IF EXISTS search_fts',
]

POSTGRESQL_UPGRADE = [
    'CREATE EXTENSION IF NOT EXISTS pg_trgm',
    'CREATE INDEX IF NOT EXISTS ix_trgm_company_name_zh ON "company" USING gin (name_zh gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS ix_trgm_company_name_en ON "company" USING gin (name_en gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS ix_trgm_company_credit_code ON "company" USING gin (credit_code gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS ix_trgm_contact_name ON "contact" USING gin (name gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS ix_trgm_traveller_name ON "traveller" USING gin (name gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS ix_trgm_traveller_name_en ON "traveller" USING gin (name_en gin_trgm_ops)',
    'CREATE INDEX IF NOT EXISTS ix_trgm_interaction_summary ON "interaction" USING gin (summary gin_trgm_ops)',
]

POSTGRESQL_DOWNGRADE = [
    'DROP INDEX IF EXISTS ix_trgm_company_name_zh',
    'DROP INDEX IF EXISTS ix_trgm_company_name_en',
    'DROP INDEX IF EXISTS ix_trgm_company_credit_code',
    'DROP INDEX IF EXISTS ix_trgm_contact_name',
    'DROP INDEX IF EXISTS ix_trgm_traveller_name',
    'DROP INDEX IF EXISTS ix_trgm_traveller_name_en',
    'DROP INDEX IF EXISTS ix_trgm_interaction_summary',
]


def _statements(kind):
    name = op.get_bind().dialect.name
    if name == "sqlite":
        return SQLITE_UPGRADE if kind == "up" else SQLITE_DOWNGRADE
    if name == "postgresql":
        return POSTGRESQL_UPGRADE if kind == "up" else POSTGRESQL_DOWNGRADE
    return []


def upgrade():
    for statement in _statements("up"):
        op.execute(statement)


def downgrade():
    for statement in _statements("down"):
        op.execute(statement)
