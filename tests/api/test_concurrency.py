"""The transactions of API calls. On the embedded SQLite database every call writes its audit row,
so it takes the write lock when its transaction begins; none fails with "database is locked".
On PostgreSQL a read runs in autocommit (no BEGIN or COMMIT round trips) and a write in one
transaction with its audit row."""

import threading
from datetime import date

from portal.api.clients import create_client
from portal.api.models import SCOPES
from portal.extensions import db
from tests import factories
from tests.conftest import make_app


def test_concurrent_calls_on_sqlite_all_answer(fresh_database, tmp_path_factory):
    app = make_app(fresh_database("sqlite"), tmp_path_factory.mktemp("data"))
    with app.app_context():
        factories.small_world(db.session)
        _, token = create_client(None, "concurrent", list(SCOPES), today=date.today())
        db.session.commit()
        db.session.remove()
    statuses: list[int] = []
    lock = threading.Lock()

    def calls():
        client = app.test_client()
        for _ in range(15):
            status = client.get("/api/v1/companies", headers={"Authorization": f"Bearer {token}"}).status_code
            with lock:
                statuses.append(status)

    threads = [threading.Thread(target=calls) for _ in range(6)]
    for t in threads:
        t.start()
    for t in threads:
        t.join(60)
    with app.app_context():
        db.engine.dispose()
    assert statuses == [200] * 90


def test_a_read_ends_its_transaction_before_its_audit_row_takes_the_write_lock(
    fresh_database, tmp_path_factory
):
    # A call that reads begins deferred and commits its reads; the audit row is written by a
    # short BEGIN IMMEDIATE transaction of its own. A call that writes takes the lock at once.
    from sqlalchemy import event

    app = make_app(fresh_database("sqlite"), tmp_path_factory.mktemp("data"))
    with app.app_context():
        world = factories.small_world(db.session)
        company_id = world.company_a.id
        _, token = create_client(None, "transactions", list(SCOPES), today=date.today())
        db.session.commit()
        db.session.remove()
        engine = db.engine
    steps: list[str] = []

    def statement(conn, cursor, sql, parameters, context, executemany):
        words = sql.split()
        if words[0] in ("BEGIN", "INSERT", "UPDATE", "DELETE"):
            steps.append(" ".join(words[:3]) if words[0] != "BEGIN" else sql)

    def committed(conn):
        steps.append("COMMIT")

    event.listen(engine, "before_cursor_execute", statement)
    event.listen(engine, "commit", committed)
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}
    try:
        client.get("/api/v1/companies", headers=headers)  # notes the client's first use too
        steps.clear()
        assert client.get("/api/v1/companies", headers=headers).status_code == 200
        assert steps == ["BEGIN", "COMMIT", "BEGIN IMMEDIATE", "INSERT INTO audit_event", "COMMIT"]
        steps.clear()
        posted = client.post(
            f"/api/v1/companies/{company_id}/interactions",
            json={"kind": "call", "summary": "x"},
            headers=headers,
        )
        assert posted.status_code == 201
        assert steps[0] == "BEGIN IMMEDIATE" and steps.count("BEGIN IMMEDIATE") == 1
        assert steps[-2:] == ["INSERT INTO audit_event", "COMMIT"]
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        event.remove(engine, "commit", committed)
        with app.app_context():
            engine.dispose()


def test_on_postgresql_a_read_runs_in_autocommit_and_a_write_in_one_transaction(
    fresh_database, tmp_path_factory
):
    from sqlalchemy import event, func, select

    from portal.audit.models import AuditEvent
    from portal.companies.models import Interaction

    app = make_app(fresh_database("postgresql"), tmp_path_factory.mktemp("data"))
    with app.app_context():
        world = factories.small_world(db.session)
        company_id, other_id = world.company_a.id, world.company_b.id
        _, token = create_client(None, "autocommit", list(SCOPES), today=date.today())
        _, bound = create_client(None, "bound", list(SCOPES), company_id=company_id, today=date.today())
        db.session.commit()
        db.session.remove()
        engine = db.engine
    statements: list[tuple[str, bool]] = []  # (first word, whether the driver was in autocommit)

    def statement(conn, cursor, sql, parameters, context, executemany):
        statements.append((sql.split()[0], conn.connection.driver_connection.autocommit))

    def audit_rows() -> int:
        with app.app_context():
            count = db.session.scalar(select(func.count()).select_from(AuditEvent))
            db.session.remove()
            return count

    event.listen(engine, "before_cursor_execute", statement)
    client = app.test_client()
    try:
        for path, headers, status in (
            ("/api/v1/companies", {"Authorization": f"Bearer {token}"}, 200),
            (f"/api/v1/companies/{company_id}", {"Authorization": f"Bearer {bound}"}, 200),
            (f"/api/v1/companies/{other_id}", {"Authorization": f"Bearer {bound}"}, 404),
            ("/api/v1/companies", {"Authorization": "Bearer kap_unknown"}, 401),
        ):
            before = audit_rows()
            statements.clear()
            assert client.get(path, headers=headers).status_code == status
            reads = [autocommit for word, autocommit in statements if word == "SELECT"]
            assert reads and all(reads), (path, statements)
            if status == 200:  # its audit row too; a refused call rolls back, then audits in one
                assert all(autocommit for _, autocommit in statements), (path, statements)
            assert audit_rows() > before
        statements.clear()
        posted = client.post(
            f"/api/v1/companies/{company_id}/interactions",
            json={"kind": "call", "summary": "From the reservation system"},
            headers={"Authorization": f"Bearer {token}"},
        )
        assert posted.status_code == 201
        assert [autocommit for _, autocommit in statements] == [False] * len(statements)
        assert [word for word, _ in statements][-1] == "INSERT"  # the audit row, then one COMMIT
        with app.app_context():
            assert (
                db.session.scalar(
                    select(func.count())
                    .select_from(Interaction)
                    .where(Interaction.summary.startswith("From the"))
                )
                == 1
            )
            db.session.remove()
    finally:
        event.remove(engine, "before_cursor_execute", statement)
        with app.app_context():
            engine.dispose()
