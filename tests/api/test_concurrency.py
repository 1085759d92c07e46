"""Concurrent API calls on the embedded SQLite database: every call writes its audit row, so it
takes the write lock when its transaction begins; none fails with "database is locked"."""

import threading
from datetime import date

from portal.api.clients import create_client
from portal.api.models import SCOPES
from portal.extensions import db
from tests import factories
from tests.conftest import make_app, make_database_url


def test_concurrent_calls_on_sqlite_all_answer(tmp_path_factory):
    app = make_app(make_database_url("sqlite", tmp_path_factory), tmp_path_factory.mktemp("data"))
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
