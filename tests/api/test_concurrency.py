"""Concurrent API calls on the embedded SQLite database: every call writes its audit row, so it
takes the write lock when its transaction begins; none fails with "database is locked"."""

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
