"""The request id: taken from X-Request-ID when a proxy or client sends a sane one, else made here;
returned in the response header, put on every log record written while the request (or a task
that carries it) runs."""

import contextlib
import contextvars
import logging
import re
import uuid

from flask import Flask, request

HEADER = "X-Request-ID"
# What a sent id may look like (anything else is replaced, so it cannot forge log lines).
_SANE = re.compile(r"[A-Za-z0-9._:-]{1,128}")
_current: contextvars.ContextVar[str | None] = contextvars.ContextVar("portal_request_id", default=None)


def current() -> str | None:
    """The id of the request (or task) running in this context, None outside one."""
    return _current.get()


def choose(sent: str | None) -> str:
    """The id for a request: the sent one when it is sane, else a new one."""
    if sent and _SANE.fullmatch(sent):
        return sent
    return uuid.uuid4().hex


@contextlib.contextmanager
def bound(request_id: str | None):
    """Run a block (a task, a job) under a request id, e.g. the one the task was queued with."""
    token = _current.set(request_id or uuid.uuid4().hex)
    try:
        yield _current.get()
    finally:
        _current.reset(token)


class RequestIdFilter(logging.Filter):
    """Adds `request_id` to every record (None outside a request) so formatters can show it."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _current.get()
        return True


def register(app: Flask) -> None:
    """Give each request its id and send it back in the response."""

    @app.before_request
    def _bind_request_id():
        _current.set(choose(request.headers.get(HEADER)))

    @app.after_request
    def _send_request_id(response):
        request_id = _current.get()
        if request_id:
            response.headers[HEADER] = request_id
        return response

    @app.teardown_request
    def _unbind_request_id(exc):
        _current.set(None)
