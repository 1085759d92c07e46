"""Running in production: /ready and its checks, the request id, logs as JSON lines."""

import io
import json
import logging

import pytest

from portal import logs
from portal.readiness import READY_CHECKS, ready_check
from portal.web import request_id


def test_ready_reports_every_part(client):
    response = client.get("/ready")
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "ready"
    assert body["checks"]["database"] == "ok"
    assert body["checks"]["storage"] == "ok"


@pytest.fixture()
def failing_broker():
    """A broker check that fails, removed again after the test."""
    saved = list(READY_CHECKS)

    @ready_check("broker")
    def broker_down():
        raise ConnectionError("broker at 127.0.0.1:1 refused the connection")

    yield
    READY_CHECKS[:] = saved


def test_ready_is_503_when_a_registered_check_fails(client, failing_broker):
    response = client.get("/ready")
    assert response.status_code == 503
    body = response.get_json()
    assert body == {
        "status": "not ready",
        "checks": {"database": "ok", "storage": "ok", "broker": "unreachable"},
    }


def test_ready_is_503_when_the_data_folder_cannot_be_written(app, client, tmp_path):
    blocked = tmp_path / "not-a-folder"
    blocked.write_text("a file where the data folder should be")
    saved = app.config["PORTAL_DATA_DIR"]
    app.config["PORTAL_DATA_DIR"] = str(blocked)
    try:
        response = client.get("/ready")
    finally:
        app.config["PORTAL_DATA_DIR"] = saved
    assert response.status_code == 503
    assert response.get_json()["checks"] == {"database": "ok", "storage": "unreachable", "broker": "ok"}


def test_a_sane_request_id_is_kept_and_returned(client):
    response = client.get("/health", headers={"X-Request-ID": "lb-1234.abc"})
    assert response.headers["X-Request-ID"] == "lb-1234.abc"


def test_a_missing_or_forged_request_id_is_replaced(client):
    made = client.get("/health").headers["X-Request-ID"]
    assert len(made) == 32
    forged = client.get("/health", headers={"X-Request-ID": 'x" {"level": "ERROR"}'})
    assert forged.headers["X-Request-ID"] != made
    assert len(forged.headers["X-Request-ID"]) == 32
    assert request_id.current() is None  # nothing leaks out of the request


@pytest.fixture()
def json_log(app):
    """The portal's handler in JSON writing into a buffer, as PORTAL_LOG_FORMAT=json installs it
    (the migrations' logging config replaced the root's handlers when the test app was built)."""
    root = logging.getLogger()
    saved_level = root.level
    handler = logs.install_handler("json")
    buffer = io.StringIO()
    handler.setStream(buffer)
    yield buffer
    root.removeHandler(handler)
    root.setLevel(saved_level)


def test_json_logs_carry_the_request_id(client, json_log):
    response = client.get("/health", headers={"X-Request-ID": "trace-42"})
    assert response.status_code == 200
    lines = [json.loads(line) for line in json_log.getvalue().splitlines()]
    request_lines = [line for line in lines if line["logger"] == "portal.request"]
    assert request_lines, lines
    entry = request_lines[-1]
    assert entry["request_id"] == "trace-42"
    assert entry["level"] == "INFO"
    assert entry["method"] == "GET" and entry["path"] == "/health" and entry["status"] == 200
    assert "time" in entry


def test_a_task_logs_under_the_request_id_it_was_queued_with(json_log):
    with request_id.bound("queued-in-request-7"):
        assert request_id.current() == "queued-in-request-7"
        logging.getLogger("portal.tasks").warning("task ran")
    assert request_id.current() is None
    entry = json.loads(json_log.getvalue().splitlines()[-1])
    assert entry == entry | {"message": "task ran", "request_id": "queued-in-request-7", "level": "WARNING"}


def test_an_unknown_log_format_is_refused():
    with pytest.raises(RuntimeError, match="PORTAL_LOG_FORMAT"):
        logs.formatter("xml")
