"""How a request's transaction ends: a page that only read commits (so PostgreSQL keeps its
prepared statements); anything that wrote, or holds a change, is rolled back as before.

These use real sessions on the app's engine, not the rolled-back test session, because they
are about how transactions end.
"""

import pytest
from flask import Blueprint
from sqlalchemy import bindparam, event, func, select, text, update
from sqlalchemy.orm import Session, make_transient_to_detached

from portal.auth.policy import public
from portal.db import commit_if_only_read
from portal.extensions import db
from portal.org.models import Branch
from tests.conftest import make_app


def _branch():
    return Branch(code="TX-TEST", name_zh="测试分公司", name_en="Test branch", city="北京")


def test_a_transaction_that_only_read_commits(app):
    with app.app_context():
        session = db.session()
        session.scalar(select(func.count()).select_from(Branch))
        assert commit_if_only_read(session) is True
        assert session.get_transaction() is None


def test_no_transaction_no_commit(app):
    with app.app_context():
        assert commit_if_only_read(db.session()) is False


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda s: s.add(_branch()), id="pending add"),
        pytest.param(lambda s: (s.add(_branch()), s.flush()), id="flushed add"),
        pytest.param(
            lambda s: s.execute(update(Branch).where(Branch.id == -1).values(city="x")), id="core update"
        ),
        pytest.param(lambda s: s.execute(text("DELETE FROM branch WHERE id = -1")), id="text delete"),
    ],
)
def test_a_transaction_that_wrote_or_holds_a_change_is_not_committed(app, change):
    with app.app_context():
        session = db.session()
        session.scalar(select(func.count()).select_from(Branch))
        change(session)
        assert commit_if_only_read(session) is False
        session.rollback()
        assert session.scalar(select(func.count()).where(Branch.code == "TX-TEST")) == 0
        session.rollback()


def test_a_changed_object_is_not_committed(app):
    with app.app_context():
        session = db.session()
        session.scalar(select(func.count()).select_from(Branch))
        # Persistent in the session without a write, then changed.
        branch = Branch(id=987654, code="TX-TEST", name_zh="测试", name_en="T", city="北京")
        make_transient_to_detached(branch)
        session.add(branch)
        branch.city = "上海"
        assert session.dirty
        assert commit_if_only_read(session) is False
        session.rollback()


@pytest.fixture(scope="module")
def probe_app(database_url, tmp_path_factory):
    """The app on the same database with two probe pages: one reads, one writes by mistake on
    a GET (it never commits); commits on the engine are counted."""
    probe = make_app(database_url, tmp_path_factory.mktemp("data"))
    bp = Blueprint("probe", __name__)

    @bp.route("/_probe/read")
    @public
    def read():
        return str(db.session.scalar(select(func.count()).select_from(Branch)))

    @bp.route("/_probe/write")
    @public
    def write():
        db.session.add(_branch())
        db.session.flush()
        return "wrote"

    probe.register_blueprint(bp)
    commits = []
    with probe.app_context():
        event.listen(db.engine, "commit", lambda conn: commits.append(conn))
    probe.extensions["commits"] = commits
    yield probe
    with probe.app_context():
        db.engine.dispose()


def test_a_page_that_only_read_ends_in_commit(probe_app):
    commits = probe_app.extensions["commits"]
    before = len(commits)
    assert probe_app.test_client().get("/_probe/read").status_code == 200
    assert len(commits) == before + 1


def test_a_get_that_wrote_without_committing_is_rolled_back(probe_app):
    commits = probe_app.extensions["commits"]
    before = len(commits)
    assert probe_app.test_client().get("/_probe/write").status_code == 200
    assert len(commits) == before
    with probe_app.app_context():
        assert db.session.scalar(select(func.count()).where(Branch.code == "TX-TEST")) == 0


def test_reads_that_commit_keep_postgresql_prepared_statements(app):
    """psycopg prepares a statement after five runs and forgets it at every ROLLBACK: reads
    that end in COMMIT are what lets the next request skip parsing and planning. (SQLite has
    no such cache; there the reads simply commit.)"""
    statement = select(Branch.id).where(Branch.id == bindparam("id"))
    with app.app_context(), db.engine.connect() as connection:
        session = Session(bind=connection)
        for _ in range(8):
            session.execute(statement, {"id": 1}).all()
            assert commit_if_only_read(session)
        if connection.dialect.name == "postgresql":
            prepared = text(
                "SELECT count(*) FROM pg_prepared_statements WHERE statement LIKE '%branch.id = $1%'"
            )
            assert session.scalar(prepared) == 1
            session.rollback()
            # What every page did before: the rollback takes the prepared statement away.
            for _ in range(8):
                session.execute(statement, {"id": 1}).all()
                session.rollback()
            assert session.scalar(prepared) == 0
        session.close()
