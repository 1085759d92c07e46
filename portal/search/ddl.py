"""The search index's database objects, created by a migration with raw SQL because they are
specific to one database: on SQLite an FTS5 table (trigram tokenizer) kept in sync by
triggers; on PostgreSQL pg_trgm GIN indexes (no sync needed). The models do not declare
them, so Alembic's comparison (env.py and the migration test) is told to ignore them. The
statements themselves are in migrations/versions/*_search_index.py."""

FTS_TABLE = "search_fts"
TRGM_PREFIX = "ix_trgm_"
# Each indexed row is stored under rowid = id * KINDS + code, so the triggers find it directly.
KINDS = 4
CODES = {"company": 0, "contact": 1, "traveller": 2, "interaction": 3}


def ignored_name(name: str | None, type_: str) -> bool:
    """Whether Alembic's comparison should skip this reflected object."""
    if not name:
        return False
    if type_ == "table" and (name == FTS_TABLE or name.startswith(FTS_TABLE + "_")):
        return True
    return type_ == "index" and name.startswith(TRGM_PREFIX)


def include_name(name, type_, parent_names) -> bool:
    """Alembic include_name hook."""
    return not ignored_name(name, type_)


def include_object(obj, name, type_, reflected, compare_to) -> bool:
    """Alembic include_object hook."""
    return not (reflected and compare_to is None and ignored_name(name, type_))
