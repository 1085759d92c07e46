"""Logging: one handler on the root logger, text by default or one JSON object per line with
PORTAL_LOG_FORMAT=json; every record carries the request id (see portal.web.request_id), and
each request is logged once when it ends (method, path, status, time taken)."""

import logging
import sys
import time

from flask import Flask, g, request
from pythonjsonlogger.json import JsonFormatter

from portal.web.request_id import RequestIdFilter

HANDLER_NAME = "portal-log"
TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s [%(request_id)s] %(message)s"
JSON_FIELDS = "%(levelname)s %(name)s %(message)s %(request_id)s"

request_log = logging.getLogger("portal.request")


def formatter(kind: str) -> logging.Formatter:
    """The formatter for PORTAL_LOG_FORMAT `kind` ("text" or "json")."""
    if kind == "json":
        return JsonFormatter(
            JSON_FIELDS, rename_fields={"levelname": "level", "name": "logger"}, timestamp="time"
        )
    if kind == "text":
        return logging.Formatter(TEXT_FORMAT)
    raise RuntimeError(f"PORTAL_LOG_FORMAT must be text or json, not {kind!r}.")


def install_handler(kind: str) -> logging.Handler:
    """Install (or, for a second app in one process, update) the portal's handler on the root
    logger, writing INFO and above in format `kind`; other handlers (gunicorn's, pytest's) stay."""
    root = logging.getLogger()
    handler = next((h for h in root.handlers if h.name == HANDLER_NAME), None)
    if handler is None:
        handler = logging.StreamHandler(sys.stderr)
        handler.name = HANDLER_NAME
        handler.addFilter(RequestIdFilter())
        root.addHandler(handler)
    handler.setFormatter(formatter(kind))
    if root.level == logging.NOTSET or root.level > logging.INFO:
        root.setLevel(logging.INFO)
    return handler


def configure(app: Flask) -> None:
    """The handler in the app's PORTAL_LOG_FORMAT, and one log line per request."""
    install_handler(app.config["PORTAL_LOG_FORMAT"])

    @app.before_request
    def _start_clock():
        g.request_started = time.perf_counter()

    @app.after_request
    def _log_request(response):
        started = g.get("request_started")
        took_ms = round((time.perf_counter() - started) * 1000, 1) if started else None
        request_log.info(
            "%s %s %s %sms",
            request.method,
            request.path,
            response.status_code,
            took_ms,
            extra={
                "method": request.method,
                "path": request.path,
                "status": response.status_code,
                "duration_ms": took_ms,
                "remote_addr": request.remote_addr,
            },
        )
        return response
