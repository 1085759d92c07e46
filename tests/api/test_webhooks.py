"""Webhooks: signed deliveries to a real receiver on 127.0.0.1, retries and giving up,
destination checks, and events only for what the client may see."""

import json
import threading
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from sqlalchemy import select

from portal.api.models import WebhookDelivery
from portal.api.tasks import deliver_pending
from portal.api.webhooks import SIGNATURE_HEADER, emit, signature_valid, url_problems
from portal.db import utcnow
from tests.api.helpers import api_client, bearer
from tests.quotas.helpers import flight_day, quota


class Receiver:
    """An HTTP server on 127.0.0.1 that records POSTs and answers the statuses it is given."""

    def __init__(self):
        self.received: list[dict] = []
        self.statuses: list[int] = []
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.received.append({"headers": dict(self.headers), "body": body})
                self.send_response(receiver.statuses.pop(0) if receiver.statuses else 204)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hook"

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join(5)


@pytest.fixture()
def receiver():
    r = Receiver()
    yield r
    r.stop()


def _subscribe(client, token, url, events):
    response = client.post("/api/v1/webhooks", json={"url": url, "events": events}, headers=bearer(token))
    assert response.status_code == 201, response.get_data(as_text=True)
    return response.get_json()


def _request(client, token, world, traveller):
    return client.post(
        f"/api/v1/companies/{world.company_a.id}/requests",
        json={
            "traveller_id": traveller.id,
            "flight_number": "CA1501",
            "flight_date": flight_day().isoformat(),
            "origin": "PEK",
            "destination": "SHA",
            "cabin": "Y",
        },
        headers=bearer(token),
    )


def test_a_confirmed_request_is_delivered_signed(app, client, db_session, world, receiver):
    with app.test_request_context():
        _, token = api_client(db_session, "tmc", company=world.company_a)
    quota(db_session, world.agreement_a, seats=1)
    hook = _subscribe(client, token, receiver.url, ["request.confirmed", "request.waitlisted"])
    assert hook["secret"].startswith("whsec_")
    assert client.get("/api/v1/webhooks", headers=bearer(token)).get_json()[0]["events"] == [
        "request.confirmed",
        "request.waitlisted",
    ]
    made = _request(client, token, world, world.traveller_a).get_json()
    with app.app_context():
        counts = deliver_pending()
    assert counts["delivered"] == 1
    [call] = receiver.received
    assert signature_valid(hook["secret"], call["headers"][SIGNATURE_HEADER], call["body"])
    assert not signature_valid("whsec_other", call["headers"][SIGNATURE_HEADER], call["body"])
    assert not signature_valid(hook["secret"], call["headers"][SIGNATURE_HEADER], call["body"] + b" ")
    payload = json.loads(call["body"])
    assert payload["event"] == "request.confirmed" and payload["data"]["request_id"] == made["id"]
    with app.app_context():
        assert deliver_pending()["delivered"] == 0  # delivered once


def test_a_failing_receiver_is_retried_with_back_off_then_given_up(app, client, db_session, world, receiver):
    app.config["WEBHOOK_MAX_ATTEMPTS"] = 3
    try:
        with app.test_request_context():
            _, token = api_client(db_session, "bi")
        _subscribe(client, token, receiver.url, ["agreement.activated"])
        receiver.statuses = [500, 503, 500]
        with app.test_request_context():
            emit("agreement.activated", world.company_a.id, {"agreement_id": 1}, key="1")
        db_session.commit()
        now = utcnow()
        with app.app_context():
            assert deliver_pending(now=now)["failed"] == 1
            assert deliver_pending(now=now)["failed"] == 0  # not due again yet (back-off)
            assert deliver_pending(now=now + timedelta(minutes=2))["failed"] == 1
            assert deliver_pending(now=now + timedelta(minutes=10))["gave_up"] == 1
            assert deliver_pending(now=now + timedelta(days=1)) == {
                "delivered": 0,
                "failed": 0,
                "gave_up": 0,
                "skipped": 0,
            }
        delivery = db_session.scalar(select(WebhookDelivery))
        db_session.refresh(delivery)
        assert delivery.attempts == 3 and delivery.failed_at is not None and delivery.last_status == 500
        assert len(receiver.received) == 3
    finally:
        app.config["WEBHOOK_MAX_ATTEMPTS"] = 8


def test_events_reach_only_clients_that_may_see_them(app, client, db_session, world, receiver):
    with app.test_request_context():
        _, own = api_client(db_session, "tmc-a", company=world.company_a)
        _, other = api_client(db_session, "tmc-b", company=world.company_b)
        _, reader = api_client(db_session, "reader", scopes=["companies:read"])
    _subscribe(client, own, receiver.url, ["agreement.activated"])
    _subscribe(client, other, receiver.url, ["agreement.activated"])
    refused = client.post(
        "/api/v1/webhooks",
        json={"url": receiver.url, "events": ["request.confirmed"]},
        headers=bearer(reader),
    )
    assert refused.status_code == 422 and "events" in refused.get_json()["errors"]
    with app.test_request_context():
        assert emit("agreement.activated", world.company_a.id, {}, key="x") == 1
        assert emit("agreement.activated", world.company_a.id, {}, key="x") == 0  # idempotent


def test_destinations_are_checked(app, client, db_session, world):
    with app.test_request_context():
        assert url_problems("http://127.0.0.1:9/hook") == []  # the tests' setting allows loopback
        for bad in ("ftp://example.com/x", "http://user:pw@127.0.0.1/", "not a url", "https://" + "a" * 600):
            assert url_problems(bad), bad
        app.config["WEBHOOK_ALLOW_PRIVATE"] = False
        try:
            for private in (
                "http://127.0.0.1/x",
                "http://10.0.0.8/x",
                "http://169.254.169.254/latest",
                "http://[::1]/x",
                "http://192.168.1.1/x",
            ):
                assert url_problems(private), private
            app.config["PORTAL_ENV"] = "production"
            assert "HTTPS" in url_problems("http://example.com/hook")[0]
        finally:
            app.config["WEBHOOK_ALLOW_PRIVATE"] = True
            app.config["PORTAL_ENV"] = "testing"
        _, token = api_client(db_session, "tmc")
    response = client.post(
        "/api/v1/webhooks", json={"url": "gopher://x", "events": ["request.confirmed"]}, headers=bearer(token)
    )
    assert response.status_code == 422 and "url" in response.get_json()["errors"]


def test_unsubscribing_gives_up_pending_deliveries(app, client, db_session, world, receiver):
    with app.test_request_context():
        _, token = api_client(db_session, "bi")
    hook = _subscribe(client, token, receiver.url, ["agreement.activated"])
    with app.test_request_context():
        emit("agreement.activated", world.company_a.id, {}, key="1")
    db_session.commit()
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(token)).status_code == 204
    assert client.delete(f"/api/v1/webhooks/{hook['id']}", headers=bearer(token)).status_code == 404
    with app.app_context():
        assert deliver_pending()["delivered"] == 0
    assert receiver.received == []


def test_admin_lists_deliveries(app, client, db_session, world, login):
    with app.test_request_context():
        _, token = api_client(db_session, "bi")
    _subscribe(client, token, "http://127.0.0.1:9/hook", ["agreement.activated"])
    with app.test_request_context():
        emit("agreement.activated", world.company_a.id, {}, key="1")
    db_session.commit()
    login(world.admin)
    page = client.get("/admin/webhook-deliveries?state=pending").get_data(as_text=True)
    assert "agreement.activated" in page and "127.0.0.1:9/hook" in page
    assert "agreement.activated" not in client.get("/admin/webhook-deliveries?state=delivered").get_data(
        as_text=True
    )
    assert client.get("/admin/webhook-deliveries?state=bogus&page=-3").status_code == 200
