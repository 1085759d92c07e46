"""Fixtures for the reminder tests: services in an app context (English), an SMTP server on loopback."""

import socket

import pytest
from flask_babel import force_locale


@pytest.fixture()
def ctx(app, db_session):
    """An app context for calling services directly, with messages in English."""
    with app.test_request_context(), force_locale("en"):
        yield


@pytest.fixture()
def login(login, client):
    """Sign in, then read the pages in English."""

    def _login(user):
        response = login(user)
        client.get("/lang/en")
        return response

    return _login


def free_port() -> int:
    """A TCP port on 127.0.0.1 nobody listens on (now)."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Inbox:
    """What an aiosmtpd server on 127.0.0.1 received."""

    def __init__(self):
        self.messages = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802 (aiosmtpd's hook name)
        self.messages.append(envelope)
        return "250 OK"


@pytest.fixture()
def smtp():
    """A real SMTP server on a free loopback port; stopped after the test."""
    from aiosmtpd.controller import Controller

    inbox = Inbox()
    controller = Controller(inbox, hostname="127.0.0.1", port=free_port())
    controller.start()
    inbox.controller = controller
    inbox.port = controller.port
    try:
        yield inbox
    finally:
        controller.stop()
